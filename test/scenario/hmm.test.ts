// Scenario tests for the `hmm` backend (HMM ZONE_DEVICE, KERNEL-MODEL §3), one per row of §8 with
// an A outcome, beside mainline and each hmm variant so the divergences show side by side.
import { describe, expect, it } from 'vitest';
import { backend, numastat, run, trace } from './run.js';
import { BASE, BASE_PAGES, cpuLoop, H, MiB, op } from './rows.js';

const HMM = ['hmm', 'hmm:private', 'hmm:coherent-6x'];
const ALL = `mainline,${HMM.join(',')}`;
const go = (rows: (string | number)[][], sets: string[] = [], be = ALL) =>
  run(trace(H, rows), { backend: be, sets: [...BASE_PAGES, ...sets] });
const dev = { agent: 'dev0', nodes: 1 };

describe('hmm: §8 placement rows (the allocator never returns device memory)', () => {
  it('row 1: page cache at RAM\'s low watermark is reclaimed in RAM, never placed on the device', async () => {
    const r = await go([
      op('write', BASE, 56 * MiB),
      op('mmap', BASE + 64 * MiB, 8 * MiB, { kind: 'file', file: 'data' }),
      op('read', BASE + 64 * MiB, 8 * MiB),
    ]);
    expect(backend(r, 'mainline').placement.unrequested_by_trigger.fallback).toBeGreaterThan(0);
    for (const label of HMM) {
      const b = backend(r, label);
      expect(b.accounting.resident_device_pages).toBe(0);
      expect(numastat(r, 1, label).numa_miss + numastat(r, 1, label).numa_hit).toBe(0);
      expect(b.vmstat.pgsteal_kswapd).toBeGreaterThan(0);
      expect(b.oom_kills).toBe(0);
    }
  });

  it('row 2: default-policy anon with RAM exhausted OOMs: device memory is unusable by the allocator', async () => {
    const r = await go([op('write', BASE, 80 * MiB)]);
    expect(backend(r, 'mainline').accounting.resident_device_pages).toBeGreaterThan(4000);
    for (const label of HMM) {
      expect(backend(r, label).oom_kills).toBe(1);
      expect(backend(r, label).accounting.resident_device_pages).toBe(0);
      expect(backend(r, label).vmstat.pgalloc_device ?? 0).toBe(0);
    }
  });

  it('row 3: set_mempolicy(PREFERRED{dev}) is not expressible: unsupported, EINVAL, faults stay in RAM', async () => {
    const r = await go([op('set_mempolicy', '', '', { policy: 'preferred', nodes: 1 }), op('write', BASE, 40 * MiB)]);
    expect(backend(r, 'mainline').accounting.resident_device_pages).toBeGreaterThan(7900);
    for (const label of HMM) {
      const b = backend(r, label);
      expect(b.unsupported).toEqual({ set_mempolicy: 1 });
      expect((b.syscall_errors as Record<string, number>)['set_mempolicy:EINVAL']).toBe(1); // no node left after dropping the device
      expect(b.accounting.resident_device_pages).toBe(0);
      expect(b.accounting.resident_ram_pages).toBe(10240);
    }
    expect(r.warnings.filter((w) => w.includes('unsupported.set_mempolicy'))).toHaveLength(3); // once per backend
  });

  it('row 4: BIND{0,dev} keeps node 0 (mpol_set_nodemask drops the device): RAM, then a policy OOM', async () => {
    const r = await go([op('set_mempolicy', '', '', { policy: 'bind', nodes: '0-1' }), op('write', BASE, 80 * MiB)]);
    expect(backend(r, 'mainline').oom_kills).toBe(0);
    for (const label of HMM) {
      const b = backend(r, label);
      expect(b.unsupported).toEqual({ set_mempolicy: 1 });
      expect((b.syscall_errors as Record<string, number>)['set_mempolicy:EINVAL'] ?? 0).toBe(0);
      expect(b.oom_kills).toBe(1);
      expect(b.accounting.resident_device_pages).toBe(0);
    }
  });

  it('row 5: INTERLEAVE{0,dev} interleaves over node 0 alone', async () => {
    const r = await go([
      op('mmap', BASE, MiB, { kind: 'anon' }),
      op('mbind', BASE, MiB, { policy: 'interleave', nodes: '0-1' }),
      op('write', BASE, MiB),
    ]);
    expect(backend(r, 'mainline').accounting.resident_device_pages).toBe(128);
    for (const label of HMM) {
      const b = backend(r, label);
      expect(b.unsupported).toEqual({ mbind: 1 });
      expect(b.accounting.resident_ram_pages).toBe(256);
      expect(b.vmstat.numa_interleave).toBe(256);
    }
  });

  it('row 6: move_pages to the device: unsupported, ENODEV per page; of a device page: ENOENT or EBUSY', async () => {
    const r = await go([
      op('write', BASE, 2 * MiB),
      op('migrate', BASE, MiB, { nodes: 1 }), // CPU: move_pages to the device
      op('migrate', BASE + MiB, MiB, dev), // the driver puts the second MiB on the device
      op('migrate', BASE + MiB, MiB, { nodes: 0 }), // CPU: move_pages of device pages
    ]);
    expect(backend(r, 'mainline').migrations.by_trigger.move_pages).toBe(512);
    for (const label of HMM) {
      const b = backend(r, label);
      expect(b.unsupported).toEqual({ migrate: 1 });
      expect(b.migrations.failed_by_reason.ENODEV).toBe(256);
      expect(b.accounting.resident_device_pages).toBe(256);
      expect(b.vmstat.pgmigrate_fail ?? 0).toBe(0);
    }
    expect(backend(r, 'hmm').migrations.failed_by_reason.EBUSY).toBe(256); // 4.14: devmap page not on an LRU
    expect(backend(r, 'hmm:private').migrations.failed_by_reason.ENOENT).toBe(256);
    expect(backend(r, 'hmm:coherent-6x').migrations.failed_by_reason.ENOENT).toBe(256);
  });
});

describe('hmm: §8 migration rows', () => {
  it('row 7: the driver migrates page cache: public-2017 allows it, private and coherent refuse (anon only)', async () => {
    const r = await go([
      op('mmap', BASE, MiB, { kind: 'file', file: 'data' }),
      op('read', BASE, MiB),
      op('migrate', BASE, MiB, dev),
    ]);
    expect(backend(r, 'mainline').migrations.to_device).toBe(256);
    expect(backend(r, 'hmm').migrations.to_device).toBe(256);
    expect(backend(r, 'hmm').accounting.resident_device_pages).toBe(256);
    for (const label of ['hmm:private', 'hmm:coherent-6x']) {
      expect(backend(r, label).migrations.failed_by_reason).toEqual({ 'file-to-device': 256 });
      expect(backend(r, label).accounting.resident_device_pages).toBe(0);
    }
  });

  it('row 8: CPU touches of driver-placed pages: public/coherent remote forever, private faults back; mainline NUMA-migrates', async () => {
    const r = await go([
      op('mmap', BASE, MiB, { kind: 'anon', time: 0 }),
      op('write', BASE, MiB, { time: 0 }),
      op('migrate', BASE, MiB, { ...dev, time: 0 }),
      ...cpuLoop(BASE, MiB),
    ]);
    expect(backend(r, 'mainline').vmstat.numa_pages_migrated).toBe(256);
    for (const label of ['hmm', 'hmm:coherent-6x']) {
      const b = backend(r, label);
      expect(b.vmstat.numa_hint_faults).toBe(0);
      expect(b.vmstat.numa_pte_updates).toBe(0); // change_prot_numa() skips zone-device pages
      expect(b.placement.remote_accesses).toBe(40 * 256);
      expect(b.accounting.resident_device_pages).toBe(256);
      expect(b.faults.device_private_cpu_faults).toBe(0);
    }
    const p = backend(r, 'hmm:private');
    expect(p.faults.device_private_cpu_faults).toBe(256);
    expect(p.migrations.by_trigger.fault_back).toBe(256);
    expect(p.vmstat.pgfault).toBe(512); // 256 first touches + 256 device-private faults
    expect(p.vmstat.pgmigrate_success ?? 0).toBe(0);
    expect(p.accounting.resident_ram_pages).toBe(256);
  });

  it('row 8: a driver that keeps migrating makes every private touch fault: ping-pong', async () => {
    const rows = [op('write', BASE, 64 * 4096, { time: 0 })];
    for (let i = 1; i <= 5; i++) {
      rows.push(op('migrate', BASE, 64 * 4096, { ...dev, time: i * 1e6 }), op('read', BASE, 64 * 4096, { time: i * 1e6 + 1 }));
    }
    const r = await go(rows);
    const p = backend(r, 'hmm:private');
    expect(p.faults.device_private_cpu_faults).toBe(5 * 64);
    expect(p.migrations.ping_pong).toBe(9 * 64); // every return after the first move
    expect(backend(r, 'hmm').faults.device_private_cpu_faults).toBe(0);
    expect(backend(r, 'hmm').migrations.total).toBe(64);
  });

  it('row 12: 12k driver migrations leave pgmigrate_* untouched (migrate_vma counts nothing)', async () => {
    const rows = [
      op('write', BASE, 16 * MiB),
      op('migrate', BASE, 16 * MiB, dev),
      op('migrate', BASE, 16 * MiB, { agent: 'dev0', nodes: 0 }),
      op('migrate', BASE, 16 * MiB, dev),
    ];
    const r = await go(rows);
    expect(backend(r, 'mainline').vmstat.pgmigrate_success).toBe(3 * 4096);
    for (const label of HMM) {
      const b = backend(r, label);
      expect(b.migrations.by_trigger.driver).toBe(3 * 4096);
      expect([b.migrations.to_device, b.migrations.to_host]).toEqual([8192, 4096]);
      expect(b.vmstat.pgmigrate_success ?? 0).toBe(0);
      expect(b.vmstat.pgmigrate_fail ?? 0).toBe(0);
      expect(b.vmstat.pgalloc_device ?? 0).toBe(0);
    }
  });

  it('row 13: a full pool silently leaves pages in RAM (no-dst); evict=lru makes room first', async () => {
    const rows = [op('write', BASE, 40 * MiB), op('migrate', BASE, 32 * MiB, dev), op('migrate', BASE + 32 * MiB, 8 * MiB, dev)];
    const r = await go(rows);
    for (const label of HMM) {
      const b = backend(r, label);
      expect(b.migrations.failed_by_reason).toEqual({ 'no-dst': 2048 });
      expect([b.accounting.resident_device_pages, b.accounting.resident_ram_pages]).toEqual([8192, 2048]);
      expect(b.reclaim.kswapd_wakeups + b.reclaim.direct_reclaims).toBe(0); // no reclaim for ZONE_DEVICE
      expect(b.oom_kills).toBe(0);
    }
    const lru = backend(await go(rows, ['backends.hmm.evict=lru'], 'hmm'), 'hmm');
    expect(lru.migrations.failed).toBe(0);
    expect([lru.migrations.to_device, lru.migrations.to_host]).toEqual([8192 + 2048, 2048]);
    expect(lru.accounting.resident_device_pages).toBe(8192);
  });

  it('row 15: a THP range to the device: public-2017 skips it, private/coherent split first; mainline moves it whole', async () => {
    const rows = [op('mmap', BASE, 2 * MiB, { kind: 'anon' }), op('write', BASE, 2 * MiB), op('migrate', BASE, 2 * MiB, dev)];
    const r = await run(trace(H, rows), { backend: ALL });
    const main = backend(r, 'mainline');
    expect([main.vmstat.thp_migration_success, main.vmstat.pgmigrate_success]).toEqual([1, 512]);
    const pub = backend(r, 'hmm');
    expect(pub.vmstat.thp_fault_alloc).toBe(1);
    expect(pub.migrations.failed_by_reason).toEqual({ thp: 512 });
    expect(pub.vmstat.thp_split_page).toBe(0);
    expect(pub.accounting.resident_device_pages).toBe(0);
    for (const label of ['hmm:private', 'hmm:coherent-6x']) {
      const b = backend(r, label);
      expect(b.vmstat.thp_split_page).toBe(1);
      expect(b.migrations.to_device).toBe(512);
      expect(b.vmstat.nr_anon_transparent_hugepages).toBe(0);
      expect(b.vmstat.pgmigrate_success ?? 0).toBe(0);
    }
  });
});
