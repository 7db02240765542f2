// Definitions of every field of a report@1 backend section (DESIGN §4), as data: `cdm-replay
// metrics` prints them, the README quotes them, the table and `compare` read `direction` from here
// so "lower is better" is decided in one place. A test walks the schema to keep this complete.

export type MetricUnit = 'pages' | 'accesses' | 'ratio' | 'bytes' | 'ns' | 'count' | 'kernel' | 'text' | 'json';
export type MetricDirection = 'lower-better' | 'neutral';

export interface MetricDoc {
  /** Dotted path in a backend section; `<name>` is any key of a map, `[]` any element of a list. */
  readonly path: string;
  readonly unit: MetricUnit;
  readonly direction: MetricDirection;
  /** Judged by absolute value (rss drift: too high and too low are both wrong). */
  readonly absolute?: boolean;
  readonly definition: string;
}

const lower = 'lower-better' as const;
const neutral = 'neutral' as const;
const m = (path: string, unit: MetricUnit, direction: MetricDirection, definition: string, absolute?: boolean): MetricDoc =>
  absolute ? { path, unit, direction, absolute, definition } : { path, unit, direction, definition };

const NUMASTAT = {
  numa_hit: 'allocations on this node that were intended for it',
  numa_miss: 'allocations on this node that were intended for another node (fallback landed here)',
  numa_foreign: 'allocations intended for this node that landed on another node',
  interleave_hit: 'interleave-policy allocations intended for and placed on this node',
  local_node: 'allocations on this node by a task running on this node',
  other_node: 'allocations on this node by a task running on another node',
};

const TRIGGERS = {
  fallback: 'the allocator fell back to the device node when the requested nodes were full or allowed it (zonelist order)',
  khugepaged: 'khugepaged collapsed a range into a huge page on the device node',
  demotion: 'reclaim demoted CPU pages to the device node as a lower memory tier (mainline with demotion enabled)',
  numa_balancing: 'automatic NUMA balancing moved the page to the device node after hint faults',
};

export const METRICS: readonly MetricDoc[] = [
  m('label', 'text', neutral, 'The backend as requested on the command line, e.g. `hmm:private`; unique within a report and the column title in tables.'),
  m('name', 'text', neutral, 'The registered backend design: `hmm`, `numa`, `cdm` or `mainline`.'),
  m('variant', 'text', neutral, 'The variant after the colon in the label (`private` in `hmm:private`), or null for the default.'),
  m('description', 'text', neutral, 'One line saying which design and kernel era the backend models.'),
  m('config', 'json', neutral, "The backend's effective knobs (`backends.<name>.*` of the configuration) after preset, file, --set and variant."),

  m('placement.accesses', 'accesses', neutral, 'Page touches replayed: an access spanning two pages counts twice. Equal for every backend of a report unless one OOM-killed a process, whose later events it skips (skipped_after_kill).'),
  m('placement.remote_accesses', 'accesses', lower, "Page touches served from a node that is not the acting agent's local node (a CPU's own node; a device's own node or pool)."),
  m('placement.misplacement_ratio', 'ratio', lower, 'remote_accesses / accesses (0 when there were no accesses).'),
  m('placement.misplaced_pages_end', 'pages', lower, "Pages whose dominant accessor node at the end of the trace is not the page's own node. Each page keeps a per-node access count that halves every `metrics.windowNs` of trace time (default 1 s); the highest count dominates and ties go to the page's own node."),
  m('placement.unrequested_device_pages', 'pages', lower, 'Pages that landed on a device node without an explicit request: no policy naming the device node, no `migrate` to it, and no device-side first touch the design allows.'),
  ...Object.entries(TRIGGERS).map(([k, d]) => m(`placement.unrequested_by_trigger.${k}`, 'pages', neutral, `Unrequested device pages put there because ${d}.`)),
  m('placement.unrequested_by_trigger.<trigger>', 'pages', neutral, 'Unrequested device pages from any further trigger a backend reports.'),
  m('placement.remote_accesses_by_agent.<agent>.accesses', 'accesses', neutral, 'Page touches by this agent (`cpu0`, `dev1`, ...); summed over agents this is placement.accesses.'),
  m('placement.remote_accesses_by_agent.<agent>.remote', 'accesses', neutral, "This agent's page touches served from a node other than its local node; summed over agents this is placement.remote_accesses."),

  m('migrations.total', 'pages', neutral, 'Pages moved between nodes, counted per base page (a 2 MiB THP moved whole is 512). Equals the sum of by_trigger.'),
  m('migrations.to_device', 'pages', neutral, 'Pages moved onto a device node or into device memory.'),
  m('migrations.to_host', 'pages', neutral, 'Pages moved from device memory back to a CPU node.'),
  m('migrations.failed', 'pages', lower, 'Pages a migration was asked to move but did not, each counted with its reason: a move_pages call failing with ENODEV fails every page it asked for. A page already on the target node is neither moved nor failed.'),
  m('migrations.bytes', 'bytes', neutral, 'Bytes copied by successful migrations (total × base page size).'),
  m('migrations.ping_pong', 'pages', lower, 'Migrations that return a page to a node it left within `metrics.pingPongNs` of trace time (default 1 s); counted per return migration.'),
  m('migrations.by_trigger.<trigger>', 'pages', neutral, 'Pages moved, by what moved them: driver, move_pages, mbind, numa_balancing, demotion, fault_back, longterm_pin.'),
  m('migrations.failed_by_reason.<reason>', 'pages', neutral, 'Failed pages by reason: the errno name (ENODEV, EACCES, ENOENT, EBUSY, EFAULT, ENOMEM) or, for migrate_vma (`hmm`), the KERNEL-MODEL §3.3 reason (pinned, no-dst, file-to-device, thp, isolate, locked, ...). Sums to migrations.failed.'),

  m('accounting.resident_pages', 'pages', neutral, 'Pages of the traced processes actually resident at the end of the trace (RAM and device together): the truth the observables below are measured against. A process that exited is taken just before its exit.'),
  m('accounting.resident_ram_pages', 'pages', neutral, 'The resident pages on CPU (RAM) nodes.'),
  m('accounting.resident_device_pages', 'pages', neutral, 'The resident pages on device nodes or in device-private memory.'),
  m('accounting.vmrss_pages', 'pages', neutral, 'What /proc/PID/status VmRSS would show: the rss counters, which count device pages in every design.'),
  m('accounting.smaps_rss_pages', 'pages', neutral, 'What /proc/PID/smaps Rss would show (the page-table walk): 2017 HMM public device pages are missing from it.'),
  m('accounting.numa_maps_pages', 'pages', neutral, 'Pages /proc/PID/numa_maps would list on some node: device pages are missing under `hmm` and `numa`.'),
  m('accounting.rss_drift_pages', 'pages', lower, 'VmRSS − resident pages. Judged by absolute value: the kernel over- or under-reporting are equally wrong.', true),
  m('accounting.memcg[].path', 'text', neutral, 'The memory cgroup, as configured in `memcgs[].path`.'),
  m('accounting.memcg[].current_pages', 'pages', neutral, "memory.current at the end of the trace, in pages: what the cgroup is charged for."),
  m('accounting.memcg[].resident_pages', 'pages', neutral, "Pages of the cgroup's processes actually resident (RAM and device), to compare with current_pages."),
  m('accounting.memcg[].max_pages', 'pages', neutral, 'memory.max in pages; null when unlimited.'),
  m('accounting.memcg[].unreclaimable_pages', 'pages', neutral, "Charged pages the cgroup's reclaim cannot free in this design (e.g. device pages off the LRU)."),
  m('accounting.memcg[].max_events', 'count', neutral, 'Charges that hit memory.max (memory.events `max`).'),
  m('accounting.memcg[].oom_events', 'count', lower, 'OOM kills inside the cgroup (memory.events `oom_kill`).'),

  m('reclaim.kswapd_wakeups', 'count', neutral, 'Times kswapd was woken because a zone fell below its low watermark.'),
  m('reclaim.direct_reclaims', 'count', neutral, 'Allocations that entered direct reclaim (the allocating task reclaimed for itself).'),
  m('reclaim.pages_scanned', 'pages', neutral, 'Pages scanned by kswapd and direct reclaim together.'),
  m('reclaim.pages_reclaimed', 'pages', neutral, 'Pages freed by kswapd and direct reclaim together.'),

  m('faults.cpu', 'count', neutral, 'Page faults taken by CPU agents (first touch, COW, NUMA hint and device-private faults included).'),
  m('faults.device', 'count', neutral, 'Faults taken by device agents (device page-table misses the driver resolves).'),
  m('faults.device_private_cpu_faults', 'count', neutral, 'CPU faults on device-private pages, each migrating the page back to RAM (HMM private memory).'),

  m('vmstat.<counter>', 'kernel', neutral, "/proc/vmstat counters in the kernel's own names and units (e.g. `thp_migration_success` counts huge pages); a backend reports the counters its kernel era had and bumped."),

  m('nodes[].id', 'count', neutral, 'The node id, as in machine.nodes.'),
  m('nodes[].used_pages_end', 'pages', neutral, 'Pages allocated on the node at the end of the trace.'),
  m('nodes[].peak_used_pages', 'pages', neutral, 'The most pages allocated on the node at any point of the trace.'),
  ...Object.entries(NUMASTAT).map(([k, d]) => m(`nodes[].numastat.${k}`, 'pages', neutral, `numastat ${k}: ${d}.`)),
  m('nodes[].numastat.<counter>', 'pages', neutral, 'Further per-node counters in numastat/sysfs node names.'),

  m('unsupported.<op>', 'count', neutral, 'Trace events this design cannot express, by op (e.g. an `mbind` naming a device that is not a NUMA node under `hmm`); each is warned about once and then handled as that design\'s kernel would, never aborting the other backends.'),
  m('oom_kills', 'count', lower, 'System-wide OOM kills (vmstat `oom_kill`), memcg OOM kills included.'),
  m('skipped_after_kill', 'count', neutral, 'Trace events skipped because their process had been OOM-killed earlier in this backend.'),

  m('timeline.bucket_ns', 'ns', neutral, 'Trace time covered by one timeline bucket: a power-of-two multiple of 1024 ns, doubled (neighbouring buckets merged) whenever the trace outgrows the bucket limit (--timeline-buckets, default 256), so there are between half the limit and the limit of buckets; present with --timeline or --format html.'),
  m('timeline.buckets[].start_ns', 'ns', neutral, 'Start of the bucket in trace time; it covers [start_ns, start_ns + bucket_ns).'),
  m('timeline.buckets[].accesses', 'count', neutral, 'Page touches in the bucket (placement.accesses over time).'),
  m('timeline.buckets[].remote_accesses', 'count', neutral, 'Remote accesses in the bucket (placement.remote_accesses over time).'),
  ...['cpu', 'device', 'device_private_cpu_faults'].map((k) => m(`timeline.buckets[].faults.${k}`, 'count', neutral, `faults.${k} in the bucket.`)),
  ...['pages_scanned', 'pages_reclaimed', 'kswapd_wakeups', 'direct_reclaims'].map((k) => m(`timeline.buckets[].reclaim.${k}`, 'count', neutral, `reclaim.${k} in the bucket.`)),
  m('timeline.buckets[].oom_kills', 'count', neutral, 'OOM kills in the bucket.'),
  m('timeline.buckets[].migrations.total', 'pages', neutral, 'Pages migrated in the bucket (by the time each move was made).'),
  m('timeline.buckets[].migrations.ping_pong', 'pages', neutral, 'Ping-pong migrations (DESIGN §4 definition) in the bucket.'),
  m('timeline.buckets[].migrations.failed', 'pages', neutral, 'Failed page migrations in the bucket.'),
  m('timeline.buckets[].migrations.by_trigger.<*>', 'pages', neutral, 'Pages migrated in the bucket by trigger; triggers with none are left out.'),
  m('timeline.buckets[].used_pages.<*>', 'pages', neutral, 'Pages allocated on each node (by node id) at the end of the bucket.'),
  m('timeline.buckets[].accounting.resident_pages', 'pages', neutral, 'The truth at the end of the bucket: live pages, RAM and device (processes that exited no longer count).'),
  m('timeline.buckets[].accounting.resident_device_pages', 'pages', neutral, 'Live pages on device nodes at the end of the bucket.'),
  m('timeline.buckets[].accounting.vmrss_pages', 'pages', neutral, 'VmRSS summed over live processes at the end of the bucket.'),
  m('timeline.buckets[].accounting.smaps_rss_pages', 'pages', neutral, 'smaps Rss summed over live processes at the end of the bucket.'),
  m('timeline.buckets[].accounting.numa_maps_pages', 'pages', neutral, 'numa_maps pages summed over live processes at the end of the bucket.'),
  m('timeline.buckets[].accounting.memcg_current_pages', 'pages', neutral, 'memory.current summed over the top-level cgroups at the end of the bucket.'),
  m('timeline.heatmap.region_pages', 'pages', neutral, 'Base pages per heatmap row: address regions double until at most 256 rows hold every page that was resident at a bucket end.'),
  m('timeline.heatmap.overflow', 'json', neutral, 'True when there were more address spaces than rows: the last row then also holds the rest.'),
  m('timeline.heatmap.rows[].space', 'text', neutral, 'Address space of the row: `pid N` (private anonymous memory, by virtual address) or `file NAME` (page cache and shmem, by file offset).'),
  m('timeline.heatmap.rows[].start', 'text', neutral, 'First byte of the row\'s region, hex: a virtual address or a file offset. Rows are in address order; gaps between mappings are left out.'),
  m('timeline.heatmap.cells[]', 'text', neutral, 'One string per bucket, one character per row: the id (base 36) of the node holding most of the region\'s pages at the end of the bucket, `.` when none is resident.'),
  m('cost.estimated_access_ns', 'ns', lower, 'Cost-model estimate of time spent on memory accesses: each access charged the latency of the link it crossed (configuration `links`). An estimate, not a measurement.'),
  m('cost.estimated_migration_ns', 'ns', lower, 'Cost-model estimate of time spent copying migrated pages over the links (latency plus bytes over bandwidth).'),
  m('cost.estimated_total_ns', 'ns', lower, 'estimated_access_ns + estimated_migration_ns.'),
  m('cost.label', 'text', neutral, 'Always "estimate": the cost figures come from a model, so every output labels them so.'),
  m('cost.params', 'json', neutral, 'The cost-model parameters used (link latencies and bandwidths per node).'),
];

const byPath = new Map(METRICS.map((d) => [d.path, d]));

/**
 * The definition of a field. Accepts the documented path or a concrete one:
 * `migrations.by_trigger.driver`, `accounting.memcg.0.oom_events`, `accounting.memcg[].oom_events`.
 */
export function findMetric(path: string): MetricDoc | undefined {
  const exact = byPath.get(path);
  if (exact) return exact;
  const want = tokens(path);
  // Fixed keys are listed before their `<name>` catch-all, so the first match is the most specific.
  return METRICS.find((d) => {
    const pat = tokens(d.path);
    return pat.length === want.length && pat.every((t, i) => t === want[i] || (t.startsWith('<') && want[i] !== '[]') || (t === '[]' && /^\d+$/.test(want[i])));
  });
}

const tokens = (path: string): string[] => path.replace(/\[\]/g, '.[]').split('.');
