// `cdm-replay compare <baseline> <current>`: read both files, compareInputs(), render, exit code
// (0 no regression, 1 a regression, 2 not comparable or not a report).
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { ExitCode, UsageError } from '../errors.js';
import { decideColour } from '../report/colour.js';
import { readComparable } from '../report/compare-input.js';
import { compareRendererNames, getCompareRenderer } from '../report/compare-render.js';
import { compareInputs, DEFAULT_THRESHOLD_PCT, parseMaxRegression, parsePct, regressions } from '../report/compare.js';
import { emit } from './main.js';

interface CompareCliOptions {
  maxRegression: string[];
  defaultThreshold: string;
  format: string;
  all?: boolean;
  allowDifferentTrace?: boolean;
  allowDifferentConfig?: boolean;
  out?: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** A report file's text: `-` is stdin, `.gz` is unpacked. */
function readInput(file: string): string {
  try {
    const buf = readFileSync(file === '-' ? 0 : file);
    return (file.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

export function runCompare(baselineFile: string, currentFile: string, o: CompareCliOptions): number {
  const render = getCompareRenderer(o.format); // unknown format: usage error before any work
  if (baselineFile === '-' && currentFile === '-') throw new UsageError('compare: only one of the two reports can be read from stdin');
  const comparison = compareInputs(readComparable(readInput(baselineFile), baselineFile), readComparable(readInput(currentFile), currentFile), {
    defaultThresholdPct: parsePct(o.defaultThreshold, '--default-threshold'),
    maxRegression: parseMaxRegression(o.maxRegression),
    allowDifferentTrace: o.allowDifferentTrace,
    allowDifferentConfig: o.allowDifferentConfig,
  });
  const colour = decideColour({ isTTY: !o.out && process.stdout.isTTY === true });
  emit(render(comparison, { colour, all: o.all }), o.out);
  return regressions(comparison).length > 0 ? ExitCode.checkFailed : ExitCode.ok;
}

export function registerCompare(program: Command, setExit: (code: number) => void): void {
  program
    .command('compare <baseline> <current>')
    .description('compare two reports metric by metric: exit 1 on a regression, 2 when they are not comparable')
    .option('-m, --max-regression <metric=pct>', 'judge this metric (dotted path or documented path) with its own threshold in percent; repeatable', collect, [] as string[])
    .option('-t, --default-threshold <pct>', 'percent a lower-is-better metric may rise before it regresses', String(DEFAULT_THRESHOLD_PCT))
    .option('-f, --format <fmt>', compareRendererNames().join(' | '), 'table')
    .option('-a, --all', 'list unchanged metrics too (table, markdown)')
    .option('--allow-different-trace', 'compare reports of different traces (sha256)')
    .option('--allow-different-config', 'compare reports of different effective configurations')
    .option('-o, --out <file>', 'write the comparison to a file instead of stdout')
    .action((baseline: string, current: string, opts: CompareCliOptions, cmd: Command) => {
      // The root command also has --format and --out: commander may hand them to the root, so
      // take them from there when this command did not see them (as kernel-check does).
      const root = (cmd.parent?.opts() ?? {}) as Partial<CompareCliOptions>;
      const fromRoot = cmd.getOptionValueSource('format') === 'default' && cmd.parent?.getOptionValueSource('format') !== 'default';
      setExit(runCompare(baseline, current, { ...opts, format: fromRoot && root.format ? root.format : opts.format, out: opts.out ?? root.out }));
    });
}
