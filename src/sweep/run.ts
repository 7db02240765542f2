// `cdm-replay sweep` as a library call: load the spec, expand it, take this shard's groups, skip
// the runs OUT/runs/ already holds (--resume), execute the rest on an executor, write every run as
// it finishes, then sweep.json and sweep.csv in run order.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import type { GroupResult, GroupTask, TaskPoint } from './execute.js';
import { describeParams, expand, pointSets, shardGroups, type RunKey, type Shard } from './grid.js';
import { prepareRunsDir, readRunFile, sweepDoc, writeOutputs, writeRunFile, type SweepDoc, type SweepRun } from './output.js';
import type { Executor } from './pool.js';
import { SweepProgress } from './progress.js';
import { loadSpec, type LoadedSpec } from './spec.js';

export interface SweepOptions {
  specFile: string;
  outDir: string;
  executor: Executor;
  shard?: Shard;
  resume?: boolean;
  /** Where failures, warnings and the progress bar go (default process.stderr). */
  stderr?: NodeJS.WriteStream;
  /** Workers the executor runs: each trace's grid points are split into this many tasks. */
  jobs?: number;
  /** Per-task execution log (CDM_REPLAY_SWEEP_LOG=1 in the CLI): which runs ran on which thread, when. */
  log?: (line: string) => void;
}

export interface SweepSummary {
  doc: SweepDoc;
  /** Runs in this shard; of them executed now, taken from OUT/runs/ (--resume), and failed. */
  runs: number;
  executed: number;
  resumed: number;
  failed: number;
}

/** What a sweep's run files belong to: resuming into another sweep's OUT is refused. */
export function fingerprint(loaded: LoadedSpec): string {
  const config = loaded.configPath === undefined ? null : createHash('sha256').update(readFileSync(loaded.configPath)).digest('hex');
  return createHash('sha256').update(JSON.stringify({ tool: TOOL_VERSION, spec: loaded.spec, config })).digest('hex');
}

export async function runSweep(o: SweepOptions): Promise<SweepSummary> {
  const stderr = o.stderr ?? process.stderr;
  const loaded = loadSpec(o.specFile);
  const { spec } = loaded;
  const { runs, groups } = expand(spec.traces, spec.grid ?? {}, loaded.backends);
  const mine = shardGroups(groups, o.shard);
  const id = fingerprint(loaded);
  if (!prepareRunsDir(o.outDir, id, o.resume === true)) {
    throw new UsageError(`sweep: ${o.outDir}/runs holds runs of a different sweep (spec, its config or the tool version changed): use another --out, or drop --resume to start over`);
  }

  const results = new Map<number, SweepRun>();
  // Pending runs by trace, grid point by grid point (in group order).
  const byTrace = new Map<number, { group: number; point: TaskPoint }[]>();
  for (const g of mine) {
    const pending: RunKey[] = [];
    for (const i of g.runs) {
      const done = o.resume ? readRunFile(o.outDir, id, i) : undefined;
      if (done) results.set(i, done);
      else pending.push(runs[i]);
    }
    if (pending.length === 0) continue;
    const list = byTrace.get(g.trace) ?? [];
    list.push({ group: g.index, point: { sets: pointSets(g.params), runs: pending.map((r) => ({ index: r.index, backend: r.backend })) } });
    byTrace.set(g.trace, list);
  }
  // A task replays one trace once for every run it holds. Each trace gets enough tasks for every
  // worker to have one (with fewer traces than workers, a trace's runs are shared out), and no
  // task holds over MAX_TASK_RUNS runs (one simulated machine each: bounded memory). More tasks
  // would balance better but parse the trace again each. Runs are dealt round-robin, not cut in
  // blocks, so a costly grid point or backend does not land whole on one worker; the biggest
  // tasks (trace bytes x runs) go first, so the pool does not end on one.
  const jobs = o.jobs ?? 1;
  const tasks: { task: GroupTask; weight: number }[] = [];
  for (const [trace, points] of byTrace) {
    const flat = points.flatMap(({ group, point }) => point.runs.map((run) => ({ group, sets: point.sets, run })));
    const count = Math.max(Math.ceil(jobs / byTrace.size), Math.ceil(flat.length / MAX_TASK_RUNS));
    const bytes = traceBytes(loaded.tracePaths[trace]);
    for (const hand of deal(flat, count)) {
      const taskPoints: TaskPoint[] = [];
      let last = -1;
      for (const { group, sets, run } of hand) {
        if (group !== last) taskPoints.push({ sets, runs: [] });
        taskPoints[taskPoints.length - 1].runs.push(run);
        last = group;
      }
      tasks.push({
        weight: bytes * hand.length,
        task: {
          group: hand[0].group,
          tracePath: loaded.tracePaths[trace],
          traceLabel: spec.traces[trace],
          configPath: loaded.configPath,
          configLabel: spec.config,
          preset: spec.preset,
          points: taskPoints,
        },
      });
    }
  }
  tasks.sort((a, b) => b.weight - a.weight || a.task.group - b.task.group); // stable for equal weights
  const resumed = results.size;
  const selected = mine.flatMap((g) => g.runs);
  const progress = new SweepProgress(stderr, selected.length);
  progress.addRuns(resumed);
  const warnings = new Set<string>();
  let failed = 0;

  const onResult = (r: GroupResult, worker: number) => {
    for (const outcome of r.runs) {
      const k = runs[outcome.index];
      const run: SweepRun = { trace: k.trace, params: k.params, backend: k.backend, ...(outcome.report ? { report: outcome.report } : { error: outcome.error }) };
      writeRunFile(o.outDir, id, outcome.index, run);
      results.set(outcome.index, run);
    }
    const bad = r.runs.filter((x) => x.error);
    failed += bad.length;
    // One message per failing grid point (a task holds several), naming its failed backends.
    for (const group of new Set(bad.map((x) => runs[x.index].group))) {
      const mine = bad.filter((x) => runs[x.index].group === group);
      const key = runs[mine[0].index];
      const which = mine.map((x) => runs[x.index].backend).join(', ');
      progress.message(`cdm-replay: sweep: failed: trace ${key.trace}; ${describeParams(key.params)}; backend${mine.length > 1 ? 's' : ''} ${which}: ${mine[0].error?.message}`);
    }
    for (const w of r.warnings) warnings.add(w);
    o.log?.(`sweep-log: group ${r.group} runs ${r.runs.map((x) => x.index).join(',')} thread ${worker} start ${r.startMs} end ${r.endMs}`);
    progress.addRuns(r.runs.length);
  };
  try {
    await o.executor(tasks.map((t) => t.task), { onResult, onEvents: (n) => progress.addEvents(n) });
  } finally {
    progress.finish();
  }
  for (const w of warnings) stderr.write(`cdm-replay: warning: ${w}\n`);

  const missing = selected.find((i) => !results.has(i));
  if (missing !== undefined) throw new Error(`sweep: run ${missing} produced no result`);
  const doc = sweepDoc(spec, selected.map((i) => results.get(i) as SweepRun));
  writeOutputs(o.outDir, doc, loaded.gridKeys);
  return { doc, runs: selected.length, executed: selected.length - resumed, resumed, failed };
}

/** A trace's size for ordering tasks (a gzip file counts its compressed bytes; unreadable: 0, it fails later). */
function traceBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Runs one task replays at once at most: each is a machine in memory during the pass. */
export const MAX_TASK_RUNS = 16;

/** `items` dealt round-robin into `n` hands (none empty), each in the items' order. */
export function deal<T>(items: readonly T[], n: number): T[][] {
  const hands: T[][] = Array.from({ length: Math.max(1, Math.min(n, items.length)) }, () => []);
  items.forEach((item, i) => hands[i % hands.length].push(item));
  return hands;
}
