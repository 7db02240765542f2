// The comparison and its tolerances on hand-made observations (docs/fidelity.md "Tolerances").
import { describe, expect, it } from 'vitest';
import { compareRuns, summarise, type CheckRow } from '../../src/kernel-check/compare.js';
import { MEMCG_STOCK_PAGES } from '../../src/kernel-check/observables.js';
import { fidelityConfig, observation, type Shape, simSection } from './fixtures.js';

const config = fidelityConfig();
const row = (rows: CheckRow[], id: string): CheckRow => {
  const r = rows.find((x) => x.id === id);
  if (!r) throw new Error(`no row ${id}`);
  return r;
};

// KERNEL-CHECK Q2 shape: 1024 pages first-touched under BIND{1} from a node-0 CPU, 4 page tables.
const bind1: Shape = {
  vmstat: { numa_hit: 1028, numa_local: 4, numa_other: 1024, nr_anon_pages: 1024, nr_page_table_pages: 4, pgalloc_dma32: 1028, pgfault: 1024 },
  numastat: { 0: { numa_hit: 4, local_node: 4 }, 1: { numa_hit: 1024, other_node: 1024 } },
  pages: { 1: 1024 },
};

describe('kernel-check comparison', () => {
  it('agrees row by row when kernel and simulator saw the same (syscall-driven: ±2 pages)', () => {
    const rows = compareRuns(observation({ ...bind1, vmstat: { ...bind1.vmstat, pgfault: 1025 } }), simSection(bind1), { config, kernelModel: '6.12' });
    expect(summarise(rows)).toMatchObject({ failed: 0, known: 0, info: 0 });
    expect(row(rows, 'vmstat.pgfault')).toMatchObject({ kernel: 1025, simulator: 1024, allowed: '±2', basis: 'syscall', status: 'ok' });
    expect(row(rows, 'vmstat.pgalloc').kernel).toBe(1028); // pgalloc_* summed over zones
    expect(row(rows, 'pages.node1')).toMatchObject({ kernel: 1024, simulator: 1024 });
    expect(row(rows, 'accounting.numa_maps_pages').kernel).toBe(1024);
    expect(row(rows, 'accounting.vmrss_pages').kernel).toBe(1024); // minus the replayer's baseline
  });

  it('fails a value 3 pages off, unless it is a listed known divergence', () => {
    const kernel = observation({ ...bind1, numastat: { ...bind1.numastat, 0: { numa_hit: 7, local_node: 4 } } });
    const fail = compareRuns(kernel, simSection(bind1), { config, kernelModel: '6.12' });
    expect(row(fail, 'node0.numa_hit').status).toBe('FAIL');
    expect(summarise(fail).failed).toBe(1);
    const known = compareRuns(kernel, simSection(bind1), { config, kernelModel: '6.12', known: { 'node0.numa_hit': 'why', 'vmstat.numa_hit': 'stale' } });
    expect(row(known, 'node0.numa_hit')).toMatchObject({ status: 'known', reason: 'why' });
    expect(row(known, 'vmstat.numa_hit')).toMatchObject({ status: 'ok', knownButAgrees: true });
    expect(summarise(known)).toMatchObject({ failed: 0, known: 1 });
  });

  it('subtracts the replayer\'s own pages when a worker exits or is killed', () => {
    const kernel = observation({ vmstat: { nr_anon_pages: 1024 - 300, nr_page_table_pages: -8 } });
    kernel.processes[0] = { ...kernel.processes[0], state: 'killed', signal: 9, snapshot: null, status_kB_baseline: { RssAnon: 1200, VmPTE: 32, VmRSS: 4000 } };
    const rows = compareRuns(kernel, simSection({ vmstat: { nr_anon_pages: 1024 } }), { config, kernelModel: '6.12' });
    expect(row(rows, 'vmstat.nr_anon_pages')).toMatchObject({ expected: 1024 - 300, status: 'ok' });
    expect(row(rows, 'vmstat.nr_page_table_pages')).toMatchObject({ expected: -8, status: 'ok' });
    expect(row(rows, 'processes.killed')).toMatchObject({ kernel: 1, simulator: 0, allowed: 'exact', status: 'FAIL' });
  });

  it('judges timing-driven counters on outcome ranges once NUMA balancing ran', () => {
    const shape: Shape = { vmstat: { numa_pte_updates: 1024, numa_hint_faults: 1024, numa_pages_migrated: 1024, nr_anon_pages: 1024 }, pages: { 0: 1024 } };
    const kernel = observation({ ...shape, vmstat: { ...shape.vmstat, numa_pages_migrated: 900, nr_anon_pages: 1030 } });
    const rows = compareRuns(kernel, simSection(shape), { config, kernelModel: '6.12' });
    expect(row(rows, 'vmstat.numa_pages_migrated')).toMatchObject({ basis: 'timing', allowed: '±25% (min 8)', status: 'ok' });
    // allocation totals are not timing-driven: still exact
    expect(row(rows, 'vmstat.nr_anon_pages')).toMatchObject({ basis: 'syscall', status: 'FAIL' });
  });

  it('gives memory.current and memory.peak the per-CPU charge stock as slack', () => {
    const kernel = observation({}, {
      memcgs: [{ path: '/ok', current: 2058 * 4096, max: 64 << 20, peak: 2112 * 4096, stat: { anon: 2048 * 4096 }, numa_stat: {}, events: { max: 0, oom_kill: 0 } }],
    });
    const sim = simSection({});
    sim.accounting.memcg = [{ path: '/ok', current_pages: 2054, resident_pages: 2048, max_pages: 16384, unreclaimable_pages: 2054, max_events: 0, oom_events: 0, peak_pages: 2054, anon_pages: 2048 }];
    const rows = compareRuns(kernel, sim, { config, kernelModel: '6.12' });
    expect(row(rows, 'memcg./ok.peak')).toMatchObject({ kernel: 2112, simulator: 2054, allowed: `±${2 + MEMCG_STOCK_PAGES}`, status: 'ok' });
    expect(row(rows, 'memcg./ok.anon')).toMatchObject({ kernel: 2048, allowed: '±2', status: 'ok' });
    expect(row(rows, 'memcg./ok.events.max').status).toBe('ok');
  });
});

describe('fallback point', () => {
  // fallback-fill on the fidelity machine with THP always (docs/fidelity.md): 262144 pages written.
  const cfg = fidelityConfig(['kernel.thp=always']);
  const sim: Shape = {
    vmstat: { numa_hit: 250576, numa_miss: 11568, numa_foreign: 11568, numa_local: 250576, numa_other: 11568 },
    numastat: { 0: { numa_hit: 250576, numa_foreign: 11568, local_node: 250576 }, 1: { numa_miss: 11568, other_node: 11568 } },
    pages: { 0: 250085, 1: 12059 },
  };
  const zones = [
    { node: 0, zone: 'DMA', free: 3776, boost: 0, min: 128, low: 160, high: 192, present: 3998, managed: 3840, protection: [0, 947, 947, 947, 947] },
    { node: 0, zone: 'DMA32', free: 235857, boost: 0, min: 8154, low: 10192, high: 12230, present: 258048, managed: 244219, protection: [0, 0, 0, 0, 0] },
    { node: 1, zone: 'DMA32', free: 252342, boost: 0, min: 8613, low: 10766, high: 12919, present: 262112, managed: 257960, protection: [0, 0, 0, 0, 0] },
  ];
  const kernelShape: Shape = {
    vmstat: { numa_hit: 226672, numa_miss: 35986, numa_foreign: 35986, numa_local: 226672, numa_other: 35986 },
    numastat: { 0: { numa_hit: 226672, numa_foreign: 35986, local_node: 226672 }, 1: { numa_miss: 35986, other_node: 35986 } },
    pages: { 0: 226228, 1: 35916 },
  };

  it('moves the simulator\'s spill by the kernel\'s boot-time allocations and allows the per-CPU lists', () => {
    const kernel = observation(kernelShape, { zones_before: zones, settings: { min_free_kbytes: '67584', numa_balancing: '0', thp: '[always] madvise never' } });
    const rows = compareRuns(kernel, simSection(sim), { config: cfg, kernelModel: '6.12' });
    // usable: sim (258048-10395) + (4096-165-1008) = 250576; kernel (235857-10192) + (3776-160-947) = 228334
    const shift = 250576 - 228334;
    expect(row(rows, 'fallback.node0.usable_pages')).toMatchObject({ kernel: 228334, simulator: 250576, status: 'info' });
    expect(row(rows, 'vmstat.numa_hit')).toMatchObject({ expected: 250576 - shift, allowed: `±${2 + 10192 + 160}`, basis: 'fallback', status: 'ok' });
    expect(row(rows, 'node1.numa_miss').expected).toBe(11568 + shift);
    expect(row(rows, 'node1.other_node').expected).toBe(11568 + shift);
    expect(row(rows, 'pages.node0').expected).toBe(250085 - shift);
    expect(row(rows, 'pages.total').basis).toBe('syscall'); // the total does not depend on where it spilled
    expect(row(rows, 'fallback.min_free_kbytes')).toMatchObject({ kernel: 67584, simulator: 67584 });
    expect(summarise(rows).failed).toBe(0);
  });

  it('fails a spill far beyond the per-CPU lists', () => {
    const far: Shape = { ...kernelShape, pages: { 0: 200000, 1: 62144 } };
    const rows = compareRuns(observation(far, { zones_before: zones }), simSection(sim), { config: cfg, kernelModel: '6.12' });
    expect(row(rows, 'pages.node0').status).toBe('FAIL');
  });
});
