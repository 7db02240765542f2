// Worker-thread entry (built to dist/engine/backend-worker.js): replays the batches the main
// thread reads through this worker's share of the backends (threads.ts), acknowledging each
// batch, and returns their report sections at the end. The first error stops this worker's runs
// and goes back with the event and run it happened in, so the main thread reports the earliest.
import { parentPort } from 'node:worker_threads';
import { parseBackendList } from '../backends/registry.js';
import { CdmError, TraceDataError } from '../errors.js';
import { EventBatch } from '../trace/events.js';
import { applyBatch, backendSection, createRun, newCursor, startTimelines, type BackendRun, type Cursor } from './runs.js';
import type { FromWorker, ToWorker, WorkerError, WorkerInit } from './thread-protocol.js';

const port = parentPort;
if (!port) throw new Error('backend worker: not started as a worker thread');
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

let init: WorkerInit | null = null;
/** The backends' report positions, known before `init` finishes (for errors while building). */
let indices: number[] = [];
let runs: BackendRun[] = [];
const strings: string[] = [];
const cursor: Cursor = newCursor();
let failed: WorkerError | null = null;

function describe(e: unknown): WorkerError {
  const at = { event: cursor.event, run: indices[cursor.run] ?? 0 };
  if (e instanceof TraceDataError) {
    return { ...at, kind: 'trace', message: e.message, exitCode: e.exitCode, fields: [e.file, e.location, e.field, e.value, e.expected] };
  }
  if (e instanceof CdmError) return { ...at, kind: 'cdm', name: e.name, message: e.message, exitCode: e.exitCode };
  const err = e as Error;
  return { ...at, kind: 'internal', message: err?.message ?? String(e), stack: err?.stack };
}

function handle(m: ToWorker, w: WorkerInit | null): void {
  if (m.type === 'init') {
    indices = m.init.indices;
    const choices = parseBackendList(m.init.labels.join(','));
    // A backend that cannot be built fails "before event 0", as the in-thread engine would.
    cursor.event = -1;
    runs = choices.map((c, k) => {
      cursor.run = k;
      return createRun(c, indices[k], {
        config: m.init.config, file: m.init.file, strings, strict: m.init.strict, timeline: m.init.timeline,
        onWarning: (text, event, run) => post({ type: 'warning', text, event, run }),
      }, cursor);
    });
    startTimelines(cursor, runs);
    init = m.init;
    return;
  }
  if (m.type === 'batch') {
    for (const s of m.strings) strings.push(s);
    if (failed === null && w) {
      const batch = new EventBatch(m.capacity, m.buffer);
      batch.count = m.count;
      applyBatch(runs, batch, m.first, cursor);
    }
    post({ type: 'ack', failed: failed !== null });
    return;
  }
  if (failed || !w) post({ type: 'failed', error: failed ?? describe(new Error('backend worker: finish before init')) });
  else post({ type: 'done', sections: runs.map((r) => backendSection(r, false)) });
}

port.on('message', (m: ToWorker) => {
  try {
    handle(m, init);
  } catch (e) {
    failed ??= describe(e);
    if (m.type === 'batch') post({ type: 'ack', failed: true });
    else if (m.type === 'finish') post({ type: 'failed', error: failed });
  }
});
