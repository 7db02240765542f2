// Scenario tests for the `numa` backend (Balbir's N_COHERENT_MEMORY, KERNEL-MODEL §4), one per row
// of §8 where it has a defined outcome, run beside mainline and cdm so each row shows the divergence.
import { describe, expect, it } from 'vitest';
import { backend, numastat, run, trace } from './run.js';
import { BASE, BASE_PAGES, cpuLoop, H, MiB, op } from './rows.js';

const SEEDS = 'mainline,numa,numa:rfc,cdm';
const go = (rows: (string | number)[][], sets: string[] = [], be = SEEDS) =>
  run(trace(H, rows), { backend: be, sets: [...BASE_PAGES, ...sets] });

describe('numa: §8 placement rows', () => {
  it('row 1: page cache at RAM\'s low watermark is reclaimed in RAM, never placed on C', async () => {
    const r = await go([
      op('write', BASE, 56 * MiB),
      op('mmap', BASE + 64 * MiB, 8 * MiB, { kind: 'file', file: 'data' }),
      op('read', BASE + 64 * MiB, 8 * MiB),
    ]);
    expect(backend(r, 'mainline').placement.unrequested_by_trigger.fallback).toBeGreaterThan(0);
    for (const label of ['numa', 'cdm']) {
      const b = backend(r, label);
      expect(b.accounting.resident_device_pages).toBe(0);
      expect(numastat(r, 1, label).numa_miss).toBe(0);
      expect(b.vmstat.pgsteal_kswapd).toBeGreaterThan(0); // RAM reclaim made room instead
      expect(b.oom_kills).toBe(0);
    }
  });

  it('row 2: default-policy anon with RAM exhausted OOMs instead of using C', async () => {
    const r = await go([op('write', BASE, 80 * MiB)]);
    expect(backend(r, 'mainline').accounting.resident_device_pages).toBeGreaterThan(4000);
    expect(backend(r, 'mainline').oom_kills).toBe(0);
    for (const label of ['numa', 'cdm']) {
      expect(backend(r, label).oom_kills).toBe(1);
      expect(numastat(r, 1, label).numa_hit + numastat(r, 1, label).numa_miss).toBe(0);
    }
  });

  it('row 3: PREFERRED{C} fills C, then spills to RAM in the fast path (cdm/buddy ignores it)', async () => {
    const r = await go([op('set_mempolicy', '', '', { policy: 'preferred', nodes: 1 }), op('write', BASE, 40 * MiB)]);
    const b = backend(r, 'numa');
    expect(b.accounting.resident_device_pages).toBeGreaterThan(7900);
    const spilled = numastat(r, 0, 'numa').numa_miss;
    expect(spilled).toBeGreaterThan(2000);
    expect(numastat(r, 1, 'numa').numa_foreign).toBe(spilled);
    expect(backend(r, 'cdm').accounting.resident_device_pages).toBe(0);
    expect(numastat(r, 1, 'cdm').numa_foreign).toBe(10240); // C was the preferred zone, never used
  });

  it('row 4: BIND{0,1} walks C\'s zonelist under cdmv1 (C first); rfc never uses C', async () => {
    const small = await go([
      op('mmap', BASE, 4 * MiB, { kind: 'anon' }),
      op('mbind', BASE, 4 * MiB, { policy: 'bind', nodes: '0-1' }),
      op('write', BASE, 4 * MiB),
    ]);
    expect(backend(small, 'numa').accounting.resident_device_pages).toBe(1024);
    for (const label of ['numa:rfc', 'cdm', 'mainline']) expect(backend(small, label).accounting.resident_ram_pages).toBe(1024);
    // Past C's capacity: cdmv1 continues on RAM, rfc runs RAM dry and OOMs, cdm/buddy uses C after RAM.
    const big = await go([op('set_mempolicy', '', '', { policy: 'bind', nodes: '0-1' }), op('write', BASE, 80 * MiB)]);
    const cdmv1 = backend(big, 'numa');
    expect(cdmv1.accounting.resident_device_pages).toBeGreaterThan(8000);
    expect(numastat(big, 0, 'numa').numa_miss).toBe(cdmv1.accounting.resident_ram_pages); // preferred zone: C
    expect(cdmv1.oom_kills).toBe(0);
    expect(backend(big, 'numa:rfc').oom_kills).toBe(1);
    expect(backend(big, 'numa:rfc').accounting.resident_device_pages).toBe(0);
    expect(backend(big, 'cdm').accounting.resident_device_pages).toBeGreaterThan(4000);
    expect(numastat(big, 1, 'cdm').numa_miss).toBe(backend(big, 'cdm').accounting.resident_device_pages);
  });

  it('rfc variant: BIND{C} has no eligible zone: the fault fails with VM_FAULT_OOM and 4.x OOM-kills', async () => {
    const r = await go([
      op('mmap', BASE, MiB, { kind: 'anon' }),
      op('mbind', BASE, MiB, { policy: 'bind', nodes: '1' }),
      op('write', BASE, MiB),
    ]);
    expect(backend(r, 'numa').accounting.resident_device_pages).toBe(256);
    const rfc = backend(r, 'numa:rfc');
    expect(rfc.oom_kills).toBe(1); // pagefault_out_of_memory()
    expect(numastat(r, 1, 'numa:rfc').numa_hit).toBe(0);
    expect(rfc.skipped_after_kill).toBe(0); // the write was the last event
  });

  it('row 5: INTERLEAVE{0,1} alternates onto C (cdm/buddy: all RAM)', async () => {
    const r = await go([
      op('mmap', BASE, MiB, { kind: 'anon' }),
      op('mbind', BASE, MiB, { policy: 'interleave', nodes: '0-1' }),
      op('write', BASE, MiB),
    ]);
    for (const label of ['numa', 'mainline']) {
      expect(backend(r, label).accounting.resident_device_pages).toBe(128);
      expect(backend(r, label).vmstat.numa_interleave).toBe(256);
    }
    expect(backend(r, 'cdm').accounting.resident_ram_pages).toBe(256);
    expect(numastat(r, 0, 'cdm').numa_miss).toBe(128); // C's turns landed on RAM
  });

  it('row 6: move_pages to C fails the call with ENODEV for every page', async () => {
    const r = await go([op('write', BASE, MiB), op('migrate', BASE, MiB, { nodes: 1 })]);
    const b = backend(r, 'numa');
    expect(b.migrations.failed_by_reason).toEqual({ ENODEV: 256 });
    expect(b.accounting.resident_ram_pages).toBe(256);
    expect(b.vmstat.pgmigrate_fail ?? 0).toBe(0); // call-level error: migrate_pages() never ran
    for (const label of ['cdm', 'mainline']) {
      expect(backend(r, label).migrations.by_trigger.move_pages).toBe(256);
      expect(backend(r, label).vmstat.pgmigrate_success).toBe(256);
    }
  });
});

describe('numa: §8 migration, accounting and reclaim rows', () => {
  it('row 8: NUMA balancing pulls driver-placed default-policy pages back from C', async () => {
    const r = await go([
      op('mmap', BASE, MiB, { kind: 'anon', time: 0 }),
      op('write', BASE, MiB, { time: 0 }),
      op('migrate', BASE, MiB, { agent: 'dev0', nodes: 1, time: 0 }),
      ...cpuLoop(BASE, MiB),
    ]);
    for (const label of ['numa', 'cdm', 'mainline']) {
      const b = backend(r, label);
      expect(b.migrations.by_trigger.driver).toBe(256);
      expect(b.vmstat.numa_pages_migrated).toBe(256);
      expect(b.accounting.resident_ram_pages).toBe(256);
    }
    // migrate_vma counts nothing: only NUMA balancing's moves reach pgmigrate_success under numa.
    expect(backend(r, 'numa').vmstat.pgmigrate_success).toBe(256);
    expect(backend(r, 'cdm').vmstat.pgmigrate_success).toBe(512);
  });

  it('row 9: VmRSS and smaps count C pages, numa_maps omits them', async () => {
    const r = await go([
      op('mmap', BASE, 4 * MiB, { kind: 'anon' }),
      op('mbind', BASE, 4 * MiB, { policy: 'bind', nodes: '1' }),
      op('write', BASE, 4 * MiB),
    ]);
    const a = backend(r, 'numa').accounting;
    expect([a.resident_device_pages, a.vmrss_pages, a.smaps_rss_pages, a.numa_maps_pages]).toEqual([1024, 1024, 1024, 0]);
    for (const label of ['cdm', 'mainline']) expect(backend(r, label).accounting.numa_maps_pages).toBe(1024);
  });

  it('row 10: memcg reclaim cannot reach page cache on C: the memcg OOMs', async () => {
    const r = await go([
      op('set_mempolicy', '', '', { policy: 'bind', nodes: 1, memcg: '/job' }),
      op('mmap', BASE, 8 * MiB, { kind: 'file', file: 'data', memcg: '/job' }),
      op('read', BASE, 8 * MiB, { memcg: '/job' }),
    ], ['memcgs=[{path: /job, max: 4MiB}]']);
    const job = (label: string) => backend(r, label).accounting.memcg.find((g) => g.path === '/job')!;
    expect(job('numa').oom_events).toBe(1);
    expect(job('numa').unreclaimable_pages).toBe(job('numa').current_pages); // all of it sits on C
    for (const label of ['cdm', 'mainline']) {
      expect(job(label).oom_events).toBe(0);
      expect(backend(r, label).vmstat.pgsteal_direct).toBeGreaterThan(1000);
    }
  });

  it('row 12: driver migrations use migrate_vma: no pgmigrate_* unless driverMigrate=migrate_pages', async () => {
    const rows = [op('write', BASE, MiB), op('migrate', BASE, MiB, { agent: 'dev0', nodes: 1 })];
    const r = await go(rows);
    expect(backend(r, 'numa').migrations.to_device).toBe(256);
    expect(backend(r, 'numa').vmstat.pgmigrate_success ?? 0).toBe(0);
    expect(backend(r, 'cdm').vmstat.pgmigrate_success).toBe(256);
    expect(backend(r, 'mainline').vmstat.pgmigrate_success).toBe(256);
    const knob = await go(rows, ['backends.numa.driverMigrate=migrate_pages'], 'numa');
    expect(backend(knob, 'numa').vmstat.pgmigrate_success).toBe(256);
  });

  it('row 13: C full under BIND: direct reclaim of C (no kswapd by default), then policy OOM for anon', async () => {
    const file = [
      op('set_mempolicy', '', '', { policy: 'bind', nodes: 1 }),
      op('mmap', BASE, 40 * MiB, { kind: 'file', file: 'data' }),
      op('read', BASE, 40 * MiB),
    ];
    const r = await go(file);
    const b = backend(r, 'numa');
    expect(b.reclaim.kswapd_wakeups).toBe(0);
    expect(b.vmstat.pgsteal_direct).toBeGreaterThan(2000);
    expect(b.oom_kills).toBe(0);
    expect(backend(r, 'cdm').vmstat.pgsteal_kswapd).toBeGreaterThan(2000); // C is N_MEMORY: kswapd
    const hotplugged = backend(await go(file, ['backends.numa.kswapd=present'], 'numa'), 'numa');
    expect(hotplugged.reclaim.kswapd_wakeups).toBeGreaterThan(0);
    expect(hotplugged.vmstat.pgsteal_kswapd).toBeGreaterThan(2000);
    const anon = await go([op('set_mempolicy', '', '', { policy: 'bind', nodes: 1 }), op('write', BASE, 40 * MiB)]);
    for (const label of ['numa', 'cdm', 'mainline']) {
      expect(backend(anon, label).oom_kills).toBe(1);
      expect(numastat(anon, 0, label).numa_hit).toBeLessThan(100); // page tables only: never spilled
    }
  });

  it('row 14: C pages are swappable', async () => {
    const r = await go([op('set_mempolicy', '', '', { policy: 'bind', nodes: 1 }), op('write', BASE, 40 * MiB)], ['swap=64MiB']);
    for (const label of ['numa', 'cdm']) {
      expect(backend(r, label).vmstat.pswpout).toBeGreaterThan(2000);
      expect(backend(r, label).oom_kills).toBe(0);
    }
  });
});

describe('numa and cdm: knobs are validated', () => {
  it('a bad knob value is a configuration error naming its path', async () => {
    await expect(go([op('write', BASE, 4096)], ['backends.numa.kswapd=sometimes'], 'numa')).rejects.toThrow(/backends\.numa\.kswapd/);
    await expect(go([op('write', BASE, 4096)], ['backends.cdm.vmCdm=v3'], 'cdm')).rejects.toThrow(/backends\.cdm\.vmCdm/);
    await expect(go([op('write', BASE, 4096)], [], 'cdm:hugetlb')).rejects.toThrow(/no variant "hugetlb"/);
  });
});
