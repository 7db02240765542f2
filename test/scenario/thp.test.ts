// Transparent huge pages on mainline (KERNEL-MODEL §2.11), pinned to KERNEL-CHECK Q2's THP run:
// a 64 MiB MADV_HUGEPAGE touch gives thp_fault_alloc +32 and numa_hit +70 (32 THPs + page tables +
// the test program's own pages); move_pages then moves 16384 pages as 32 whole THPs.
import { describe, expect, it } from 'vitest';
import { backend, hex, MiB, numastat, run, trace } from './run.js';

const H = 'op,addr,len,policy,nodes,kind,flags';
const BASE = 0x7f0000000000;
const big = ['nodes.0.capacity=256MiB', 'nodes.1.capacity=256MiB'];

describe('mainline: THP', () => {
  it('a madvised 64 MiB touch faults 32 THPs: one numa event and one pgfault each', async () => {
    const r = await run(trace(H, [
      ['mmap', hex(BASE), 64 * MiB, '', '', 'anon', ''],
      ['madvise', hex(BASE), 64 * MiB, '', '', '', 'hugepage'],
      ['write', hex(BASE), 64 * MiB, '', '', '', ''],
    ]), { sets: big });
    const b = backend(r);
    expect(b.vmstat.thp_fault_alloc).toBe(32);
    expect(b.vmstat.nr_anon_transparent_hugepages).toBe(32);
    expect(b.vmstat.pgfault).toBe(32);
    // 32 THPs + 32 deposited PTE tables + 1 PMD table + 1 PUD table (KERNEL-CHECK: 70 incl. the program).
    expect(numastat(r, 0).numa_hit).toBe(66);
    expect(b.vmstat.pgalloc_normal).toBe(16384 + 34);
    expect(b.accounting.vmrss_pages).toBe(16384);
  });

  it('move_pages moves whole THPs: pgmigrate_success +16384, thp_migration_success +32', async () => {
    const r = await run(trace(H, [
      ['mmap', hex(BASE), 64 * MiB, '', '', 'anon', ''],
      ['madvise', hex(BASE), 64 * MiB, '', '', '', 'hugepage'],
      ['mbind', hex(BASE), 64 * MiB, 'bind', '1', '', ''],
      ['write', hex(BASE), 64 * MiB, '', '', '', ''],
      ['migrate', hex(BASE), 64 * MiB, '', '0', '', ''],
    ]), { sets: big });
    const b = backend(r);
    expect(b.vmstat.pgmigrate_success).toBe(16384);
    expect(b.vmstat.thp_migration_success).toBe(32);
    expect(b.migrations.total).toBe(16384);
    expect(b.migrations.failed).toBe(0);
    expect(b.accounting.resident_ram_pages).toBe(16384);
    expect(b.vmstat.nr_anon_transparent_hugepages).toBe(32);
  });

  it('reads of never-written memory map the huge zero page: no data page, one fault per PMD', async () => {
    const r = await run(trace(H, [['read', hex(BASE), 4 * MiB, '', '', '', '']]));
    const b = backend(r);
    expect(b.vmstat.thp_zero_page_alloc).toBe(1);
    expect(b.vmstat.pgfault).toBe(2);
    expect(b.accounting.resident_pages).toBe(0);
    expect(b.placement.accesses).toBe(1024);
  });

  it('a write into the huge zero page splits the PMD and copies one page (6.12)', async () => {
    const r = await run(trace(H, [
      ['read', hex(BASE), 2 * MiB, '', '', '', ''],
      ['write', hex(BASE + 4096), 4096, '', '', '', ''],
    ]));
    const b = backend(r);
    expect(b.vmstat.thp_split_pmd).toBe(1);
    expect(b.accounting.resident_pages).toBe(1);
    expect(b.vmstat.thp_fault_alloc).toBe(0);
  });

  it('a non-madvised THP never goes remote: below the low mark it falls back to base pages', async () => {
    const r = await run(trace(H, [['write', hex(BASE), 80 * MiB, '', '', '', '']]));
    const b = backend(r);
    expect(b.vmstat.thp_fault_fallback).toBeGreaterThan(0);
    expect(b.accounting.resident_device_pages).toBeGreaterThan(0); // base pages spilled
    expect(b.nodes[1].used_pages_end).toBe(b.accounting.resident_device_pages); // no THP on node 1
  });

  it('a partial munmap splits the THP and frees only the unmapped pages', async () => {
    const r = await run(trace(H, [
      ['mmap', hex(BASE), 2 * MiB, '', '', 'anon', ''],
      ['write', hex(BASE), 2 * MiB, '', '', '', ''],
      ['munmap', hex(BASE), MiB, '', '', '', ''],
    ]));
    const b = backend(r);
    expect(b.vmstat.thp_split_page).toBe(1);
    expect(b.vmstat.nr_anon_transparent_hugepages).toBe(0);
    expect(b.accounting.resident_pages).toBe(256);
    expect(b.accounting.vmrss_pages).toBe(256);
  });

  it('NUMA balancing migrates a THP whole on one hint fault', async () => {
    const rows: (string | number)[][] = [
      ['mmap', hex(BASE), 2 * MiB, '', '', 'anon', '', 0],
      ['mbind', hex(BASE), 2 * MiB, 'bind', '1', '', '', 0],
      ['write', hex(BASE), 2 * MiB, '', '', '', '', 0],
      ['mbind', hex(BASE), 2 * MiB, 'default', '', '', '', 0],
    ];
    for (let t = 1; t <= 30; t++) rows.push(['read', hex(BASE), 2 * MiB, '', '', '', '', t * 100_000_000]);
    const b = backend(await run(trace(`${H},time`, rows)));
    expect(b.vmstat.numa_huge_pte_updates).toBe(1);
    expect(b.vmstat.numa_pte_updates).toBe(512);
    expect(b.vmstat.numa_hint_faults).toBe(1);
    expect(b.vmstat.numa_pages_migrated).toBe(512);
    expect(b.vmstat.thp_migration_success).toBe(1);
    expect(b.accounting.resident_ram_pages).toBe(512);
  });
});

describe('mainline: khugepaged (KERNEL-MODEL §2.11, §8 row 16)', () => {
  const rows = (extra: (string | number)[][]): (string | number)[][] => [
    ['mmap', hex(BASE), 2 * MiB, '', '', 'anon', '', 0],
    ['madvise', hex(BASE), 2 * MiB, '', '', '', 'nohugepage', 0],
    ['write', hex(BASE), 500 * 4096, '', '', '', '', 1000],
    ['migrate', hex(BASE), 400 * 4096, '', '1', '', '', 2000], // move_pages: 400 pages to the device
    ['madvise', hex(BASE), 2 * MiB, '', '', '', 'hugepage', 3000],
    ...extra,
  ];

  it('collapses a mostly-device region onto the device node after scan_sleep_millisecs', async () => {
    const r = await run(trace(`${H},time`, rows([['read', hex(BASE), 4096, '', '', '', '', 11e9]])), { sets: ['kernel.numaBalancing=0'] });
    const b = backend(r);
    expect(b.vmstat.thp_collapse_alloc).toBe(1);
    expect(b.vmstat.nr_anon_transparent_hugepages).toBe(1);
    expect(b.accounting.resident_device_pages).toBe(512);
    expect(b.accounting.vmrss_pages).toBe(512); // the 12 holes were filled
    // The 100 RAM pages and the 12 holes landed on the device without being asked for.
    expect(b.placement.unrequested_by_trigger.khugepaged).toBe(112);
  });

  it('does nothing before khugepaged wakes', async () => {
    const r = await run(trace(`${H},time`, rows([['read', hex(BASE), 4096, '', '', '', '', 5e9]])), { sets: ['kernel.numaBalancing=0'] });
    expect(backend(r).vmstat.thp_collapse_alloc).toBe(0);
  });
});

describe('hmm: khugepaged over device pages (KERNEL-MODEL §8 row 16)', () => {
  const rows: (string | number)[][] = [
    ['mmap', hex(BASE), 2 * MiB, '', '', 'anon', '', 0],
    ['madvise', hex(BASE), 2 * MiB, '', '', '', 'nohugepage', 0],
    ['write', hex(BASE), 2 * MiB, '', '', '', '', 1000],
    ['migrate', hex(BASE), 40 * 4096, '', '1', '', '', 2000, 'dev0'],
    ['madvise', hex(BASE), 2 * MiB, '', '', '', 'hugepage', 3000],
    ['read', hex(BASE + MiB), 4096, '', '', '', '', 11e9],
  ];
  const csv = trace(`${H},time,agent`, rows.map((r) => (r.length === 8 ? [...r, 'cpu0'] : r)));

  it('device-private entries count as swap entries and the collapse faults them back', async () => {
    const b = backend(await run(csv, { backend: 'hmm:private', sets: ['kernel.numaBalancing=0'] }), 'hmm:private');
    expect(b.vmstat.thp_collapse_alloc).toBe(1);
    expect(b.migrations.by_trigger.khugepaged).toBe(40);
    expect(b.accounting.resident_device_pages).toBe(0);
  });

  it('public and coherent device pages abort the scan', async () => {
    for (const label of ['hmm', 'hmm:coherent-6x']) {
      const b = backend(await run(csv, { backend: label, sets: ['kernel.numaBalancing=0'] }), label);
      expect(b.vmstat.thp_collapse_alloc, label).toBe(0);
      expect(b.accounting.resident_device_pages, label).toBe(40);
    }
  });
});
