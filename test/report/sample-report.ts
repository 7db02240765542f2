// A realistic report@1 with four backends whose values differ, built so the definitional
// identities hold (resident = ram + device, drift = vmrss - resident, sums of by-trigger maps...).
// Each call returns a fresh object, so tests may mutate it.
import type { BackendReport, Report } from '../../src/report/schema.js';

const ACCESSES = 40_960;
const CPU_ACCESSES = 30_000;

interface Knobs {
  label: string;
  remote: number; // remote accesses; cpu0 takes `cpuRemote` of them
  cpuRemote: number;
  misplaced: number;
  unrequested: { fallback: number; khugepaged: number; demotion: number; numa_balancing: number };
  byTrigger: Record<string, number>;
  toDevice: number;
  failedByReason: Record<string, number>;
  pingPong: number;
  ram: number;
  device: number;
  drift: number;
  smaps: number;
  numaMaps: number;
  jobOom: number;
  extraMemcg?: boolean;
  reclaim: [number, number, number, number];
  faults: [number, number, number];
  vmstat: Record<string, number>;
  unsupported: Record<string, number>;
  oomKills: number;
  skipped: number;
  costAccess: number;
  costMigration: number;
  timeline?: boolean;
}

function backend(k: Knobs): BackendReport {
  const [name, variant = null] = k.label.split(':');
  const total = Object.values(k.byTrigger).reduce((a, b) => a + b, 0);
  const failed = Object.values(k.failedByReason).reduce((a, b) => a + b, 0);
  const resident = k.ram + k.device;
  const memcg: BackendReport['accounting']['memcg'] = [{
    path: '/job', current_pages: k.smaps, resident_pages: resident, max_pages: 8192,
    unreclaimable_pages: name === 'hmm' ? k.device : 0, max_events: k.jobOom * 37, oom_events: k.jobOom,
  }];
  if (k.extraMemcg) {
    memcg.push({ path: '/job/sub', current_pages: 512, resident_pages: 512, max_pages: null, unreclaimable_pages: 0, max_events: 0, oom_events: 0, peak_pages: 640 });
  }
  const numastat = (hit: number, miss: number) => ({ numa_hit: hit, numa_miss: miss, numa_foreign: miss, interleave_hit: 0, local_node: hit, other_node: miss });
  return {
    label: k.label,
    name,
    variant,
    description: `${name} design (sample)`,
    config: name === 'hmm' ? { variant: variant ?? 'public-2017', hostNode: 0, faultBackPages: 1 } : { kswapd: 'none' },
    placement: {
      accesses: ACCESSES,
      remote_accesses: k.remote,
      misplacement_ratio: k.remote / ACCESSES,
      misplaced_pages_end: k.misplaced,
      unrequested_device_pages: Object.values(k.unrequested).reduce((a, b) => a + b, 0),
      unrequested_by_trigger: { ...k.unrequested },
      remote_accesses_by_agent: {
        dev0: { accesses: ACCESSES - CPU_ACCESSES, remote: k.remote - k.cpuRemote },
        cpu0: { accesses: CPU_ACCESSES, remote: k.cpuRemote },
      },
    },
    migrations: {
      total, to_device: k.toDevice, to_host: total - k.toDevice, failed, bytes: total * 4096, ping_pong: k.pingPong,
      by_trigger: { ...k.byTrigger }, failed_by_reason: { ...k.failedByReason },
    },
    accounting: {
      resident_pages: resident, resident_ram_pages: k.ram, resident_device_pages: k.device,
      vmrss_pages: resident + k.drift, smaps_rss_pages: k.smaps, numa_maps_pages: k.numaMaps, rss_drift_pages: k.drift,
      memcg,
    },
    reclaim: { kswapd_wakeups: k.reclaim[0], direct_reclaims: k.reclaim[1], pages_scanned: k.reclaim[2], pages_reclaimed: k.reclaim[3] },
    faults: { cpu: k.faults[0], device: k.faults[1], device_private_cpu_faults: k.faults[2] },
    vmstat: { ...k.vmstat },
    nodes: [
      { id: 0, used_pages_end: k.ram, peak_used_pages: k.ram + 700, numastat: numastat(k.ram, 0) },
      { id: 1, used_pages_end: k.device, peak_used_pages: k.device + 64, numastat: numastat(k.device, k.unrequested.fallback) },
    ],
    unsupported: { ...k.unsupported },
    oom_kills: k.oomKills,
    skipped_after_kill: k.skipped,
    ...(k.timeline ? { timeline: sampleTimeline(k.ram, k.device, k.pingPong) } : {}),
    cost: {
      estimated_access_ns: k.costAccess, estimated_migration_ns: k.costMigration,
      estimated_total_ns: k.costAccess + k.costMigration, label: 'estimate',
      params: { links: [{ node: 1, latencyNs: 800, bandwidthGBps: 64 }], localNs: 90 },
    },
  };
}

/** Ten 250 ms buckets: device use ramps up, a few migrations per bucket, a four-row heatmap. */
export function sampleTimeline(ram: number, device: number, pingPong: number): NonNullable<BackendReport['timeline']> {
  const n = 10;
  return {
    bucket_ns: 250_000_000,
    buckets: Array.from({ length: n }, (_, i) => ({
      start_ns: i * 250_000_000,
      accesses: 4096,
      remote_accesses: 100 + i,
      faults: { cpu: 900, device: 200, device_private_cpu_faults: 0 },
      reclaim: { pages_scanned: 64 * i, pages_reclaimed: 50 * i, kswapd_wakeups: i % 3 === 0 ? 1 : 0, direct_reclaims: 0 },
      oom_kills: i === 7 ? 1 : 0,
      migrations: { total: 30, ping_pong: i === 5 ? pingPong : 0, failed: 0, by_trigger: { driver: 20, numa_balancing: 10 } },
      used_pages: { 0: Math.round((ram * (i + 1)) / n), 1: Math.round((device * (i + 1)) / n) },
      accounting: {
        resident_pages: Math.round(((ram + device) * (i + 1)) / n), resident_device_pages: Math.round((device * (i + 1)) / n),
        vmrss_pages: Math.round(((ram + device) * (i + 1)) / n), smaps_rss_pages: Math.round((ram * (i + 1)) / n),
        numa_maps_pages: Math.round((ram * (i + 1)) / n), memcg_current_pages: Math.round(((ram + device) * (i + 1)) / n),
      },
    })),
    heatmap: {
      region_pages: 512,
      overflow: false,
      rows: [{ space: 'pid 1', start: '0x400000' }, { space: 'pid 1', start: '0x600000' }, { space: 'pid 2', start: '0x7f0000000000' }, { space: 'file /data/in.bin', start: '0x0' }],
      cells: Array.from({ length: n }, (_, i) => (i < 2 ? '0..0' : i < 6 ? '010.' : '1100')),
    },
  };
}

const zeroUnrequested = { fallback: 0, khugepaged: 0, demotion: 0, numa_balancing: 0 };

export function sampleReport(): Report {
  return {
    schema: 'cdm-replay/report@1',
    tool: { name: 'cdm-replay', version: '0.1.0' },
    trace: {
      path: 'traces/stream-gpu.csv', format: 'csv', events: 48_213, accesses: ACCESSES, pages_touched: 8192,
      duration_ns: 2_500_000_000, sha256: '3f2a9c0b7d1e4f5a6b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c',
      start_time: null, skipped: { unknown_op: 3 },
    },
    machine: { preset: 'power9-v100', nodes: [{ id: 0, kind: 'cpu', capacity_pages: 16_384 }, { id: 1, kind: 'device', capacity_pages: 4096 }] },
    config: {
      preset: 'power9-v100', pageSize: 4096,
      kernel: { thp: 'always', numaBalancing: 1, demotion: false, watermarkModel: 'auto', swappiness: 60 },
      metrics: { windowNs: 1_000_000_000, pingPongNs: 1_000_000_000 },
      memcgs: [{ path: '/job', max: 33_554_432 }],
    },
    backends: [
      backend({
        label: 'hmm:private', remote: 9000, cpuRemote: 6000, misplaced: 1200, unrequested: zeroUnrequested,
        byTrigger: { driver: 3000, fault_back: 1400 }, toDevice: 3000, failedByReason: { ENODEV: 256 }, pingPong: 700,
        ram: 5000, device: 3000, drift: 0, smaps: 8000, numaMaps: 5000, jobOom: 1,
        reclaim: [2, 0, 640, 512], faults: [9800, 2100, 1400],
        vmstat: { numa_hit: 5000, numa_miss: 0, numa_local: 5000, numa_other: 0, pgfault: 9800, pgmigrate_success: 0, allocstall_normal: 0, oom_kill: 1 },
        unsupported: { mbind: 3 }, oomKills: 1, skipped: 57, costAccess: 41_000_000, costMigration: 9_500_000,
      }),
      backend({
        label: 'numa', remote: 4000, cpuRemote: 1500, misplaced: 300, unrequested: { ...zeroUnrequested, fallback: 128 },
        byTrigger: { driver: 2900, numa_balancing: 410 }, toDevice: 3100, failedByReason: {}, pingPong: 0,
        ram: 5100, device: 2900, drift: 64, smaps: 8064, numaMaps: 5100, jobOom: 0,
        reclaim: [5, 1, 2048, 1900], faults: [9100, 2000, 0],
        vmstat: { numa_hit: 7600, numa_miss: 128, numa_foreign: 128, numa_local: 7700, numa_other: 28, pgfault: 9100, pgmigrate_success: 410, numa_hint_faults: 900, allocstall_normal: 1, allocstall_movable: 0, oom_kill: 0 },
        unsupported: {}, oomKills: 0, skipped: 0, costAccess: 30_000_000, costMigration: 8_000_000,
      }),
      backend({
        label: 'cdm', remote: 4000, cpuRemote: 1400, misplaced: 310, unrequested: { ...zeroUnrequested, khugepaged: 512 },
        byTrigger: { driver: 3050 }, toDevice: 3050, failedByReason: {}, pingPong: 0,
        ram: 4950, device: 3050, drift: -300, smaps: 7700, numaMaps: 8000, jobOom: 0,
        reclaim: [9, 3, 4096, 3500], faults: [9000, 2050, 0],
        vmstat: { numa_hit: 7990, numa_miss: 10, numa_local: 7900, numa_other: 100, pgfault: 9000, pgmigrate_success: 3050, allocstall_normal: 3, oom_kill: 0 },
        unsupported: {}, oomKills: 0, skipped: 0, costAccess: 29_000_000, costMigration: 8_100_000,
      }),
      backend({
        label: 'mainline', remote: 12_000, cpuRemote: 9000, misplaced: 2600, unrequested: { ...zeroUnrequested, demotion: 1024, numa_balancing: 200 },
        byTrigger: { move_pages: 2500, demotion: 1024, numa_balancing: 200, longterm_pin: 30 }, toDevice: 3724, failedByReason: { EBUSY: 10, ENOMEM: 2 }, pingPong: 35,
        ram: 4200, device: 3800, drift: 0, smaps: 8000, numaMaps: 8000, jobOom: 0, extraMemcg: true,
        reclaim: [14, 6, 9000, 7000], faults: [11_000, 2500, 0],
        vmstat: { numa_hit: 8000, numa_miss: 1224, numa_local: 7000, numa_other: 1000, pgfault: 11_000, pgmigrate_success: 3754, pgmigrate_fail: 12, thp_migration_success: 2, allocstall_normal: 6, allocstall_movable: 2, oom_kill: 0, pswpout: 0 },
        unsupported: {}, oomKills: 0, skipped: 0, costAccess: 52_000_000, costMigration: 12_250_000, timeline: true,
      }),
    ],
    warnings: ['hmm:private: 3 mbind events name node 1, which is not a NUMA node under hmm (counted in unsupported)'],
  };
}
