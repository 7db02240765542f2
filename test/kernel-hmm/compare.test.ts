// The --kernel hmm comparison on hand-made observations: test_hmm's own allocations as documented
// adjustments, device placement from SNAPSHOT, driver migrations (src/kernel-check/hmm-observables.ts).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { compareRuns, type CheckRow, summarise } from '../../src/kernel-check/compare.js';
import { driverPages } from '../../src/kernel-check/hmm-observables.js';
import type { KernelObservation } from '../../src/kernel-check/observation.js';
import { observation, simSection } from '../kernel-check/fixtures.js';

const config = loadConfig({ configFile: join(import.meta.dirname, 'machine.yaml') }).config;
const row = (rows: CheckRow[], id: string): CheckRow => {
  const r = rows.find((x) => x.id === id);
  if (!r) throw new Error(`no row ${id}`);
  return r;
};
const ioctl = (calls = 0, cpages = 0) => ({ calls, failed: 0, cpages, faults: 0 });

/** 256 pages touched, migrated to device 0, 64 faulted back by the CPU: 192 stay on the device. */
function kernel(variant: 'private' | 'coherent-6x'): KernelObservation {
  const back = variant === 'private' ? 64 : 0;
  const rpages = variant === 'private' ? 256 : 0;
  const o = observation({
    vmstat: { numa_hit: 259 + 256 + rpages + back, numa_local: 259 + 256 + rpages + back, pgalloc_dma32: 259 + 256 + rpages + back,
      pgfree: 256 + 256 + back, pgfault: 256 + back, nr_anon_pages: 256, nr_page_table_pages: 3 },
    numastat: { 0: { numa_hit: 259 + 256 + rpages + back, local_node: 259 + 256 + rpages + back } },
    pages: { 0: back },
    vmrssPages: 256,
  });
  const p = o.processes[0];
  p.snapshot!.mappings[0].devices = { 0: 256 - back };
  p.snapshot!.mappings[0].nodes = { 0: back, '-2': 256 - back };
  p.hmm = { bounce_pages: 256, arrived: 256, refused: 0, read: ioctl(), write: ioctl(), migrate_to_dev: ioctl(256, 256), migrate_to_sys: ioctl() };
  return o;
}

function sim(variant: 'private' | 'coherent-6x') {
  const back = variant === 'private' ? 64 : 0;
  const s = simSection({
    vmstat: { numa_hit: 259 + back, numa_local: 259 + back, pgalloc_dma32: 259 + back, pgfree: 256, pgfault: 256 + back, nr_anon_pages: 256, nr_page_table_pages: 3 },
    numastat: { 0: { numa_hit: 259 + back, local_node: 259 + back } },
    pages: { 0: back, 1: 256 - back },
    vmrssPages: 256,
    numaMapsPages: back,
  }, { migrations: { total: 256 + back, to_device: 256, to_host: back, failed: 0, bytes: 0, ping_pong: 0, by_trigger: { driver: 256, ...(back ? { fault_back: back } : {}) }, failed_by_reason: {} } } as never);
  s.nodes[1].used_pages_end = 256 - back;
  return s;
}

describe('kernel-check --kernel hmm comparison', () => {
  it('adds test_hmm\'s bounce and device-private backing pages to the allocator counters, as adjustments', () => {
    const c = { variant: 'private' as const, deviceNodes: [1], driverNode: 0 };
    const obs = kernel('private');
    expect(driverPages(obs, c)).toEqual({ bounce: 256, rpagesAllocated: 256, rpagesFreed: 64 });
    const rows = compareRuns(obs, sim('private'), { config, kernelModel: '4.11', hmm: c });
    expect(row(rows, 'vmstat.numa_hit')).toMatchObject({ simulator: 323, expected: 323 + 512, status: 'ok' });
    expect(row(rows, 'vmstat.numa_hit').adjustments[0].why).toMatch(/256 bounce pages .*256 device-private backing pages/);
    expect(row(rows, 'vmstat.pgfree')).toMatchObject({ expected: 256 + 256 + 64 });
    expect(row(rows, 'node0.local_node').adjustments[0].pages).toBe(512);
    expect(row(rows, 'vmstat.pgfault')).toMatchObject({ kernel: 320, simulator: 320, status: 'ok' });
  });

  it('a shmem page refused after test_hmm gave it a device page costs a backing page allocated and freed', () => {
    const obs = kernel('private');
    obs.processes[0].hmm!.refused = 64;
    expect(driverPages(obs, { variant: 'private', deviceNodes: [1], driverNode: 0 })).toEqual({ bounce: 256, rpagesAllocated: 320, rpagesFreed: 128 });
  });

  it('widens the allocator rows by the slab pages and kernel stacks the window kept (no design models them)', () => {
    const obs = kernel('private');
    obs.vmstat_delta = { ...obs.vmstat_delta, numa_hit: obs.vmstat_delta.numa_hit + 3, nr_slab_reclaimable: 2, nr_slab_unreclaimable: 4 };
    const rows = compareRuns(obs, sim('private'), { config, kernelModel: '4.11', hmm: { variant: 'private', deviceNodes: [1], driverNode: 0 } });
    expect(row(rows, 'vmstat.numa_hit')).toMatchObject({ allowed: '±8', status: 'ok' });
    expect(row(rows, 'vmstat.pgfree').allowed).toBe('±2');
  });

  it('places device pages by SNAPSHOT, not move_pages (-ENOENT), and counts driver migrations', () => {
    const rows = compareRuns(kernel('private'), sim('private'), { config, kernelModel: '4.11', hmm: { variant: 'private', deviceNodes: [1], driverNode: 0 } });
    expect(rows.some((r) => r.id === 'pages.node1')).toBe(false);
    expect(row(rows, 'pages.dev0')).toMatchObject({ group: 'device', kernel: 192, simulator: 192, status: 'ok' });
    expect(row(rows, 'pages.node0')).toMatchObject({ kernel: 64, simulator: 64 });
    expect(row(rows, 'pages.total')).toMatchObject({ kernel: 256, simulator: 256 });
    expect(row(rows, 'hmm.migrated_to_device')).toMatchObject({ kernel: 256, simulator: 256, allowed: 'exact' });
    expect(row(rows, 'hmm.migrated_to_system')).toMatchObject({ kernel: 0, simulator: 0 });
    expect(rows.filter((r) => r.status === 'FAIL').map((r) => `${r.id} ${r.kernel} ${r.expected}`)).toEqual([]);
  });

  it('coherent-6x has no backing pages; a device count off by one fails', () => {
    const c = { variant: 'coherent-6x' as const, deviceNodes: [1], driverNode: 0 };
    const obs = kernel('coherent-6x');
    expect(driverPages(obs, c)).toEqual({ bounce: 256, rpagesAllocated: 0, rpagesFreed: 0 });
    expect(summarise(compareRuns(obs, sim('coherent-6x'), { config, kernelModel: '6.12', hmm: c })).failed).toBe(0);
    obs.processes[0].snapshot!.mappings[0].devices = { 0: 255 };
    const rows = compareRuns(obs, sim('coherent-6x'), { config, kernelModel: '6.12', hmm: c });
    expect(row(rows, 'pages.dev0').status).toBe('FAIL');
  });
});
