// The command line (DESIGN §5): argument -> options mapping, a library call, rendering, exit code.
import { Command, CommanderError } from 'commander';
import { writeFileSync } from 'node:fs';
import { CdmError, ExitCode, UsageError } from '../errors.js';
import { rendererNames } from '../report/registry.js';
import { TOOL_VERSION } from '../version.js';
import { registerExplain } from './explain.js';
import { registerGen } from './gen.js';
import { registerCompare } from './compare.js';
import { registerConvert } from './convert.js';
import { addReaderOptions, registerFormats } from './formats.js';
import { registerInfoCommands } from './info.js';
import { registerKernelCheck } from './kernel-check.js';
import { runReplay } from './replay.js';
import { registerSweepCommands } from './sweep.js';

export async function main(argv: string[]): Promise<number> {
  // `cdm-replay ... | head` closes the pipe early: that is the reader's choice, not a crash.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); else throw e; });
  const program = new Command();
  program
    .name('cdm-replay')
    .description('Replay page-level memory traces through Linux placement designs for coherent device memory and compare them.')
    .version(TOOL_VERSION)
    .exitOverride()
    .enablePositionalOptions() // `cdm-replay gen x --out f`: options after a subcommand are its own
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showSuggestionAfterError();
  let exitCode: number = ExitCode.ok;
  program
    .argument('[trace]', 'trace file (trace@1 CSV, .gz ok), or - for stdin')
    .option('-b, --backend <list>', 'backends: names, a comma list, NAME:VARIANT, or all', 'all')
    .option('-p, --preset <name>', 'machine preset (see `cdm-replay presets`)')
    .option('-c, --config <file>', 'scenario config (YAML or JSON), on top of its preset')
    .option('-s, --set <key=value>', 'override a config key by dotted path (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('-f, --format <fmt>', `report format: ${rendererNames().join(' | ')}`, 'table')
    .option('-o, --out <file>', 'write the report to a file instead of stdout')
    .option('--timeline', 'add a per-backend timeline section (always on for --format html)')
    .option('--timeline-buckets <n>', 'most timeline buckets (even, ≥ 2)', '256')
    .option('--input-format <fmt>', 'trace format (default: sniffed)')
    .option('--ignore-columns', 'ignore unknown trace columns instead of failing')
    .option('--strict', 'treat an op a design cannot express as an error (exit 2)')
    .option('--threads <n>', 'threads for one replay: 1 = one thread; N = read here, backends on up to N workers; auto = for files from 32 MiB, workers on the cores the reader leaves (one per backend at most)', 'auto')
    .action(async (trace: string | undefined, opts) => {
      if (!trace) {
        program.outputHelp();
        exitCode = ExitCode.usage;
        return;
      }
      exitCode = await runReplay(trace, opts);
    });
  addReaderOptions(program); // --agent, --keep-instr, --pin-columns, --zoneinfo (trace readers)
  registerInfoCommands(program, (code) => { exitCode = code; });
  registerConvert(program, (code) => { exitCode = code; });
  registerFormats(program, (code) => { exitCode = code; });
  registerSweepCommands(program, (code) => { exitCode = code; });
  registerCompare(program, (code) => { exitCode = code; });
  registerGen(program, (code) => { exitCode = code; });
  registerExplain(program, (code) => { exitCode = code; });
  registerKernelCheck(program, (code) => { exitCode = code; });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (e) {
    return handleError(e);
  }
}

export function handleError(e: unknown): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return ExitCode.ok;
    return ExitCode.usage; // commander already printed its one line
  }
  if (e instanceof CdmError) {
    process.stderr.write(`cdm-replay: ${e.message}\n`);
    return e.exitCode;
  }
  const err = e as Error;
  process.stderr.write(`cdm-replay: internal error: ${err?.message ?? String(e)}\n${err?.stack ?? ''}\n` +
    'This is a bug. Please report it with the command line and, if you can, the trace and config.\n');
  return ExitCode.internal;
}

/** Writes text to --out or stdout. */
export function emit(text: string, out: string | undefined): void {
  if (out) {
    try {
      writeFileSync(out, text);
    } catch (e) {
      throw new UsageError(`cannot write ${out}: ${(e as Error).message}`);
    }
  } else {
    process.stdout.write(text);
  }
}
