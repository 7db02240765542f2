// Hand-made kernel observations and simulator sections for the comparison tests (no qemu).
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/index.js';
import type { KernelObservation } from '../../src/kernel-check/observation.js';
import type { BackendReport } from '../../src/report/schema.js';

export const FIDELITY_CONFIG = join(import.meta.dirname, '../fidelity/machine.yaml');

export function fidelityConfig(sets: string[] = []): Config {
  return loadConfig({ configFile: FIDELITY_CONFIG, sets }).config;
}

const NUMASTAT_KEYS = ['numa_hit', 'numa_miss', 'numa_foreign', 'interleave_hit', 'local_node', 'other_node'];
const zeros = (): Record<string, number> => Object.fromEntries(NUMASTAT_KEYS.map((k) => [k, 0]));

export interface Shape {
  vmstat?: Record<string, number>;
  /** per node id: numastat values */
  numastat?: Record<number, Record<string, number>>;
  /** per node id: trace pages resident at the end */
  pages?: Record<number, number>;
  vmrssPages?: number;
  numaMapsPages?: number;
}

/** A kernel observation of a single running process with the given deltas. */
export function observation(s: Shape, extra: Partial<KernelObservation> = {}): KernelObservation {
  const pages = s.pages ?? {};
  const total = Object.values(pages).reduce((a, b) => a + b, 0);
  return {
    schema: 'cdm-replay/kernel-observation@1',
    kernel: '6.12.117+deb12-amd64',
    cpus: 2,
    numa_nodes: 2,
    events: 3,
    replay_ns: 1,
    settings: { numa_balancing: '0', thp: 'always madvise [never]', min_free_kbytes: '5663' },
    page_table_pages_delta: s.vmstat?.nr_page_table_pages ?? 0,
    vmstat_delta: s.vmstat ?? {},
    nodes: [0, 1].map((node) => ({
      node,
      numastat_before: zeros(),
      numastat_after: zeros(),
      numastat_delta: { ...zeros(), ...s.numastat?.[node] },
      meminfo_kB_before: { MemFree: 900_000 },
      meminfo_kB_after: { MemFree: 900_000 },
    })),
    memcgs: [],
    processes: [{
      pid: 1, state: 'running', signal: 0, memcg: null, killed_at_line: 0, skipped_after_kill: 0, skipped_after_exit: 0, relocated: 0,
      ops: {}, migrate_status: {}, status_kB_baseline: { VmRSS: 4000, RssAnon: 1200, VmPTE: 32 },
      snapshot: {
        status_kB: { VmRSS: 4000 + 4 * (s.vmrssPages ?? total) },
        mapped_pages: total,
        numa_maps: [`7f0000000000 default anon=${total}${Object.entries(pages).map(([n, v]) => ` N${n}=${v}`).join('')} kernelpagesize_kB=4`],
        mappings: [{ trace_addr: '0x7f0000000000', addr: '0x7f0000000000', pages: total, kind: 'anon', implicit: false, relocated: false, nodes: Object.fromEntries(Object.entries(pages).map(([n, v]) => [n, v])) }],
      },
    }],
    host: { kernelImage: '/k', kernelVersion: '6.12.117+deb12-amd64', qemuArgs: [], wallMs: 5000, initUptimeS: 3, doneUptimeS: 3.2 },
    ...extra,
  };
}

/** The simulator's section with the same shape (what the comparison reads of it). */
export function simSection(s: Shape, extra: Partial<BackendReport> = {}): BackendReport {
  const pages = s.pages ?? {};
  const total = Object.values(pages).reduce((a, b) => a + b, 0);
  return {
    vmstat: s.vmstat ?? {},
    nodes: [0, 1].map((id) => ({ id, used_pages_end: 0, peak_used_pages: 0, numastat: { ...zeros(), ...s.numastat?.[id] } })),
    accounting: {
      resident_pages: total,
      resident_ram_pages: pages[0] ?? 0,
      resident_device_pages: pages[1] ?? 0,
      vmrss_pages: s.vmrssPages ?? total,
      smaps_rss_pages: total,
      numa_maps_pages: s.numaMapsPages ?? total,
      rss_drift_pages: 0,
      memcg: [],
    },
    oom_kills: 0,
    skipped_after_kill: 0,
    ...extra,
  } as unknown as BackendReport;
}
