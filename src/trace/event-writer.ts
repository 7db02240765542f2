// Filling EventBatches from the foreign-format readers (DAMON, Nsight Systems, KFD): one event at
// a time from already-parsed values, with trace@1's rules for time (rebased so the first event is
// 0, never decreasing) and the batch columns those formats never set left at their defaults.
import { TraceDataError } from '../errors.js';
import { EventBatch, NONE, type ReadOptions, type TraceInfo } from './events.js';
import { TimeRebaser } from './csv-rules.js';

const NS = 1_000_000_000n;
const LO32 = 0xffffffffn;

/** One event as a reader parsed it. */
export interface Ev {
  op: number;
  /** Byte address, 0 <= addr < 2^64. */
  addr: bigint;
  /** Bytes, or NaN for the op's default (the page holding addr). */
  len: number;
  /** Absolute time in ns (the recorder's clock); rebased on the way in. */
  time: bigint;
  pid: number;
  agent: number;
  /** Node bit mask (migrate), else 0. */
  nodes: number;
  /** Source line or record number, for located errors downstream. */
  line: number;
}

export class EventWriter {
  readonly batch: EventBatch;
  private readonly times = new TimeRebaser();
  /** Events whose time was raised to the previous event's (only with clampTime). */
  clamped = 0;
  private lastTime = 0;

  /**
   * `clampTime`: a time earlier than the previous event's is raised to it (and counted) instead of
   * being an error; for recorders whose event types stamp from different clocks.
   */
  constructor(private readonly info: TraceInfo, options: ReadOptions, private readonly clampTime = false) {
    this.batch = new EventBatch(options.batchSize ?? 4096);
  }

  get full(): boolean {
    return this.batch.count >= this.batch.capacity;
  }

  /** Appends one event; the caller yields `take()` whenever `full`. `where` locates a time error. */
  add(e: Ev, where: string): void {
    const b = this.batch;
    const n = b.count;
    b.op[n] = e.op;
    b.addrHi[n] = Number((e.addr >> 32n) & LO32);
    b.addrLo[n] = Number(e.addr & LO32);
    b.len[n] = e.len;
    b.pid[n] = e.pid;
    b.tid[n] = NONE;
    b.agent[n] = e.agent;
    b.kind[n] = 0;
    b.policy[n] = 0;
    b.nodes[n] = e.nodes;
    b.flags[n] = 0;
    b.memcg[n] = NONE;
    b.file[n] = NONE;
    b.line[n] = e.line;
    b.weight[n] = 1;
    let t = this.times.rebase(Number(e.time / NS), Number(e.time % NS));
    if (t < 0) {
      if (!this.clampTime) {
        throw new TraceDataError(this.info.path, where, 'time', e.time.toString(),
          `is not non-decreasing (expected >= ${this.times.previous()}, the previous event's time)`);
      }
      this.clamped++;
      t = this.lastTime;
    }
    if (this.info.startTime === null) this.info.startTime = this.times.start;
    b.time[n] = t;
    this.lastTime = t;
    b.count = n + 1;
  }

  /** The batch to yield; counts its events into info. Reset with `batch.count = 0` after use. */
  take(): EventBatch {
    this.info.events += this.batch.count;
    return this.batch;
  }
}

/** Adds one to info.skipped[reason]. */
export function skip(info: TraceInfo, reason: string, n = 1): void {
  info.skipped[reason] = (info.skipped[reason] ?? 0) + n;
}

/** A value for an error message: long text cut to 100 characters. */
export const clipText = (s: string): string => (s.length > 100 ? `${s.slice(0, 97)}...` : s);
