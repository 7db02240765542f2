// kernel-check's expected failures, each with its DESIGN §5 exit code.
import { CdmError, ExitCode } from '../errors.js';

export interface MissingPrerequisite {
  /** What is missing, e.g. "qemu-system-x86_64". */
  what: string;
  /** The command that installs it. */
  install: string;
}

/** Exit 2: the host lacks what a guest run needs; the message lists each item with its install command. */
export class KernelPrerequisiteError extends CdmError {
  constructor(readonly missing: MissingPrerequisite[]) {
    super(
      `kernel-check prerequisites missing:\n${missing.map((m) => `  - ${m.what}: ${m.install}`).join('\n')}`,
      ExitCode.usage,
    );
  }
}

/** Exit 4: the guest crashed, hung, or printed no usable result; carries the console's last lines. */
export class GuestCrashError extends CdmError {
  constructor(message: string, readonly consoleTail: string) {
    super(`${message}\n--- guest console (last lines) ---\n${consoleTail}`, ExitCode.internal);
  }
}

/** The guest rejected the trace: exit 3 for invalid data, exit 2 for what the guest cannot replay. */
export class GuestTraceError extends CdmError {
  constructor(message: string, readonly line: number, unsupported: boolean) {
    super(message, unsupported ? ExitCode.usage : ExitCode.traceData);
  }
}
