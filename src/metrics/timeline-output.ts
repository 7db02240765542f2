// The timeline collector's buckets as the report@1 `timeline` section (plain data, stable order).
import { TRIGGERS } from '../sim/events.js';
import type { Machine } from '../sim/machine.js';
import type { Buckets } from './buckets.js';
import type { Regions } from './regions.js';

/** Counters read as running totals from the machine; a bucket gets the increase over it. */
export const TOTALS = [
  'accesses', 'remote_accesses', 'faults_cpu', 'faults_device', 'device_private_cpu_faults',
  'pages_scanned', 'pages_reclaimed', 'kswapd_wakeups', 'direct_reclaims', 'oom_kills',
] as const;
/** Counters fed by the migration log, attributed by each record's own time. */
export const C_PING_PONG = TOTALS.length;
export const C_FAILED = TOTALS.length + 1;
export const C_TRIGGER = TOTALS.length + 2;
/** Gauges after the per-node used pages (state at the bucket's end). */
export const GAUGES = ['resident_pages', 'resident_device_pages', 'vmrss_pages', 'smaps_rss_pages', 'numa_maps_pages', 'memcg_current_pages'] as const;


export interface TimelineBucket {
  start_ns: number;
  accesses: number;
  remote_accesses: number;
  faults: { cpu: number; device: number; device_private_cpu_faults: number };
  reclaim: { pages_scanned: number; pages_reclaimed: number; kswapd_wakeups: number; direct_reclaims: number };
  oom_kills: number;
  migrations: { total: number; ping_pong: number; failed: number; by_trigger: Record<string, number> };
  used_pages: Record<string, number>;
  accounting: {
    resident_pages: number; resident_device_pages: number; vmrss_pages: number;
    smaps_rss_pages: number; numa_maps_pages: number; memcg_current_pages: number;
  };
}

export interface HeatmapRow {
  /** `pid N` for private anonymous memory, `file NAME` for a page-cache or shmem object. */
  space: string;
  /** First byte of the region: a virtual address (pid) or a file offset (file), hex. */
  start: string;
}

export interface TimelineSection {
  bucket_ns: number;
  buckets: TimelineBucket[];
  heatmap: {
    region_pages: number;
    /** True when more spaces than rows were seen: the last row also holds the rest. */
    overflow: boolean;
    rows: HeatmapRow[];
    /** One string per bucket, one character per row: the id (base 36) of the node holding most of the region's pages, `.` for none. */
    cells: string[];
  };
}

export function timelineSection(m: Machine, b: Buckets, regions: Regions): TimelineSection {
  const C = b.counterCount, G = b.gaugeCount, n = m.topo.nodeCount;
  const ids = m.topo.ids;
  const order = regions.order();
  const buckets: TimelineBucket[] = [];
  const cells: string[] = [];
  for (let i = 0; i <= b.cur; i++) {
    const c = (k: number) => b.counters[i * C + k];
    const g = (k: number) => b.gauges[i * G + k];
    const byTrigger: Record<string, number> = {};
    let moved = 0;
    TRIGGERS.forEach((name, k) => {
      const v = c(C_TRIGGER + k);
      if (v > 0) byTrigger[name] = v;
      moved += v;
    });
    const used: Record<string, number> = {};
    for (let pos = 0; pos < n; pos++) used[String(ids[pos])] = g(pos);
    const total = (name: (typeof TOTALS)[number]) => c(TOTALS.indexOf(name));
    buckets.push({
      start_ns: i * b.width,
      accesses: total('accesses'),
      remote_accesses: total('remote_accesses'),
      faults: { cpu: total('faults_cpu'), device: total('faults_device'), device_private_cpu_faults: total('device_private_cpu_faults') },
      reclaim: {
        pages_scanned: total('pages_scanned'), pages_reclaimed: total('pages_reclaimed'),
        kswapd_wakeups: total('kswapd_wakeups'), direct_reclaims: total('direct_reclaims'),
      },
      oom_kills: total('oom_kills'),
      migrations: { total: moved, ping_pong: c(C_PING_PONG), failed: c(C_FAILED), by_trigger: byTrigger },
      used_pages: used,
      accounting: {
        resident_pages: g(n), resident_device_pages: g(n + 1), vmrss_pages: g(n + 2),
        smaps_rss_pages: g(n + 3), numa_maps_pages: g(n + 4), memcg_current_pages: g(n + 5),
      },
    });
    const col = b.column(i);
    cells.push(order.map((r) => (col[r] < 0 ? '.' : ids[col[r]].toString(36))).join(''));
  }
  const fileNames = new Map([...m.files.entries()].map(([name, id]) => [-(id + 1), name]));
  const regionPages = 2 ** regions.shift;
  const rows = order.map((r): HeatmapRow => {
    const space = regions.space[r];
    const start = `0x${(BigInt(regions.key[r]) * BigInt(regionPages) * BigInt(m.pageSize)).toString(16)}`;
    return { space: space >= 0 ? `pid ${space}` : `file ${fileNames.get(space) ?? `#${-space - 1}`}`, start };
  });
  return { bucket_ns: b.width, buckets, heatmap: { region_pages: regionPages, overflow: regions.overflow, rows, cells } };
}
