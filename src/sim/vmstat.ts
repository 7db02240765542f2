// Kernel counters under their kernel names (KERNEL-MODEL §2.10; mm/vmstat.c vmstat_text[],
// drivers/base/node.c for numastat). Counters are plain Float64Array slots bumped where the event
// happens; metrics read them at the end (no callback per event).

/** Per-node counters: numa_* (per node, summed for /proc/vmstat) and node/zone stats. */
export const NODE_STATS = [
  'numa_hit', 'numa_miss', 'numa_foreign', 'numa_interleave', 'numa_local', 'numa_other',
  'nr_free_pages', 'nr_anon_pages', 'nr_mapped', 'nr_file_pages', 'nr_shmem', 'nr_dirty',
  'nr_inactive_anon', 'nr_active_anon', 'nr_inactive_file', 'nr_active_file', 'nr_unevictable', 'nr_mlock',
  'nr_page_table_pages', 'nr_swapcached', 'nr_anon_transparent_hugepages',
  'pgpromote_success', 'pgpromote_candidate', 'pgdemote_kswapd', 'pgdemote_direct', 'pgdemote_khugepaged',
] as const;
export type NodeStatName = (typeof NODE_STATS)[number];

/** Global event counters (vm_event_item). */
export const EVENTS = [
  'pgpgin', 'pgpgout', 'pswpin', 'pswpout',
  'pgalloc_dma', 'pgalloc_dma32', 'pgalloc_normal', 'pgalloc_movable', 'pgalloc_device',
  'allocstall_dma', 'allocstall_dma32', 'allocstall_normal', 'allocstall_movable', 'allocstall_device',
  'pgfree', 'pgactivate', 'pgdeactivate', 'pgfault', 'pgmajfault', 'pgrefill',
  'pgsteal_kswapd', 'pgsteal_direct', 'pgscan_kswapd', 'pgscan_direct',
  'pgscan_anon', 'pgscan_file', 'pgsteal_anon', 'pgsteal_file', 'pageoutrun', 'oom_kill',
  'numa_pte_updates', 'numa_huge_pte_updates', 'numa_hint_faults', 'numa_hint_faults_local', 'numa_pages_migrated',
  'pgmigrate_success', 'pgmigrate_fail', 'thp_migration_success', 'thp_migration_fail', 'thp_migration_split',
  'compact_stall', 'unevictable_pgs_mlocked', 'unevictable_pgs_munlocked',
  'thp_fault_alloc', 'thp_fault_fallback', 'thp_fault_fallback_charge', 'thp_split_page', 'thp_split_pmd',
  'thp_zero_page_alloc', 'thp_swpout', 'thp_swpout_fallback', 'thp_deferred_split_page',
  'thp_collapse_alloc', 'thp_collapse_alloc_failed', 'thp_scan_exceed_none_pte', 'thp_scan_exceed_swap_pte',
  'thp_scan_exceed_share_pte',
] as const;
export type EventName = (typeof EVENTS)[number];

const indexOf = <T extends string>(names: readonly T[]): Record<T, number> =>
  Object.fromEntries(names.map((n, i) => [n, i])) as Record<T, number>;

/** Index of each node stat. */
export const NS = indexOf(NODE_STATS);
/** Index of each event counter. */
export const EV = indexOf(EVENTS);

/** Counters that did not exist in 2017-era kernels (KERNEL-MODEL §2.10 version caveats). */
export const NOT_IN_2017: ReadonlySet<string> = new Set([
  'pgpromote_success', 'pgpromote_candidate', 'pgdemote_kswapd', 'pgdemote_direct', 'pgdemote_khugepaged',
  'thp_migration_success', 'thp_migration_fail', 'thp_migration_split', 'pgscan_anon', 'pgscan_file',
  'pgsteal_anon', 'pgsteal_file', 'allocstall_device', 'pgalloc_device',
  'thp_fault_fallback_charge', 'thp_swpout', 'thp_swpout_fallback',
  'thp_scan_exceed_none_pte', 'thp_scan_exceed_swap_pte', 'thp_scan_exceed_share_pte',
]);

export class Counters {
  readonly ev = new Float64Array(EVENTS.length);
  readonly node: Float64Array;

  constructor(readonly nodes: number) {
    this.node = new Float64Array(NODE_STATS.length * nodes);
  }

  /** Slot of node stat `stat` on node `n`. */
  at(stat: number, n: number): number {
    return stat * this.nodes + n;
  }

  addNode(stat: number, n: number, v: number): void {
    this.node[stat * this.nodes + n] += v;
  }

  getNode(stat: number, n: number): number {
    return this.node[stat * this.nodes + n];
  }

  /** /proc/vmstat: node stats summed over nodes, then events. */
  vmstat(filter?: (name: string) => boolean): Record<string, number> {
    const out: Record<string, number> = {};
    NODE_STATS.forEach((name, i) => {
      if (filter && !filter(name)) return;
      let s = 0;
      for (let n = 0; n < this.nodes; n++) s += this.node[i * this.nodes + n];
      out[name] = s;
    });
    EVENTS.forEach((name, i) => {
      if (filter && !filter(name)) return;
      out[name] = this.ev[i];
    });
    return out;
  }

  /** /sys/devices/system/node/nodeN/numastat under its own names. */
  numastat(n: number): Record<string, number> {
    const g = (i: number) => this.node[i * this.nodes + n];
    return {
      numa_hit: g(NS.numa_hit),
      numa_miss: g(NS.numa_miss),
      numa_foreign: g(NS.numa_foreign),
      interleave_hit: g(NS.numa_interleave),
      local_node: g(NS.numa_local),
      other_node: g(NS.numa_other),
    };
  }
}
