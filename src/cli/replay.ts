// `cdm-replay <trace>`: load the config, replay through the chosen backends, render.
import { parseBackendList } from '../backends/registry.js';
import { loadConfig } from '../config/index.js';
import { replay } from '../engine/replay.js';
import { ExitCode, UsageError } from '../errors.js';
import { decideColour } from '../report/colour.js';
import { getRenderer } from '../report/registry.js';
import { readOptionsOf, type ReaderCliOptions } from './formats.js';
import { emit } from './main.js';
import { Progress } from './progress.js';

export interface ReplayCliOptions extends ReaderCliOptions {
  backend: string;
  preset?: string;
  config?: string;
  set: string[];
  format: string;
  out?: string;
  inputFormat?: string;
  ignoreColumns?: boolean;
  strict?: boolean;
  threads: string;
  timeline?: boolean;
  timelineBuckets: string;
}

/** `--threads`: auto or a positive integer. */
export function parseThreads(v: string): number | 'auto' {
  if (v === 'auto') return v;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--threads: ${JSON.stringify(v)} is not a thread count (expected auto or an integer >= 1)`);
  return n;
}

/** `--timeline-buckets`: an even whole number ≥ 2 (pairs of buckets merge). */
export function parseTimelineBuckets(arg: string): number {
  const n = Number(arg);
  if (!/^\d+$/.test(arg.trim()) || n < 2 || n % 2 !== 0 || n > 65536) throw new UsageError(`--timeline-buckets ${arg}: expected an even whole number from 2 to 65536`);
  return n;
}

export async function runReplay(trace: string, o: ReplayCliOptions): Promise<number> {
  const render = getRenderer(o.format); // unknown format: usage error before any work
  const html = o.format === 'html';
  // An HTML page is a file to open, not text to read: refuse to pour it onto a terminal.
  if (html && !o.out && process.stdout.isTTY === true) throw new UsageError('--format html writes a page: pass --out report.html (or redirect stdout)');
  const buckets = parseTimelineBuckets(o.timelineBuckets);
  const backends = parseBackendList(o.backend);
  const threads = parseThreads(o.threads);
  const { config, warnings } = loadConfig({ preset: o.preset, configFile: o.config, sets: o.set });
  for (const w of warnings) process.stderr.write(`cdm-replay: warning: ${w}\n`);
  const progress = new Progress(process.stderr);
  const report = await replay({
    tracePath: trace,
    config,
    presetName: config.preset ?? o.preset ?? 'custom',
    backends,
    inputFormat: o.inputFormat,
    ignoreColumns: o.ignoreColumns,
    traceOptions: readOptionsOf(o),
    warnings,
    strict: o.strict,
    threads,
    timeline: o.timeline || html ? { buckets } : undefined,
    onWarning: (w) => {
      progress.done();
      process.stderr.write(`cdm-replay: warning: ${w}\n`);
    },
    onProgress: (n) => progress.update(n),
  });
  progress.done();
  const colour = decideColour({ isTTY: !o.out && process.stdout.isTTY === true });
  emit(render(report, { colour }), o.out);
  return ExitCode.ok;
}
