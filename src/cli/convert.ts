// `cdm-replay convert IN [--from FMT] --out trace.csv[.gz]`: any supported format -> trace@1.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ExitCode, UsageError } from '../errors.js';
import { openTrace } from '../trace/registry.js';
import { writeTrace1 } from '../trace/write-csv.js';
import { addReaderOptions, readOptionsOf, type ReaderCliOptions } from './formats.js';

interface ConvertCliOptions extends ReaderCliOptions {
  from?: string;
  out: string;
  ignoreColumns?: boolean;
}

export async function runConvert(input: string, o: ConvertCliOptions): Promise<number> {
  if (input !== '-' && o.out !== '-' && resolve(input) === resolve(o.out)) {
    throw new UsageError(`convert: --out ${o.out} is the input file (it would be overwritten before it is read)`);
  }
  const trace = await openTrace(input, { inputFormat: o.from, ignoreColumns: o.ignoreColumns, ...readOptionsOf(o) });
  const r = await writeTrace1(trace, o.out);
  const skipped = Object.entries(r.info.skipped).map(([k, v]) => `${k} ${v}`).join(', ');
  process.stderr.write(`cdm-replay convert: ${r.info.path} (${r.info.format}): ${r.events} events, ${r.rows} rows written to ${o.out}` +
    `${skipped ? `; skipped: ${skipped}` : ''}\n`);
  return ExitCode.ok;
}

export function registerConvert(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('convert <in>')
    .description('convert a trace (lackey, pinatrace, perf script, ftrace, trace@1, ...) to trace@1 CSV; see `cdm-replay formats`')
    .option('--from <fmt>', 'input format (default: sniffed from the first bytes)')
    .requiredOption('-o, --out <file>', 'the trace@1 file to write (gzip when it ends in .gz; - for stdout)')
    .option('--ignore-columns', 'trace@1 input: ignore unknown columns instead of failing');
  addReaderOptions(cmd).action(async (input: string, opts: ConvertCliOptions) => {
    setExit(await runConvert(input, opts));
  });
}
