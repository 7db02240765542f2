// What either engine (in-thread in replay.ts, or threads.ts) hands back for the report, and the
// trace-wide tallies both keep the same way.
import { PageMap } from '../sim/pagemap.js';
import { firstPage, pageEnd } from './apply.js';
import { Op, type EventBatch } from '../trace/events.js';

export interface EngineOutcome {
  /** Backend sections of report@1, in --backend order. */
  sections: Record<string, unknown>[];
  pagesTouched: number;
  /** Warnings raised while replaying, ordered by (event, backend). */
  warnings: string[];
  events: number;
  accesses: number;
  lastTime: number;
}

/**
 * The trace-wide tallies, from the events alone, in one pass over each batch: events, accesses
 * (weighted page touches), the last event's time (DESIGN §3 timing) and trace.pages_touched, the
 * distinct (pid, page) pairs the accesses touch. Properties of the trace: neither a backend (one
 * that OOM-kills a process early, say) nor the backend order changes them. The threaded engine
 * keeps them in the reader's thread, which waits on the workers.
 */
export class EventCounter {
  events = 0;
  private accesses = 0;
  private lastTime = 0;
  /** (pid, page / 32) -> bit mask of the 32 pages seen: one probe per access, ~0.5 B per page. */
  private readonly seen = new PageMap(256);
  private readonly shift: number;
  private readonly hiPages: number;
  private pages = 0;
  // The last group probed and its mask as this counter left it: runs of nearby pages skip the probe.
  private lastPid = -1;
  private lastKey = -1;
  private lastBits = 0;

  constructor(private readonly eventNs: number, private readonly pageSize: number) {
    this.shift = Math.log2(pageSize);
    this.hiPages = 2 ** (32 - this.shift);
  }

  add(b: EventBatch): void {
    const seen = this.seen;
    const pageSize = this.pageSize;
    for (let i = 0; i < b.count; i++) {
      const op = b.op[i];
      if (op !== Op.read && op !== Op.write && op !== Op.fault) continue;
      this.accesses += b.weight[i];
      // The pages Run.apply visits.
      const pid = b.pid[i];
      const vpn = firstPage(b, i, this.hiPages, this.shift);
      const end = pageEnd(b, i, vpn, pageSize);
      for (let p = vpn; p < end; p++) {
        const key = Math.floor(p / 32);
        const bit = 1 << (p - key * 32);
        if (key === this.lastKey && pid === this.lastPid) {
          if ((this.lastBits & bit) !== 0) continue;
        } else {
          this.lastPid = pid;
          this.lastKey = key;
        }
        const before = seen.or(pid, key, bit);
        this.lastBits = before | bit;
        if ((before & bit) === 0) this.pages++;
      }
    }
    if (b.count > 0) {
      const i = b.count - 1;
      this.lastTime = b.time[i] === b.time[i] ? b.time[i] : (this.events + i) * this.eventNs;
    }
    this.events += b.count;
  }

  totals(): { events: number; accesses: number; lastTime: number; pagesTouched: number } {
    return { events: this.events, accesses: this.accesses, lastTime: this.lastTime, pagesTouched: this.pages };
  }
}
