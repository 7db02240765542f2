// The report's `timeline` (when and where): an observer that reads the core's existing counters at
// bucket boundaries in trace time and one page scan per sample for the placement heatmap and the
// kernel's page-walk views (smaps, numa_maps). The mm core knows nothing of it; the engine calls
// `advance(t)` only when an event reaches `nextBoundary`, so a replay without a timeline pays one
// comparison against Infinity per event.
//
// Cost: one sample per bucket close. With the limit N, each doubling of the width adds at most N/2
// closes, and the scans in the last doublings dominate: about N scans of the resident pages in
// all, whatever the trace length; each scan is three array reads per page slot.
import { EV } from '../sim/vmstat.js';
import { TRIGGERS } from '../sim/events.js';
import type { Machine } from '../sim/machine.js';
import { Rss } from '../sim/mm.js';
import { Buckets } from './buckets.js';
import type { MetricsCollector } from './collect.js';
import { Regions } from './regions.js';
import { C_FAILED, C_PING_PONG, C_TRIGGER, GAUGES, TOTALS, timelineSection, type TimelineSection } from './timeline-output.js';

export interface TimelineOptions {
  /** Most buckets kept (even, >= 2); the report has between half of it and all of it. */
  buckets: number;
  /** Width of a bucket before any merge, ns. */
  initialBucketNs?: number;
  /** Most heatmap rows (address regions). */
  heatmapRows?: number;
}

export const DEFAULT_TIMELINE_BUCKETS = 256;
export const DEFAULT_HEATMAP_ROWS = 256;
const INITIAL_BUCKET_NS = 1024;

export class TimelineCollector {
  readonly buckets: Buckets;
  readonly regions: Regions;
  private readonly totals = new Float64Array(TOTALS.length);
  private readonly last = new Float64Array(TOTALS.length);
  private readonly nodes: number;
  private counts: Int32Array;
  // Per zone / node position: whether smaps / numa_maps count a page there (asked once, not per page).
  private readonly smapsZone: Uint8Array;
  private readonly numaMapsNode: Uint8Array;
  private readonly deviceNode: Uint8Array;

  constructor(private readonly m: Machine, metrics: MetricsCollector, o: TimelineOptions) {
    this.nodes = m.topo.nodeCount;
    const rows = o.heatmapRows ?? DEFAULT_HEATMAP_ROWS;
    this.buckets = new Buckets(o.buckets, o.initialBucketNs ?? INITIAL_BUCKET_NS, C_TRIGGER + TRIGGERS.length, this.nodes + GAUGES.length, rows);
    this.counts = new Int32Array(rows * this.nodes);
    this.regions = new Regions(rows, (map) => {
      this.buckets.remapRows(map, rows);
      const merged = new Int32Array(this.counts.length);
      for (let r = 0; r < map.length && r * this.nodes < this.counts.length; r++) {
        for (let k = 0; k < this.nodes; k++) merged[map[r] * this.nodes + k] += this.counts[r * this.nodes + k];
      }
      this.counts = merged;
    });
    this.smapsZone = Uint8Array.from(m.topo.zoneNode, (pos, z) => (m.design.smapsSees?.(pos, z) ?? true ? 1 : 0));
    this.numaMapsNode = Uint8Array.from(m.topo.ids, (id, pos) => (m.design.numaMapsSees(id, m.topo.inNMemory[pos]) ? 1 : 0));
    this.deviceNode = Uint8Array.from(m.spec.nodes, (nd) => (nd.kind === 'device' ? 1 : 0));
    metrics.onMigration = (time, trigger, failed, pingPong) => {
      if (failed) this.buckets.addCounter(time, C_FAILED, 1);
      else this.buckets.addCounter(time, C_TRIGGER + trigger, 1);
      if (pingPong) this.buckets.addCounter(time, C_PING_PONG, 1);
    };
  }

  get nextBoundary(): number {
    return this.buckets.nextBoundary;
  }

  /** An event at time t >= nextBoundary: close the open bucket with the state before it. */
  advance(t: number): void {
    this.sample();
    this.buckets.advance(t);
  }

  /** The section for the report; call after the metrics collector's finish (final log flush). */
  finish(): TimelineSection {
    this.sample();
    return timelineSection(this.m, this.buckets, this.regions);
  }

  private sample(): void {
    const m = this.m, b = this.buckets, t = this.totals;
    const ev = m.counters.ev;
    t[0] = sum(m.agentAccesses);
    t[1] = sum(m.agentRemote);
    t[2] = m.faultsCpu;
    t[3] = m.faultsDevice;
    t[4] = m.deviceFaultBacks;
    t[5] = ev[EV.pgscan_kswapd] + ev[EV.pgscan_direct];
    t[6] = ev[EV.pgsteal_kswapd] + ev[EV.pgsteal_direct];
    t[7] = m.kswapdWakeups;
    t[8] = m.directReclaims;
    t[9] = m.oomKills;
    const C = b.counterCount;
    for (let k = 0; k < TOTALS.length; k++) {
      b.counters[b.cur * C + k] += t[k] - this.last[k];
      this.last[k] = t[k];
    }
    const g = b.gauges.subarray(b.cur * b.gaugeCount, (b.cur + 1) * b.gaugeCount);
    for (let pos = 0; pos < this.nodes; pos++) {
      let used = 0;
      for (const z of m.topo.nodeZones[pos]) used += m.topo.managed[z] - m.topo.free[z];
      g[pos] = used;
    }
    let vmrss = 0;
    for (const mm of m.mms.values()) if (!mm.exited) vmrss += mm.rss[Rss.ANON] + mm.rss[Rss.FILE] + mm.rss[Rss.SHMEM];
    const n = this.nodes;
    g[n + 2] = vmrss;
    g[n + 5] = m.memcgs.list[0].usage;
    this.scan(g);
    b.sampled[b.cur] = 1;
  }

  /** One pass over the page slots: heatmap column, resident pages, smaps and numa_maps views. */
  private scan(g: Float64Array): void {
    const m = this.m, p = m.pages, n = this.nodes;
    this.counts.fill(0);
    let resident = 0, device = 0, smaps = 0, numaMaps = 0;
    // The hot loop of a sample: typed arrays in locals, the region cache checked inline.
    const regions = this.regions;
    regions.fit(p);
    const node = p.node, space = p.space, index = p.index, mapcount = p.mapcount, zone = p.zone;
    const cSpace = regions.cSpace, cIndex = regions.cIndex, cRegion = regions.cRegion;
    const isDevice = this.deviceNode, smapsZone = this.smapsZone, numaMapsNode = this.numaMapsNode;
    let counts = this.counts;
    for (let s = 0, high = p.high; s < high; s++) {
      const nd = node[s];
      if (nd < 0) continue;
      resident++;
      device += isDevice[nd];
      let r = cRegion[s];
      if (r < 0 || cSpace[s] !== space[s] || cIndex[s] !== index[s]) {
        r = regions.miss(p, s);
        counts = this.counts; // a coarsening merges the counts into a new array
      }
      counts[r * n + nd]++;
      const mc = mapcount[s];
      if (mc > 0) {
        if (smapsZone[zone[s]] === 1) smaps += mc;
        if (numaMapsNode[nd] === 1) numaMaps += mc;
      }
    }
    g[n] = resident;
    g[n + 1] = device;
    g[n + 3] = smaps;
    g[n + 4] = numaMaps;
    const col = this.buckets.column();
    col.fill(-1);
    for (let r = 0; r < this.regions.count; r++) {
      let best = -1, bestCount = 0;
      for (let k = 0; k < n; k++) {
        const c = this.counts[r * n + k];
        if (c > bestCount) { best = k; bestCount = c; }
      }
      col[r] = best;
    }
  }
}

/** Advances every backend's timeline to time t; returns the next boundary (the same for all). */
export function advanceTimelines(timelines: TimelineCollector[], t: number): number {
  let next = Infinity;
  for (const tl of timelines) {
    tl.advance(t);
    next = Math.min(next, tl.nextBoundary);
  }
  return next;
}

const sum = (a: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
};
