// `cdm-replay sweep` as a library call: load the spec, expand it, take this shard's groups, skip
// the runs OUT/runs/ already holds (--resume), execute the rest on an executor, write every run as
// it finishes, then sweep.json and sweep.csv in run order.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import type { GroupResult, GroupTask, RunOutcome, TaskPoint } from './execute.js';
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
  /** Workers the executor runs: planTasks shares traces out until each can have a task. */
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
  const byTrace = new Map<number, TaskPoint[]>();
  const pendingInGroup = new Map<number, number>();
  for (const g of mine) {
    const pending: RunKey[] = [];
    for (const i of g.runs) {
      const done = o.resume ? readRunFile(o.outDir, id, i) : undefined;
      if (done) results.set(i, done);
      else pending.push(runs[i]);
    }
    if (pending.length === 0) continue;
    pendingInGroup.set(g.index, pending.length);
    const list = byTrace.get(g.trace) ?? [];
    list.push({ group: g.index, sets: pointSets(g.params), runs: pending.map((r) => ({ index: r.index, backend: r.backend })) });
    byTrace.set(g.trace, list);
  }
  const tasks = planTasks(byTrace, loaded, o.jobs ?? 1);
  const resumed = results.size;
  const selected = mine.flatMap((g) => g.runs);
  const progress = new SweepProgress(stderr, selected.length);
  progress.resume(resumed);
  const warnings = new Set<string>();
  let failed = 0;

  // One message per failing grid point, once all its runs are in (a point's runs may be spread
  // over tasks), naming its failed backends: the same lines whatever --jobs.
  const failedInGroup = new Map<number, RunOutcome[]>();
  const onResult = (r: GroupResult, worker: number) => {
    for (const outcome of r.runs) {
      const k = runs[outcome.index];
      const run: SweepRun = { trace: k.trace, params: k.params, backend: k.backend, ...(outcome.report ? { report: outcome.report } : { error: outcome.error }) };
      writeRunFile(o.outDir, id, outcome.index, run);
      results.set(outcome.index, run);
      if (outcome.error) {
        failed++;
        failedInGroup.set(k.group, [...(failedInGroup.get(k.group) ?? []), outcome]);
      }
      const left = (pendingInGroup.get(k.group) ?? 1) - 1;
      pendingInGroup.set(k.group, left);
      const bad = failedInGroup.get(k.group);
      if (left === 0 && bad) {
        bad.sort((x, y) => x.index - y.index);
        const which = bad.map((x) => runs[x.index].backend).join(', ');
        progress.message(`cdm-replay: sweep: failed: trace ${k.trace}; ${describeParams(k.params)}; backend${bad.length > 1 ? 's' : ''} ${which}: ${bad[0].error?.message}`);
      }
    }
    for (const w of r.warnings) warnings.add(w);
    o.log?.(`sweep-log: group ${r.group} runs ${r.runs.map((x) => x.index).join(',')} thread ${worker} start ${r.startMs} end ${r.endMs}`);
    progress.addRuns(r.runs.length, r.runs[0]?.index ?? -1);
  };
  try {
    // A running task's share of its runs: the part of its trace read so far (bytes as given).
    const sizes = new Map<string, number>();
    const onEvents = (n: number, task: GroupTask, bytes: number) => {
      const size = sizes.get(task.tracePath) ?? traceBytes(task.tracePath);
      sizes.set(task.tracePath, size);
      const runs = task.points.reduce((k, pt) => k + pt.runs.length, 0);
      progress.addEvents(n, task.points[0].runs[0].index, size > 0 ? runs * Math.min(1, bytes / size) : 0);
    };
    await o.executor(tasks, { onResult, onEvents });
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

/**
 * The tasks of a sweep. A task replays one trace once for every run it holds. A trace is one
 * task, or as many as keep a task at MAX_TASK_RUNS runs or fewer (one simulated machine each:
 * bounded memory); while there are fewer tasks than workers, the trace with the most work per
 * task is shared out once more (a task more parses its trace again, so only to fill a worker).
 * Runs are dealt round-robin, not cut in blocks, so a costly grid point or backend does not land
 * whole on one worker; the biggest tasks (trace bytes x runs) go first, so the pool does not end
 * on one.
 */
export function planTasks(byTrace: ReadonlyMap<number, TaskPoint[]>, loaded: LoadedSpec, jobs: number): GroupTask[] {
  const traces = [...byTrace.keys()];
  const flat = traces.map((t) => (byTrace.get(t) as TaskPoint[]).flatMap((pt) => pt.runs.map((run) => ({ group: pt.group, sets: pt.sets, run }))));
  const bytes = traces.map((t) => traceBytes(loaded.tracePaths[t]));
  const count = flat.map((runs) => Math.ceil(runs.length / MAX_TASK_RUNS));
  for (let total = count.reduce((a, b) => a + b, 0); total < jobs; total++) {
    let best = -1;
    for (let k = 0; k < traces.length; k++) {
      if (count[k] >= flat[k].length) continue;
      if (best < 0 || bytes[k] * flat[k].length * count[best] > bytes[best] * flat[best].length * count[k]) best = k;
    }
    if (best < 0) break;
    count[best]++;
  }
  const tasks: { task: GroupTask; weight: number }[] = [];
  traces.forEach((trace, k) => {
    for (const hand of deal(flat[k], count[k])) {
      const points: TaskPoint[] = [];
      for (const { group, sets, run } of hand) {
        if (points.at(-1)?.group !== group) points.push({ group, sets, runs: [] });
        (points.at(-1) as TaskPoint).runs.push(run);
      }
      tasks.push({
        weight: bytes[k] * hand.length,
        task: {
          group: hand[0].group,
          tracePath: loaded.tracePaths[trace],
          traceLabel: loaded.spec.traces[trace],
          configPath: loaded.configPath,
          configLabel: loaded.spec.config,
          preset: loaded.spec.preset,
          points,
        },
      });
    }
  });
  tasks.sort((a, b) => b.weight - a.weight || a.task.group - b.task.group); // stable for equal weights
  return tasks.map((t) => t.task);
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
