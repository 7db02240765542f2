// One backend's replay state and the per-batch loop, shared by the in-thread engine (replay.ts)
// and the backend worker threads (threads.ts, backend-worker.ts), so both apply events the same
// way and build the same report section.
import type { BackendChoice } from '../backends/registry.js';
import type { Config } from '../config/index.js';
import { UsageError } from '../errors.js';
import { MetricsCollector } from '../metrics/collect.js';
import { advanceTimelines, TimelineCollector, type TimelineOptions } from '../metrics/timeline.js';
import { Machine } from '../sim/machine.js';
import type { EventBatch } from '../trace/events.js';
import { Run } from './apply.js';
import { estimateCost } from './cost.js';
import { explainSection, startWatch, type WatchRange } from './explain.js';
import { machineSpec } from './machine-spec.js';

export interface BackendRun {
  choice: BackendChoice;
  config: Config;
  /** timing.eventNs of this run's config: the spacing of events without a time. */
  eventNs: number;
  effective: Record<string, unknown>;
  machine: Machine;
  metrics: MetricsCollector;
  /** `--timeline`: samples this run's machine at bucket ends; null when off. */
  timeline: TimelineCollector | null;
  run: Run;
}

/** Where the engine is in the trace: unsupported-op messages name the event's line. */
export interface Cursor {
  batch: EventBatch | null;
  i: number;
  /** Global index of the event being applied, and the position of the run applying it. */
  event: number;
  run: number;
  /** The runs' timelines (null when off) and the trace time of their next bucket end. */
  timelines: TimelineCollector[] | null;
  nextBoundary: number;
}

export const newCursor = (): Cursor => ({ batch: null, i: 0, event: 0, run: 0, timelines: null, nextBoundary: Infinity });

/** Hands the runs' timelines to the cursor, which samples them at bucket ends (applyBatch). */
export function startTimelines(cursor: Cursor, runs: readonly BackendRun[]): void {
  const timelines = runs.flatMap((r) => (r.timeline ? [r.timeline] : []));
  if (timelines.length === 0) return;
  cursor.timelines = timelines;
  cursor.nextBoundary = timelines[0].nextBoundary;
}

export interface RunOptions {
  config: Config;
  /** The trace's name in messages, and its string table (grows as the reader interns). */
  file: string;
  strings: string[];
  strict?: boolean;
  watch?: WatchRange;
  timeline?: TimelineOptions;
  /** A warning raised while applying `cursor.event` to run `index`. */
  onWarning: (text: string, event: number, index: number) => void;
}

export function createRun(choice: BackendChoice, index: number, o: RunOptions, cursor: Cursor): BackendRun {
  const { config } = o;
  const knobs = (config.backends[choice.def.name] ?? {}) as Record<string, unknown>;
  const kernelModel = choice.def.kernelModelFor?.(choice.variant, knobs) ?? choice.def.kernelModel;
  const spec = machineSpec(config, kernelModel);
  const { design, knobs: effective, machine: own } = choice.def.create(choice.variant, knobs, spec);
  const machine = new Machine(own ?? spec, design, { windowNs: config.metrics.windowNs });
  if (o.watch) startWatch(machine, o.watch);
  // DESIGN §3: an op the design cannot express is counted, warned about once per op, then
  // handled as the design's kernel would; --strict stops at the first.
  machine.onUnsupported = (op, why) => {
    const where = `${o.file}:${cursor.batch?.line[cursor.i] ?? '?'}`;
    if (o.strict) throw new UsageError(`${where}: ${op} ${why}; backend ${choice.label} cannot express it (--strict)`);
    if (machine.unsupported.get(op) !== 1) return;
    o.onWarning(`backend ${choice.label}: ${where}: ${op} ${why} (counted in unsupported.${op}; further ones not shown)`, cursor.event, index);
  };
  const metrics = new MetricsCollector(machine, config.metrics.pingPongNs);
  const timeline = o.timeline ? new TimelineCollector(machine, metrics, o.timeline) : null;
  return { choice, config, eventNs: config.timing.eventNs, effective, machine, metrics, timeline, run: new Run(machine, metrics, o.strings, o.file) };
}

/**
 * Applies events [0, b.count) of a batch whose first event is the trace's `first`-th to every run.
 * An event without a time happens its run's `eventNs` after the previous event index (DESIGN §3).
 * With `onFail`, a run that throws leaves `runs` (spliced out) and the others go on (sweeps);
 * without it, the first error stops the replay.
 */
export function applyBatch(runs: BackendRun[], b: EventBatch, first: number, cursor: Cursor, onFail?: (run: BackendRun, e: unknown) => void): void {
  cursor.batch = b;
  for (let i = 0; i < b.count; i++) {
    const index = first + i;
    const time = b.time[i];
    cursor.i = i;
    cursor.event = index;
    // Timeline: the state before the first event at or past a bucket end is sampled; without a
    // timeline the boundary is Infinity and this never fires (replay() keeps timelines, and its
    // runs share one config's eventNs; sweeps, whose runs may not, keep none).
    const timelines = cursor.timelines;
    if (timelines !== null && runs.length > 0) {
      const t = time === time ? time : index * runs[0].eventNs;
      if (t >= cursor.nextBoundary) cursor.nextBoundary = advanceTimelines(timelines, t);
    }
    for (let r = 0; r < runs.length; r++) {
      cursor.run = r;
      const run = runs[r];
      try {
        run.run.apply(b, i, time === time ? time : index * run.eventNs);
      } catch (e) {
        if (!onFail) throw e;
        onFail(run, e);
        runs.splice(r--, 1);
      }
    }
  }
}

/** The backend's section of report@1 (before schema validation). */
export function backendSection(r: BackendRun, watch: boolean): Record<string, unknown> {
  const { choice, config, effective, machine, metrics, timeline } = r;
  const s = metrics.finish();
  return {
    label: choice.label,
    name: choice.def.name,
    variant: choice.variant,
    description: choice.def.description,
    config: { variant: choice.variant, kernelModel: machine.spec.kernel.model, ...effective },
    ...s,
    unsupported: Object.fromEntries([...machine.unsupported.entries()].sort()),
    ...(timeline ? { timeline: timeline.finish() } : {}),
    cost: estimateCost(config, { remoteByPair: metrics.remoteByPair(), movedByPair: metrics.movedByPair }),
    ...(watch ? { explain: explainSection(machine) } : {}),
  };
}
