// `hmm` (KERNEL-MODEL §3.6-3.7): §8 accounting, reclaim and OOM rows, and the knobs.
import { describe, expect, it } from 'vitest';
import { backend, run, trace } from './run.js';
import { BASE, BASE_PAGES, H, MiB, op } from './rows.js';

const HMM = ['hmm', 'hmm:private', 'hmm:coherent-6x'];
const ALL = `mainline,${HMM.join(',')}`;
const go = (rows: (string | number)[][], sets: string[] = [], be = ALL) =>
  run(trace(H, rows), { backend: be, sets: [...BASE_PAGES, ...sets] });
const dev = { agent: 'dev0', nodes: 1 };

describe('hmm: §8 accounting rows', () => {
  it('row 9: VmRSS counts device pages; 2017 smaps and numa_maps do not; memory.current does', async () => {
    const r = await go([op('mmap', BASE, 4 * MiB, { kind: 'anon' }), op('write', BASE, 4 * MiB), op('migrate', BASE, 4 * MiB, dev)]);
    const view = (label: string) => {
      const a = backend(r, label).accounting;
      return [a.resident_device_pages, a.vmrss_pages, a.smaps_rss_pages, a.numa_maps_pages, a.rss_drift_pages];
    };
    expect(view('mainline')).toEqual([1024, 1024, 1024, 1024, 0]);
    expect(view('hmm')).toEqual([1024, 1024, 0, 0, 0]); // vm_normal_page() is NULL for public pages
    expect(view('hmm:private')).toEqual([1024, 1024, 1024, 0, 0]);
    expect(view('hmm:coherent-6x')).toEqual([1024, 1024, 1024, 0, 0]);
    for (const label of HMM) {
      const b = backend(r, label);
      expect(b.accounting.memcg[0].current_pages).toBeGreaterThanOrEqual(1024);
      expect(b.accounting.memcg[0].unreclaimable_pages).toBe(b.accounting.memcg[0].current_pages); // off the LRU
      expect(b.vmstat.nr_anon_pages).toBe(1024); // counted on the host node, not in its MemTotal
      expect(b.nodes.find((n) => n.id === 1)!.used_pages_end).toBe(1024);
    }
  });

  it('row 9: mlock skips device pages (nr_mlock under-counts) and re-mlocks them on the way back', async () => {
    const r = await go([
      op('write', BASE, MiB), op('migrate', BASE, MiB, dev), op('mlock', BASE, MiB), op('migrate', BASE, MiB / 2, { agent: 'dev0', nodes: 0 }),
    ], [], 'mainline,hmm,hmm:private');
    expect(backend(r, 'mainline').vmstat.nr_mlock).toBe(256);
    expect(backend(r, 'hmm').vmstat.nr_mlock).toBe(128); // the half migrated back into the VM_LOCKED VMA
    expect(backend(r, 'hmm').accounting.resident_device_pages).toBe(128);
    // Private pages: mlock's populate faults them back (GUP -> migrate_to_ram()), then locks them.
    expect(backend(r, 'hmm:private').faults.device_private_cpu_faults).toBe(256);
    expect(backend(r, 'hmm:private').vmstat.nr_mlock).toBe(256);
  });

  it('row 10: a memcg full of device memory cannot reclaim it: memcg OOM (mainline swaps the device node)', async () => {
    const rows = [
      op('mmap', BASE, 8 * MiB, { kind: 'anon', memcg: '/job' }),
      op('migrate', BASE, 8 * MiB, { ...dev, memcg: '/job' }), // migrate_vma populates the holes, charged
      op('write', BASE + 16 * MiB, MiB, { memcg: '/job' }), // user faults in the same memcg
    ];
    const sets = ['memcgs=[{path: /job, max: 4MiB}]', 'swap=64MiB', 'backends.mainline.driverMigrate=migrate_vma'];
    const r = await go(rows, sets);
    const job = (label: string) => backend(r, label).accounting.memcg.find((g) => g.path === '/job')!;
    expect(job('mainline').oom_events).toBe(0);
    expect(backend(r, 'mainline').migrations.to_device).toBe(2048); // 6.12: reclaim swapped node-1 pages
    expect(backend(r, 'mainline').vmstat.pswpout).toBeGreaterThan(1000);
    for (const label of HMM) {
      const b = backend(r, label);
      expect(job(label).max_events).toBeGreaterThan(0);
      if (label === 'hmm:coherent-6x') {
        // 6.x (MEMORY_DEVICE_COHERENT): any charge may run the memcg OOM killer, the driver's too.
        expect(job(label).oom_events).toBe(1);
        expect(b.vmstat.pswpout).toBe(0);
        continue;
      }
      // 4.x: the driver's charge fails with ENOMEM (no memcg_may_oom outside a user fault) ...
      expect(b.migrations.failed_by_reason.ENOMEM).toBeGreaterThan(1000);
      expect(b.migrations.to_device + b.migrations.failed_by_reason.ENOMEM).toBe(2048);
      // ... and the first user fault finds nothing reclaimable: the memcg OOM-kills.
      expect(job(label).oom_events).toBe(1);
      expect(b.vmstat.pswpout).toBe(0);
    }
    const below = await go(rows.slice(0, 1).concat([op('migrate', BASE, 2 * MiB, { ...dev, memcg: '/job' })]), sets);
    const g = backend(below, 'hmm').accounting.memcg.find((x) => x.path === '/job')!;
    expect(g.current_pages).toBeGreaterThanOrEqual(512);
    expect(g.unreclaimable_pages).toBe(g.current_pages);
  });

  it('row 11: the global OOM killer picks the device-heavy process, which frees no RAM: a second kill', async () => {
    const r = await go([
      op('mmap', BASE, 96 * MiB, { kind: 'anon', pid: 1 }),
      op('migrate', BASE, 96 * MiB, { ...dev, pid: 1 }), // 24576 device pages, no RAM
      op('write', BASE, 80 * MiB, { pid: 2 }),
      op('read', BASE, 4096, { pid: 1 }),
    ], ['nodes.1.capacity=128MiB', 'backends.mainline.driverMigrate=migrate_vma']);
    expect(backend(r, 'mainline').oom_kills).toBe(0); // pid 2 spills onto the device node
    for (const label of HMM) {
      const b = backend(r, label);
      expect(b.oom_kills).toBe(2);
      expect(b.skipped_after_kill).toBe(1); // pid 1 was a victim
      expect(b.accounting.resident_device_pages).toBe(0);
    }
  });

  it('row 14: device pages are never swapped; RAM pages are', async () => {
    const r = await go([
      op('write', BASE, 24 * MiB, { pid: 1 }), op('migrate', BASE, 24 * MiB, { ...dev, pid: 1 }),
      op('write', BASE, 72 * MiB, { pid: 2 }),
    ], ['swap=64MiB']);
    for (const label of HMM) {
      const b = backend(r, label);
      expect(b.vmstat.pswpout).toBeGreaterThan(2000);
      expect(b.accounting.resident_device_pages).toBe(6144);
      expect(b.oom_kills).toBe(0);
    }
  });

  it('row 17: demotion never targets device memory (not in N_MEMORY, no memory tier)', async () => {
    const r = await go([op('set_mempolicy', '', '', { policy: 'bind', nodes: 0 }), op('write', BASE, 72 * MiB)],
      ['nodes.1.tier=2880', 'kernel.demotion=true']);
    expect(backend(r, 'mainline').vmstat.pgdemote_kswapd).toBeGreaterThan(0);
    for (const label of HMM) {
      expect(backend(r, label).accounting.resident_device_pages).toBe(0);
      expect(backend(r, label).oom_kills).toBe(1);
    }
  });
});

describe('hmm: knobs', () => {
  it('deviceFirstTouch=device populates anon holes in the pool (requested); file pages still go to RAM', async () => {
    const rows = [
      op('read', BASE, MiB, { agent: 'dev0' }),
      op('mmap', BASE + 4 * MiB, MiB, { kind: 'file', file: 'f' }),
      op('read', BASE + 4 * MiB, MiB, { agent: 'dev0' }),
    ];
    const sys = backend(await go(rows, [], 'hmm'), 'hmm');
    expect(sys.accounting.resident_device_pages).toBe(0);
    expect(sys.placement.remote_accesses).toBe(256); // the file pages, through the mirror
    const d = backend(await go(rows, ['backends.hmm.deviceFirstTouch=device'], 'hmm'), 'hmm');
    expect([d.accounting.resident_device_pages, d.accounting.resident_ram_pages]).toEqual([256, 256]);
    expect(d.placement.unrequested_device_pages).toBe(0);
    expect(d.faults.device).toBe(512);
  });

  it('faultBackPages sets how many pages one device-private fault brings back', async () => {
    const rows = [op('write', BASE, MiB), op('migrate', BASE, MiB, dev), op('read', BASE, 4096)];
    const b = backend(await go(rows, ['backends.hmm.faultBackPages=16'], 'hmm:private'), 'hmm:private');
    expect(b.faults.device_private_cpu_faults).toBe(1);
    expect(b.migrations.by_trigger.fault_back).toBe(16);
  });

  it('hostNode names the node owning the struct pages; a bad knob is a configuration error', async () => {
    const cfg = ['nodes=[{id: 0, kind: cpu, capacity: 64MiB, cpus: 1}, {id: 1, kind: cpu, capacity: 64MiB, cpus: 1}, {id: 2, kind: device, capacity: 32MiB}]'];
    const rows = [op('write', BASE, MiB), op('migrate', BASE, MiB, { agent: 'dev0', nodes: 2 })];
    const r = await go(rows, [...cfg, 'backends.hmm.hostNode=1'], 'hmm');
    expect(backend(r, 'hmm').config.hostNode).toBe(1);
    await expect(go(rows, [...cfg, 'backends.hmm.hostNode=2'], 'hmm')).rejects.toThrow(/backends\.hmm\.hostNode: 2 is not a CPU node/);
    await expect(go(rows, ['backends.hmm.evict=sometimes'], 'hmm')).rejects.toThrow(/backends\.hmm\.evict/);
    await expect(go(rows, [], 'hmm:shared')).rejects.toThrow(/no variant "shared"/);
  });
});
