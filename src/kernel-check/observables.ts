// The observables kernel and simulator share, read off a KernelObservation and a report@1 backend
// section. Every value is a delta around the replay (the guest snapshots right before the first
// event and after the last; the simulator starts empty), in pages or events.
import type { BackendReport } from '../report/schema.js';
import type { KernelObservation } from './observation.js';

export type Group = 'vmstat' | 'numastat' | 'placement' | 'accounting' | 'memcg' | 'fallback' | 'device';

/** How a spill of `shift` more pages from node A to node B (allocating CPU on node C) moves a value. */
export type SpillEffect = (a: number, b: number, c: number | null) => number;

export interface Observable {
  id: string;
  group: Group;
  kernel: number;
  sim: number;
  /** Timing-driven mechanisms (NUMA balancing, kswapd) change it. */
  timing: boolean;
  /** Where default-policy allocations fall back changes it. */
  spill?: SpillEffect;
  /** A count of events (kills, skipped events, memory.events), judged exactly, not within ±2 pages. */
  count?: boolean;
  /** Extra pages of tolerance for a documented kernel mechanism the simulator leaves out. */
  slack?: number;
  /** Documented corrections added to the simulator's value: { pages, why }. */
  adjust?: { pages: number; why: string }[];
}

const PAGE = 4096;
const kib = (v: number | undefined): number => Math.round((v ?? 0) / 4);

/** Shown always (DESIGN's counters of interest), then any other shared counter that moved. */
const CORE_VMSTAT: readonly string[] = [
  'numa_hit', 'numa_miss', 'numa_foreign', 'numa_local', 'numa_other', 'numa_interleave',
  'pgalloc', 'pgfree', 'pgfault', 'nr_anon_pages', 'nr_page_table_pages',
  'pgmigrate_success', 'pgmigrate_fail', 'numa_pages_migrated', 'numa_hint_faults', 'numa_hint_faults_local',
  'numa_pte_updates', 'oom_kill', 'pswpout',
];
const EXTRA_VMSTAT: readonly string[] = [
  'nr_mlock', 'unevictable_pgs_mlocked', 'unevictable_pgs_munlocked', 'nr_anon_transparent_hugepages',
  'thp_fault_alloc', 'thp_fault_fallback', 'thp_migration_success', 'thp_migration_fail', 'pgmajfault',
  'pgscan_kswapd', 'pgsteal_kswapd', 'pgscan_direct', 'pgsteal_direct', 'pgdemote_kswapd', 'pgdemote_direct',
  'pgpromote_success', 'pswpin',
];
/** Counters a timing-driven mechanism cannot move: allocation totals by kind, kills, policy counts. */
const NOT_TIMING = new Set(['numa_interleave', 'nr_anon_pages', 'nr_page_table_pages', 'oom_kill', 'nr_mlock',
  'unevictable_pgs_mlocked', 'unevictable_pgs_munlocked', 'thp_fault_alloc', 'thp_fault_fallback', 'nr_anon_transparent_hugepages']);

const one = (cond: boolean): number => (cond ? 1 : 0);
/** vmstat totals under a spill A -> B (zone_statistics(): hit/miss by preferred node, local/other by CPU). */
const VMSTAT_SPILL: Record<string, SpillEffect> = {
  numa_hit: () => -1,
  numa_miss: () => 1,
  numa_foreign: () => 1,
  numa_local: (a, b, c) => one(c === b) - one(c === a),
  numa_other: (a, b, c) => one(c !== b) - one(c !== a),
};
const NUMASTAT_SPILL: Record<string, (n: number) => SpillEffect> = {
  numa_hit: (n) => (a) => -one(n === a),
  numa_miss: (n) => (_a, b) => one(n === b),
  numa_foreign: (n) => (a) => one(n === a),
  local_node: (n) => (a, b, c) => one(n === b && c === b) - one(n === a && c === a),
  other_node: (n) => (a, b, c) => one(n === b && c !== b) - one(n === a && c !== a),
};

function kernelVmstat(obs: KernelObservation, name: string): number {
  const d = obs.vmstat_delta;
  if (name === 'pgalloc') return Object.entries(d).filter(([k]) => k.startsWith('pgalloc_')).reduce((s, [, v]) => s + v, 0);
  return d[name] ?? 0;
}

function simVmstat(b: BackendReport, name: string): number {
  if (name === 'pgalloc') return Object.entries(b.vmstat).filter(([k]) => k.startsWith('pgalloc_')).reduce((s, [, v]) => s + v, 0);
  return b.vmstat[name] ?? 0;
}

/**
 * A worker that exits or is OOM-killed frees the replayer's own pages with it (its pretouched
 * stack and buffers: status_kB_baseline) inside the window; the simulator never had them.
 */
function deadReplayerPages(obs: KernelObservation): { anon: number; pte: number } {
  let anon = 0, pte = 0;
  for (const p of obs.processes) {
    if (p.state === 'running' || !p.status_kB_baseline) continue;
    // Private (smaps_rollup) is exactly what the death frees; older guests only had RssAnon.
    anon += kib(p.status_kB_baseline.Private ?? p.status_kB_baseline.RssAnon);
    pte += kib(p.status_kB_baseline.VmPTE);
  }
  return { anon, pte };
}

export function vmstatObservables(obs: KernelObservation, b: BackendReport): Observable[] {
  const dead = deadReplayerPages(obs);
  const why = 'the replayer\'s own pages of exited/killed workers (status_kB_baseline)';
  const adjust: Record<string, { pages: number; why: string }[]> = {
    nr_anon_pages: dead.anon ? [{ pages: -dead.anon, why }] : [],
    nr_page_table_pages: dead.pte ? [{ pages: -dead.pte, why }] : [],
    pgfree: dead.anon + dead.pte ? [{ pages: dead.anon + dead.pte, why }] : [],
  };
  const names = [...CORE_VMSTAT, ...EXTRA_VMSTAT.filter((n) => kernelVmstat(obs, n) !== 0 || simVmstat(b, n) !== 0)];
  return names.map((name): Observable => ({
    id: `vmstat.${name}`,
    group: 'vmstat' as const,
    kernel: kernelVmstat(obs, name),
    sim: simVmstat(b, name),
    timing: !NOT_TIMING.has(name),
    count: name === 'oom_kill' || name.startsWith('thp_'),
    spill: VMSTAT_SPILL[name],
    adjust: adjust[name],
  }));
}

export function numastatObservables(obs: KernelObservation, b: BackendReport): Observable[] {
  const out: Observable[] = [];
  for (const sn of b.nodes) {
    const kn = obs.nodes.find((n) => n.node === sn.id);
    for (const key of ['numa_hit', 'numa_miss', 'numa_foreign', 'interleave_hit', 'local_node', 'other_node']) {
      out.push({
        id: `node${sn.id}.${key}`,
        group: 'numastat',
        kernel: kn?.numastat_delta[key] ?? 0,
        sim: (sn.numastat as Record<string, number>)[key] ?? 0,
        timing: key !== 'interleave_hit',
        spill: NUMASTAT_SPILL[key]?.(sn.id),
      });
    }
  }
  return out;
}

/** The trace's resident pages per node at the end (per-page move_pages query in the guest). */
function kernelPagesByNode(obs: KernelObservation): Map<number, number> {
  const by = new Map<number, number>();
  for (const p of obs.processes)
    for (const m of p.snapshot?.mappings ?? [])
      for (const [node, n] of Object.entries(m.nodes)) {
        const id = Number(node);
        if (id >= 0) by.set(id, (by.get(id) ?? 0) + n);
      }
  return by;
}

/**
 * report@1 has resident pages per node *kind* only (accounting.resident_ram/device_pages), so a
 * per-node row exists where a kind has exactly one node; `used_pages_end` would include page tables.
 */
export function placementObservables(obs: KernelObservation, b: BackendReport, kinds: Map<number, 'cpu' | 'device'>): Observable[] {
  const k = kernelPagesByNode(obs);
  const out: Observable[] = [];
  const byKind = (kind: 'cpu' | 'device'): number[] => [...kinds].filter(([, v]) => v === kind).map(([id]) => id);
  for (const [kind, field] of [['cpu', 'resident_ram_pages'], ['device', 'resident_device_pages']] as const) {
    const ids = byKind(kind);
    if (ids.length !== 1) continue;
    const id = ids[0];
    out.push({ id: `pages.node${id}`, group: 'placement', kernel: k.get(id) ?? 0, sim: b.accounting[field], timing: true, spill: (a, bb) => one(id === bb) - one(id === a) });
  }
  out.push({ id: 'pages.total', group: 'placement', kernel: [...k.values()].reduce((s, v) => s + v, 0), sim: b.accounting.resident_pages, timing: false });
  return out;
}

export function accountingObservables(obs: KernelObservation, b: BackendReport): Observable[] {
  let vmrss = 0, numaMaps = 0, killed = 0, skipped = 0;
  for (const p of obs.processes) {
    if (p.state === 'killed') killed++;
    skipped += p.skipped_after_kill;
    if (!p.snapshot) continue;
    vmrss += kib(p.snapshot.status_kB.VmRSS) - kib(p.status_kB_baseline?.VmRSS);
    for (const line of p.snapshot.numa_maps) for (const m of line.matchAll(/ N\d+=(\d+)/g)) numaMaps += Number(m[1]);
  }
  const row = (id: string, kernel: number, sim: number, count = false): Observable => ({ id, group: 'accounting', kernel, sim, timing: false, count });
  return [
    row('accounting.vmrss_pages', vmrss, b.accounting.vmrss_pages),
    row('accounting.numa_maps_pages', numaMaps, b.accounting.numa_maps_pages),
    // report@1 oom_kills counts global OOM kills only; vmstat oom_kill counts memcg kills too.
    row('processes.killed', killed, b.vmstat.oom_kill ?? 0, true),
    row('processes.skipped_after_kill', skipped, b.skipped_after_kill, true),
  ];
}

/**
 * A charge takes MEMCG_CHARGE_BATCH (64) pages from the counter at once and keeps the surplus in a
 * per-CPU stock (mm/memcontrol.c try_charge_memcg(), refill_stock()); memory.current and
 * memory.peak include it until it is drained, the simulator charges page by page.
 */
export const MEMCG_STOCK_PAGES = 63;

/** memory.current/peak/stat anon in pages; memory.events max and oom_kill as counts. */
export function memcgObservables(obs: KernelObservation, b: BackendReport): Observable[] {
  const out: Observable[] = [];
  for (const g of obs.memcgs) {
    const s = b.accounting.memcg.find((m) => m.path === g.path) as (Record<string, unknown> & { path: string }) | undefined;
    const sim = (key: string): number => (typeof s?.[key] === 'number' ? (s[key] as number) : 0);
    const bytes = (v: number | 'max' | null): number => (typeof v === 'number' ? Math.round(v / PAGE) : 0);
    const row = (key: string, kernel: number, simKey: string, slack?: number): Observable =>
      ({ id: `memcg.${g.path}.${key}`, group: 'memcg', kernel, sim: sim(simKey), timing: false, count: key.startsWith('events.'), ...(slack ? { slack } : {}) });
    out.push(row('current', bytes(g.current), 'current_pages', MEMCG_STOCK_PAGES));
    if (s && 'peak_pages' in s) out.push(row('peak', bytes(g.peak), 'peak_pages', MEMCG_STOCK_PAGES));
    if (s && 'anon_pages' in s) out.push(row('anon', Math.round((g.stat.anon ?? 0) / PAGE), 'anon_pages'));
    out.push(row('events.max', g.events.max ?? 0, 'max_events'));
    out.push(row('events.oom_kill', g.events.oom_kill ?? 0, 'oom_events'));
  }
  return out;
}
