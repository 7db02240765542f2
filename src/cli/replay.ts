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
}

/** `--threads`: auto or a positive integer. */
export function parseThreads(v: string): number | 'auto' {
  if (v === 'auto') return v;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--threads: ${JSON.stringify(v)} is not a thread count (expected auto or an integer >= 1)`);
  return n;
}

export async function runReplay(trace: string, o: ReplayCliOptions): Promise<number> {
  const render = getRenderer(o.format); // unknown format: usage error before any work
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
