// Messages between the engine's main thread (threads.ts) and its backend workers
// (backend-worker.ts). Batches travel as copies of their used prefix, field by field.
import type { Config } from '../config/index.js';
import type { TimelineOptions } from '../metrics/timeline.js';

/** EventBatch's arrays, in the order a batch message carries them. */
export const BATCH_FIELDS = [
  'op', 'addrHi', 'addrLo', 'len', 'time', 'pid', 'tid', 'agent', 'kind', 'policy', 'nodes', 'flags', 'memcg', 'file', 'line', 'weight',
] as const;

export interface WorkerInit {
  config: Config;
  /** Backend labels this worker runs and their positions in the report. */
  labels: string[];
  indices: number[];
  file: string;
  strict: boolean;
  timeline?: TimelineOptions;
}

export type ToWorker =
  | { type: 'init'; init: WorkerInit }
  /** `first`: the trace index of the batch's first event; `strings`: strings interned since the last batch. */
  | { type: 'batch'; first: number; count: number; strings: string[]; arrays: ArrayBufferView[] }
  | { type: 'finish' };

/** An error thrown while applying event `event` to the backend at report position `run`. */
export interface WorkerError {
  event: number;
  run: number;
  kind: 'trace' | 'cdm' | 'internal';
  message: string;
  exitCode?: number;
  name?: string;
  /** TraceDataError's constructor arguments. */
  fields?: [string, string, string, string, string];
  stack?: string;
}

export type FromWorker =
  /** A batch replayed; `failed`: this worker has stopped at an error. */
  | { type: 'ack'; failed: boolean }
  | { type: 'warning'; text: string; event: number; run: number }
  | { type: 'done'; sections: Record<string, unknown>[]; touched: number }
  | { type: 'failed'; error: WorkerError };
