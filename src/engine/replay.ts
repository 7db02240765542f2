// The replay engine (DESIGN §1): one pass over the trace drives every selected backend, each on
// its own simulated machine, then the report is assembled and validated against report@1.
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { BackendChoice } from '../backends/registry.js';
import type { Config } from '../config/index.js';
import { BackendReportSchema, parseReport, type BackendReport, type Report } from '../report/schema.js';
import { inputName } from '../trace/input.js';
import { openTrace, type OpenedTrace as Trace } from '../trace/registry.js';
import type { ReadOptions } from '../trace/events.js';
import type { TimelineOptions } from '../metrics/timeline.js';
import type { WatchRange } from './explain.js';
import { EventCounter, type EngineOutcome } from './outcome.js';
import { applyBatch, backendSection, createRun, newCursor, startTimelines, type BackendRun, type Cursor } from './runs.js';
import { replayInWorkers } from './threads.js';
import { TOOL_VERSION } from '../version.js';
import { PARSE_ONCE } from '../parse-once.js';

export interface ReplayOptions {
  tracePath: string;
  config: Config;
  presetName: string;
  backends: BackendChoice[];
  inputFormat?: string;
  ignoreColumns?: boolean;
  /** Format-specific reader options: agent map, lackey/pin/ftrace settings (src/trace/events.ts). */
  traceOptions?: ReadOptions;
  warnings?: string[];
  /** An op a design cannot express is an error (exit 2) instead of a warning (DESIGN §3). */
  strict?: boolean;
  /** Told of each warning raised during the replay (the CLI prints it on stderr at once). */
  onWarning?: (warning: string) => void;
  /** `explain`: watch these pages and add an `explain` section to each backend. */
  watch?: WatchRange;
  /** Add a `timeline` section to each backend (`--timeline`, html); off: no per-event cost. */
  timeline?: TimelineOptions;
  /** Called every so many events with the count so far (progress display). */
  onProgress?: (events: number) => void;
  /**
   * Threads the replay may use: 1 replays in this thread; N > 1 reads here and replays the
   * backends on up to N worker threads; 'auto' (default): workers for files from 32 MiB (autoLanes).
   */
  threads?: number | 'auto';
}

export async function replay(o: ReplayOptions): Promise<Report> {
  const { config } = o;
  const workers = engineWorkers(o);
  const open = () => openTrace(o.tracePath, { ...o.traceOptions, inputFormat: o.inputFormat, ignoreColumns: o.ignoreColumns });
  const warnings = [...(o.warnings ?? [])];
  const { trace, outcome } = workers > 0
    ? await replayInWorkers(open, {
      config, file: inputName(o.tracePath), backends: o.backends, workers, strict: o.strict ?? false, timeline: o.timeline, onWarning: o.onWarning, onProgress: o.onProgress,
    })
    : await open().then(async (t) => ({ trace: t, outcome: await replayInThread(t, o) }));
  warnings.push(...outcome.warnings);
  const { pagesTouched, accesses, lastTime } = outcome;
  const report = {
    schema: 'cdm-replay/report@1',
    tool: { name: 'cdm-replay', version: TOOL_VERSION },
    trace: {
      path: o.tracePath === '-' ? '-' : trace.info.path,
      format: trace.info.format,
      events: trace.info.events,
      accesses,
      pages_touched: pagesTouched,
      duration_ns: lastTime,
      sha256: trace.info.sha256,
      start_time: trace.info.startTime,
      skipped: trace.info.skipped,
    },
    machine: {
      preset: o.presetName,
      nodes: config.nodes.map((n) => ({ id: n.id, kind: n.kind, capacity_pages: Math.floor(n.capacity / config.pageSize) })),
    },
    config: config as unknown as Record<string, unknown>,
    backends: outcome.sections,
    warnings,
  };
  return parseReport(report);
}

/** Worker threads for this replay: none (in this thread) unless it is large enough to gain. */
function engineWorkers(o: ReplayOptions): number {
  if (o.watch || o.backends.length === 0) return 0;
  const threads = o.threads ?? 'auto';
  if (threads !== 'auto') return threads <= 1 ? 0 : Math.min(o.backends.length, threads);
  // Stdin's length is unknown: one thread.
  if (o.tracePath === '-') return 0;
  let size = 0;
  try { size = statSync(o.tracePath).size; } catch { return 0; }
  const cores = availableParallelism();
  if (size < AUTO_THREADS_MIN_BYTES || cores < 2) return 0; // one core: reader and worker would take turns
  return autoLanes(o.backends.length, cores);
}

/**
 * Backend workers for `--threads auto`: one core stays with the reader unless there are more
 * backends than cores (then every lane has work enough to share the reader's core). Three busy
 * threads on two cores ran slower than two: 2M events, mainline,numa: 1.36 s on two workers,
 * 0.98 s on one, 1.11 s in one thread; all four backends: 1.75 s on two workers, 1.95 s on one.
 */
export function autoLanes(backends: number, cores: number): number {
  return Math.max(1, Math.min(backends, backends > cores ? cores : cores - 1));
}

/**
 * Input size from which `--threads auto` uses workers. Measured on the 2-core dev VM (a worker
 * boots in ~0.1-0.2 s beside the reader, which opens the trace meanwhile; batches are shared, not
 * copied), best of 4: 1M CSV events (36 MiB) replay faster on workers (one backend 0.58 s vs 0.60 s,
 * all four 1.10 s vs 1.69 s); 0.5M (18 MiB) break even (one 0.39 s vs 0.36 s, all 0.75 s vs 0.67 s).
 */
const AUTO_THREADS_MIN_BYTES = 32 * 2 ** 20;

/** The in-thread engine: every backend applies each event in turn. */
async function replayInThread(trace: Trace, o: ReplayOptions): Promise<EngineOutcome> {
  const { config } = o;
  const cursor: Cursor = newCursor();
  const warnings: string[] = [];
  const runs = o.backends.map((choice, k) => createRun(choice, k, {
    config, file: trace.info.path, strings: trace.info.strings, strict: o.strict, watch: o.watch, timeline: o.timeline,
    onWarning: (text) => { warnings.push(text); o.onWarning?.(text); },
  }, cursor));
  startTimelines(cursor, runs);
  const counter = new EventCounter(config.timing.eventNs, config.pageSize);
  for await (const b of trace.batches) {
    applyBatch(runs, b, counter.events, cursor);
    counter.add(b);
    o.onProgress?.(counter.events);
  }
  return {
    sections: runs.map((r) => backendSection(r, o.watch !== undefined)),
    warnings,
    ...counter.totals(),
  };
}

/** One run of a shared pass: a backend on its own configuration (a sweep's grid point). */
export interface ReplayEntry {
  choice: BackendChoice;
  config: Config;
}

export interface EntryOutcome {
  report?: BackendReport;
  error?: unknown;
}

export interface EntriesOptions {
  tracePath: string;
  entries: ReplayEntry[];
  inputFormat?: string;
  traceOptions?: ReadOptions;
  /** Events so far, and the file's bytes (as given) read so far. */
  onProgress?: (events: number, bytes: number) => void;
}

/**
 * One pass over a trace for runs that each have their own configuration, so a sweep reads a trace
 * once for all the grid points a worker holds. A run that fails (its backend cannot be built, or
 * an event fails in it) stops alone; the others go on. Invalid trace data fails the runs still
 * going with that error.
 */
export async function replayEntries(o: EntriesOptions): Promise<{ outcomes: EntryOutcome[]; warnings: string[] }> {
  const trace = await openTrace(o.tracePath, { ...o.traceOptions, inputFormat: o.inputFormat });
  const cursor: Cursor = newCursor();
  const warnings: string[] = [];
  const outcomes: EntryOutcome[] = o.entries.map(() => ({}));
  const entryOf = new Map<BackendRun, number>();
  const runs: BackendRun[] = [];
  o.entries.forEach((e, k) => {
    try {
      const run = createRun(e.choice, k, { config: e.config, file: trace.info.path, strings: trace.info.strings, onWarning: (text) => warnings.push(text) }, cursor);
      entryOf.set(run, k);
      runs.push(run);
    } catch (err) {
      outcomes[k].error = err;
    }
  });
  const fail = (run: BackendRun, err: unknown) => { outcomes[entryOf.get(run) as number].error = err; };
  let events = 0;
  try {
    for await (const b of trace.batches) {
      if (runs.length === 0) break;
      applyBatch(runs, b, events, cursor, fail);
      events += b.count;
      o.onProgress?.(events, trace.bytesRead());
    }
  } catch (err) {
    // Unreadable from here on: the runs still going fail with it; the others keep their own error.
    for (const run of runs) fail(run, err);
    runs.length = 0;
  }
  for (const run of runs) {
    try {
      outcomes[entryOf.get(run) as number].report = BackendReportSchema.parse(backendSection(run, false), PARSE_ONCE);
    } catch (err) {
      fail(run, err);
    }
  }
  return { outcomes, warnings };
}
