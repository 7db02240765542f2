// The engine on several threads: this thread reads and parses the trace while worker threads
// (backend-worker.ts) each replay a share of the backends, so reading overlaps simulation and
// backends run side by side. Each backend still sees every event in order, and warnings and
// errors are ordered by (event, backend) exactly as the in-thread engine orders them, so the
// report is byte-identical whichever engine ran it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BackendChoice } from '../backends/registry.js';
import type { Config } from '../config/index.js';
import { packageUrl } from '../package-files.js';
import { CdmError, ConfigError, ExitCode, TraceDataError, UsageError } from '../errors.js';
import type { TimelineOptions } from '../metrics/timeline.js';
import type { EventBatch, TraceInfo } from '../trace/events.js';
import { EventCounter, type EngineOutcome } from './outcome.js';
import type { FromWorker, WorkerError } from './thread-protocol.js';

/**
 * Batches a worker may have queued before the reader waits: keeps both busy and bounds memory
 * (8 reader batches of 4096 events, 2.2 MB). Each buffer is fresh memory until the workers are
 * done with it and it is reused: on the dev VM a page fault costs ~15 us, and 24 in flight cost
 * ~1,000 more faults.
 */
const MAX_IN_FLIGHT = 8;

export interface ThreadedOptions {
  config: Config;
  /** The trace's name in messages (TraceInfo.path, known before it is opened). */
  file: string;
  backends: BackendChoice[];
  workers: number;
  strict: boolean;
  timeline?: TimelineOptions;
  onWarning?: (warning: string) => void;
  onProgress?: (events: number) => void;
}

interface Lane {
  worker: Worker;
  labels: string[];
  indices: number[];
  inFlight: number;
  /** Each batch sent and not yet acknowledged, oldest first: its end event and its buffer. */
  sentBatches: { end: number; buffer: ArrayBufferLike }[];
  /** Events this lane has replayed: no warning can come from it for an earlier event. */
  done: number;
  result: Promise<FromWorker & { type: 'done' | 'failed' }>;
}

/** The built worker (a bundle: see scripts/bundle.mjs); the same file under vitest. */
export function backendWorkerFile(): URL {
  return packageUrl('dist/engine/backend-worker.js');
}

/**
 * Starts the workers, then opens the trace with `open` (so they boot while it opens) and replays
 * it. Returns the opened trace with the outcome.
 */
export async function replayInWorkers<T extends { info: TraceInfo; batches: AsyncIterable<EventBatch> }>(
  open: () => Promise<T>, o: ThreadedOptions,
): Promise<{ trace: T; outcome: EngineOutcome }> {
  const url = backendWorkerFile();
  if (!existsSync(fileURLToPath(url))) {
    throw new CdmError(`engine: worker code ${fileURLToPath(url)} is missing: run \`npm run build\``, ExitCode.internal);
  }
  const warnings: { text: string; event: number; run: number }[] = [];
  let wake: (() => void) | null = null;
  const lanes: Lane[] = [];
  // Backends go round-robin, so each lane gets a similar share of the work.
  for (let k = 0; k < o.backends.length; k++) {
    if (k < o.workers) lanes.push({ worker: null as unknown as Worker, labels: [], indices: [], inFlight: 0, sentBatches: [], done: 0, result: null as never });
    const lane = lanes[k % o.workers];
    lane.labels.push(o.backends[k].label);
    lane.indices.push(k);
  }
  let failed = false;
  // Batch buffers are shared with the workers (a copy per lane would be fresh memory in each
  // worker: 2M events, all four backends on two lanes, ~31K page faults more). A buffer returns
  // to `spare` once every lane has acknowledged it, and the reader's batches go on in it.
  const spare: SharedArrayBuffer[] = [];
  const readers = new Map<SharedArrayBuffer, number>(); // lanes still reading each lent buffer
  // Warnings print in the in-thread engine's order: (event, backend), each once every lane has
  // passed its event, so none can still arrive ahead of it.
  let printed = 0;
  const byEvent = (a: { event: number; run: number }, b: { event: number; run: number }) => a.event - b.event || a.run - b.run;
  /** Prints the warnings up to event `upTo` and, at that event, up to backend `run`, in order. */
  const printWarnings = (upTo: number, run: number) => {
    warnings.sort(byEvent);
    for (; printed < warnings.length; printed++) {
      const w = warnings[printed];
      if (w.event > upTo || (w.event === upTo && w.run > run)) break;
      o.onWarning?.(w.text);
    }
  };
  const passed = () => Math.min(...lanes.map((l) => l.done)) - 1; // every lane is past this event
  for (const lane of lanes) {
    const worker = new Worker(url);
    lane.worker = worker;
    lane.result = new Promise((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ack') {
          lane.inFlight--;
          const sentBatch = lane.sentBatches.shift();
          const end = sentBatch?.end ?? lane.done;
          if (sentBatch && sentBatch.buffer instanceof SharedArrayBuffer) {
            const left = (readers.get(sentBatch.buffer) ?? 1) - 1;
            if (left > 0) readers.set(sentBatch.buffer, left);
            else {
              readers.delete(sentBatch.buffer);
              spare.push(sentBatch.buffer);
            }
          }
          // A stopped lane never passes its error: later warnings of other lanes wait for the end.
          if (m.failed) failed = true; // the earliest error is already among the events sent
          else lane.done = end;
          printWarnings(passed(), Infinity);
          wake?.();
        } else if (m.type === 'warning') {
          warnings.push(m);
        } else {
          if (m.type === 'failed') failed = true;
          resolve(m);
        }
      });
      // A crashed worker also wakes the reader, which then stops feeding.
      const crash = (e: Error) => { failed = true; wake?.(); reject(e); };
      worker.on('error', crash);
      worker.on('exit', (code) => crash(new Error(`engine: a backend worker exited (code ${code}) before finishing`)));
      worker.on('messageerror', crash);
    });
    // Awaited only after the read loop: until then a crash must not count as unhandled.
    lane.result.catch(() => undefined);
    worker.postMessage({ type: 'init', init: { config: o.config, labels: lane.labels, indices: lane.indices, file: o.file, strict: o.strict, timeline: o.timeline } });
  }
  let trace: T;
  try {
    trace = await open();
  } catch (e) {
    for (const lane of lanes) void lane.worker.terminate();
    throw e;
  }

  const counter = new EventCounter(o.config.timing.eventNs, o.config.pageSize);
  let sentStrings = 0;
  let readError: unknown = null;
  /**
   * Sends the batch's events to every lane: its buffer itself, the reader going on in a spare one.
   * Only the reader's first buffer is not shared: it goes to the last lane, the others get a copy.
   */
  const send = async (b: EventBatch) => {
    const strings = trace.info.strings.slice(sentStrings);
    sentStrings = trace.info.strings.length;
    const count = b.count;
    const found = spare.findIndex((x) => x.byteLength === b.buffer.byteLength);
    const buffer = b.swapBuffer(found >= 0 ? spare.splice(found, 1)[0] : new SharedArrayBuffer(b.buffer.byteLength));
    const shared = buffer instanceof SharedArrayBuffer;
    if (shared) readers.set(buffer, lanes.length);
    lanes.forEach((lane, k) => {
      const transfer = !shared && k === lanes.length - 1 ? [buffer as ArrayBuffer] : [];
      lane.worker.postMessage({ type: 'batch', first: sent, count, capacity: b.capacity, strings, buffer }, transfer);
      lane.inFlight++;
      lane.sentBatches.push({ end: sent + count, buffer });
    });
    sent += count;
    while (!failed && lanes.some((l) => l.inFlight > MAX_IN_FLIGHT)) await new Promise<void>((r) => { wake = r; });
    wake = null;
  };
  let sent = 0;
  try {
    for await (const b of trace.batches) {
      if (failed) break;
      // Before send() takes the events away. The counts are the reader's: the workers are the
      // slower side (the reader waits on them), and it keeps the lanes even.
      counter.add(b);
      if (b.count > 0) await send(b);
      o.onProgress?.(counter.events);
    }
  } catch (e) {
    readError = e; // reported only if no backend failed on an earlier event
  }
  // The whole batches read before the end (or a read error) are replayed, as in one thread.
  for (const lane of lanes) lane.worker.postMessage({ type: 'finish' });
  const results = await Promise.all(lanes.map((l) => l.result)).finally(() => {
    for (const lane of lanes) void lane.worker.terminate();
  });

  const errors = results.flatMap((r) => (r.type === 'failed' ? [r.error] : []));
  if (errors.length) {
    // As in one thread: the warnings raised before the earliest error (its own run's at that
    // event included: they came before the throw), then that error.
    errors.sort(byEvent);
    printWarnings(errors[0].event, errors[0].run);
    throw rebuild(errors[0]);
  }
  printWarnings(Infinity, Infinity);
  if (readError) throw readError;
  const sections: Record<string, unknown>[] = new Array<Record<string, unknown>>(o.backends.length);
  results.forEach((r, k) => {
    if (r.type !== 'done') return;
    r.sections.forEach((s, j) => { sections[lanes[k].indices[j]] = s; });
  });
  return { trace, outcome: { sections, warnings: warnings.map((w) => w.text), ...counter.totals() } };
}

/** The error a worker reported, as the class the in-thread engine would have thrown. */
function rebuild(e: WorkerError): Error {
  if (e.kind === 'trace' && e.fields) return new TraceDataError(...e.fields);
  if (e.kind === 'cdm') {
    if (e.name === 'UsageError') return new UsageError(e.message);
    if (e.name === 'ConfigError') return new ConfigError(e.message);
    return new CdmError(e.message, e.exitCode ?? ExitCode.internal);
  }
  const err = new Error(e.message);
  if (e.stack) err.stack = e.stack;
  return err;
}
