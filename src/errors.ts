// Errors are values with a home (STYLE habit 6): each expected error class carries its exit code
// (DESIGN §5) and prints as one line; anything else is an internal error (exit 4).

export const ExitCode = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  traceData: 3,
  internal: 4,
  sweepPartial: 5,
} as const;

export class CdmError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad command line: exit 2. */
export class UsageError extends CdmError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** Bad configuration (file, preset, --set): exit 2. `path` is the dotted key path when known. */
export class ConfigError extends CdmError {
  constructor(message: string, readonly file?: string, readonly keyPath?: string) {
    super(message, ExitCode.usage);
  }
}

/**
 * Invalid trace data: exit 3. The message names file, line (or byte offset), field, the bad
 * value and what was expected, e.g.
 * `trace.csv:12: column "addr": "0xzz" is not a valid address (expected 0x-hex or decimal, < 2^64)`.
 */
export class TraceDataError extends CdmError {
  constructor(
    readonly file: string,
    readonly location: string,
    readonly field: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(`${file}:${location}: ${field}: ${JSON.stringify(value)} ${expected}`, ExitCode.traceData);
  }
}
