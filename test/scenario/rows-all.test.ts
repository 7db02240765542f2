// §8 rows that the per-backend files pin only in part, now with all four designs in one run.
import { describe, expect, it } from 'vitest';
import { backend, run, trace } from './run.js';
import { BASE, BASE_PAGES, H, MiB, op } from './rows.js';

const ALL = 'mainline,numa,cdm,hmm,hmm:private';

describe('KERNEL-MODEL §8, all designs side by side', () => {
  it('row 7: the driver migrates a file-backed page to the device', async () => {
    const r = await run(trace(H, [
      op('mmap', BASE, 64 * 4096, { kind: 'file', file: 'data.bin' }),
      op('read', BASE, 64 * 4096),
      op('migrate', BASE, 64 * 4096, { agent: 'dev0', nodes: 1 }),
    ]), { backend: ALL, sets: BASE_PAGES });
    for (const label of ['mainline', 'numa', 'cdm', 'hmm']) {
      expect(backend(r, label).accounting.resident_device_pages, label).toBe(64); // ordinary migration; 2017 public allows
    }
    expect(backend(r, 'hmm:private').accounting.resident_device_pages).toBe(0);
    expect(backend(r, 'hmm:private').migrations.failed_by_reason['file-to-device']).toBe(64);
  });

  it('row 12: driver migrations count pgmigrate_* only where the driver uses migrate_pages()', async () => {
    const r = await run(trace(H, [
      op('mmap', BASE, 256 * 4096, { kind: 'anon' }),
      op('write', BASE, 256 * 4096),
      op('migrate', BASE, 256 * 4096, { agent: 'dev0', nodes: 1 }),
    ]), { backend: ALL, sets: BASE_PAGES });
    const moved = (l: string) => backend(r, l).migrations.by_trigger.driver;
    for (const label of ['mainline', 'numa', 'cdm', 'hmm', 'hmm:private']) expect(moved(label), label).toBe(256);
    expect(backend(r, 'mainline').vmstat.pgmigrate_success).toBe(256); // migrate_pages()
    expect(backend(r, 'cdm').vmstat.pgmigrate_success).toBe(256); // migrate_virtual_range()
    expect(backend(r, 'numa').vmstat.pgmigrate_success).toBe(0); // migrate_vma
    expect(backend(r, 'hmm').vmstat.pgmigrate_success).toBe(0); // migrate_vma
  });

  it('row 14: device-resident pages are swapped out except under hmm', async () => {
    const r = await run(trace(H, [
      op('mmap', BASE, 4 * MiB, { kind: 'anon' }),
      op('write', BASE, 4 * MiB),
      op('migrate', BASE, 4 * MiB, { agent: 'dev0', nodes: 1 }),
      op('write', BASE + 8 * MiB, 90 * MiB),
    ]), { backend: 'mainline,cdm,hmm', sets: [...BASE_PAGES, 'swap=256MiB', 'nodes.1.capacity=4MiB'] });
    expect(backend(r, 'hmm').accounting.resident_device_pages).toBe(1024); // never on an LRU, never swapped
    for (const label of ['mainline', 'cdm']) expect(backend(r, label).vmstat.pswpout, label).toBeGreaterThan(0);
  });
});

describe('KERNEL-MODEL §8 row 16: khugepaged over a mostly-device range, all designs', () => {
  it('collapses onto C under numa, cdm and mainline (THISNODE passes every filter); hmm device pages abort the scan', async () => {
    const r = await run(trace(H, [
      op('mmap', BASE, 2 * MiB, { kind: 'anon', time: 0 }),
      op('madvise', BASE, 2 * MiB, { flags: 'nohugepage', time: 0 }),
      op('write', BASE, 2 * MiB, { time: 1000 }),
      op('migrate', BASE, 400 * 4096, { agent: 'dev0', nodes: 1, time: 2000 }),
      op('madvise', BASE, 2 * MiB, { flags: 'hugepage', time: 3000 }),
      op('read', BASE + MiB, 4096, { time: 11e9 }),
    ]), { backend: 'mainline,numa,cdm,hmm', sets: ['kernel.numaBalancing=0'] });
    for (const label of ['mainline', 'numa', 'cdm']) {
      const b = backend(r, label);
      expect(b.vmstat.thp_collapse_alloc, label).toBe(1);
      expect(b.accounting.resident_device_pages, label).toBe(512);
      expect(b.placement.unrequested_by_trigger.khugepaged, label).toBe(112); // the RAM pages pulled onto C
    }
    expect(backend(r, 'hmm').vmstat.thp_collapse_alloc).toBe(0);
    expect(backend(r, 'hmm').accounting.resident_device_pages).toBe(400);
  });
});

describe('KERNEL-MODEL §8 row 11: system-wide OOM victim choice, all designs', () => {
  it('the device-heavy process dies first (RSS counts device pages) but frees no RAM: a second kill follows', async () => {
    const chunk = (i: number) => [
      op('write', BASE + i * 25 * MiB, 25 * MiB, { pid: 1 }),
      op('migrate', BASE + i * 25 * MiB, 25 * MiB, { agent: 'dev0', nodes: 1, pid: 1 }),
    ];
    const r = await run(trace(H, [
      op('mmap', BASE, 100 * MiB, { kind: 'anon', pid: 1 }),
      ...chunk(0), ...chunk(1), ...chunk(2), ...chunk(3), // 25,600 pages of pid 1 on the device
      op('write', BASE, 80 * MiB, { pid: 2 }), // more than node 0's 64 MiB
    ]), { backend: 'mainline,numa,cdm,hmm', sets: [...BASE_PAGES, 'nodes.1.capacity=128MiB', 'kernel.numaBalancing=0'] });
    for (const label of ['numa', 'cdm', 'hmm']) {
      const b = backend(r, label);
      expect(b.oom_kills, label).toBe(2); // pid 1 first (largest RSS), which frees no RAM, then pid 2
      expect(b.accounting.resident_device_pages, label).toBe(0);
    }
    expect(backend(r, 'mainline').oom_kills).toBe(0); // pid 2 spills onto the device node instead
  });
});

describe('KERNEL-MODEL §8 row 15: a THP range migrated towards the device, all designs', () => {
  const thp = [
    op('mmap', BASE, 2 * MiB, { kind: 'anon' }),
    op('write', BASE, 2 * MiB), // one THP on node 0 (thp=always)
  ];
  it('move_pages of 10 named pages: 6.12 moves the THP whole, 2017 splits and moves the named pages', async () => {
    const r = await run(trace(H, [...thp, op('migrate', BASE, 10 * 4096, { nodes: 1 })]), { backend: 'mainline,cdm,numa', sets: ['kernel.numaBalancing=0'] });
    expect(backend(r, 'mainline').vmstat.pgmigrate_success).toBe(512);
    expect(backend(r, 'mainline').vmstat.thp_migration_success).toBe(1);
    expect(backend(r, 'cdm').vmstat.pgmigrate_success).toBe(10);
    expect(backend(r, 'cdm').vmstat.thp_split_page).toBe(1);
    expect(backend(r, 'cdm').accounting.resident_device_pages).toBe(10);
    expect(backend(r, 'numa').migrations.failed_by_reason.ENODEV).toBe(10);
  });

  it('a driver migration of the 2 MiB: counted only by migrate_pages() drivers; HMM v2x skips the THP range', async () => {
    const r = await run(trace(H, [...thp, op('migrate', BASE, 2 * MiB, { agent: 'dev0', nodes: 1 })]),
      { backend: 'mainline,cdm,numa,hmm', sets: ['kernel.numaBalancing=0'] });
    for (const label of ['mainline', 'cdm', 'numa']) expect(backend(r, label).accounting.resident_device_pages, label).toBe(512);
    expect(backend(r, 'mainline').vmstat.thp_migration_success).toBe(1);
    expect(backend(r, 'cdm').vmstat.pgmigrate_success).toBe(512);
    expect(backend(r, 'numa').vmstat.pgmigrate_success).toBe(0);
    expect(backend(r, 'hmm').accounting.resident_device_pages).toBe(0);
    expect(backend(r, 'hmm').migrations.failed_by_reason.thp).toBe(512);
  });
});
