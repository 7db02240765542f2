// Messages between the engine's main thread (threads.ts) and its backend workers
// (backend-worker.ts). Events travel packed, several reader batches to a message.
import type { Config } from '../config/index.js';
import type { TimelineOptions } from '../metrics/timeline.js';

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
  /**
   * `count` events in `buffer`, an EventBatch buffer of `capacity` events (shared: the worker
   * only reads it, and the reader reuses it once every worker has acknowledged it); `first`: the
   * trace index of the first; `strings`: strings the reader interned since the last batch.
   */
  | { type: 'batch'; first: number; count: number; capacity: number; strings: string[]; buffer: ArrayBufferLike }
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
  /** A batch replayed (its buffer no longer read); `failed`: this worker stopped at an error. */
  | { type: 'ack'; failed: boolean }
  | { type: 'warning'; text: string; event: number; run: number }
  | { type: 'done'; sections: Record<string, unknown>[] }
  | { type: 'failed'; error: WorkerError };
