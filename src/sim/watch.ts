// Watching pages for `cdm-replay explain`: the core reports what happens to the watched pages
// (allocation and why, touches, NUMA scans and hint faults, migrations, reclaim, free) into a small
// log. Off (null) in normal replays; every hook is one null check.
import type { Machine } from './machine.js';

export interface WatchEvent {
  t: number;
  /** alloc | numa-scan | hint-fault | migrate | migrate-failed | free | swap-in */
  what: string;
  page: string;
  detail: Record<string, string | number | boolean>;
}

/** Allocation context the allocator leaves for the watcher (set on every allocation, read rarely). */
export const ALLOC_PATHS = ['fast path, above the low watermark', 'slow path, after waking kswapd (min watermark)',
  'slow path, after direct reclaim', 'slow path, after an OOM kill'] as const;

export class PageWatch {
  readonly events: WatchEvent[] = [];
  /** Page slots currently backing a watched address. */
  readonly slots = new Set<number>();
  /** Touches per agent name. */
  readonly touches = new Map<string, number>();
  firstTouchNs = -1;
  lastTouchNs = -1;

  constructor(readonly pid: number, readonly lo: number, readonly hi: number, readonly pageSize: number) {}

  watches(space: number, index: number): boolean {
    return space === this.pid && index >= this.lo && index < this.hi;
  }

  addr(index: number): string {
    return `0x${(index * this.pageSize).toString(16)}`;
  }

  log(m: Machine, what: string, s: number, detail: WatchEvent['detail']): void {
    this.events.push({ t: m.now, what, page: this.addr(m.pages.kind[s] === 1 ? m.pages.index[s] : this.vpnOf(m, s)), detail });
  }

  /** The watched virtual page a (possibly file-backed) slot is mapped at. */
  vpnOf(m: Machine, s: number): number {
    for (let v = this.lo; v < this.hi; v++) if (m.ptes.get(this.pid, v) === s) return v;
    return m.pages.index[s];
  }

  touched(agent: string, now: number): void {
    this.touches.set(agent, (this.touches.get(agent) ?? 0) + 1);
    if (this.firstTouchNs < 0) this.firstTouchNs = now;
    this.lastTouchNs = now;
  }
}
