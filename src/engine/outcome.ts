// What either engine (in-thread in replay.ts, or threads.ts) hands back for the report, and the
// trace-wide tallies both keep the same way.
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

/** Events seen, accesses (weighted page touches) and the last event's time (DESIGN §3 timing). */
export class EventCounter {
  events = 0;
  private accesses = 0;
  private lastTime = 0;

  constructor(private readonly eventNs: number) {}

  add(b: EventBatch): void {
    for (let i = 0; i < b.count; i++) {
      const op = b.op[i];
      if (op === Op.read || op === Op.write || op === Op.fault) this.accesses += b.weight[i];
    }
    if (b.count > 0) {
      const i = b.count - 1;
      this.lastTime = b.time[i] === b.time[i] ? b.time[i] : (this.events + i) * this.eventNs;
    }
    this.events += b.count;
  }

  totals(): { events: number; accesses: number; lastTime: number } {
    return { events: this.events, accesses: this.accesses, lastTime: this.lastTime };
  }
}
