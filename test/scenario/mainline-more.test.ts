// More mainline mechanisms, each pinned by a small trace: KERNEL-MODEL §8 row 1-2 (fallback for
// page cache and anon), policies of §2.5, mlock (§2.6), long-term pins (§2.7), swap, global OOM.
import { describe, expect, it } from 'vitest';
import { backend, hex, MiB, numastat, run, trace } from './run.js';

const H = 'op,addr,len,agent,policy,nodes,kind,flags,file,pid';
const BASE = 0x7f0000000000;

describe('mainline: placement', () => {
  it('row 1: page cache falls back to the device node when node 0 is at its low watermark', async () => {
    const r = await run(trace(H, [
      ['write', hex(BASE), 62 * MiB, 'cpu0', '', '', '', '', '', 1],
      ['mmap', hex(BASE + 64 * MiB), 4 * MiB, 'cpu0', '', '', 'file', '', 'data.bin', 1],
      ['read', hex(BASE + 64 * MiB), 4 * MiB, 'cpu0', '', '', '', '', '', 1],
    ]));
    const b = backend(r);
    expect(b.vmstat.pgmajfault).toBe(1024); // every page read from the file
    expect(numastat(r, 1).numa_miss).toBeGreaterThan(1000);
    expect(b.placement.unrequested_by_trigger.fallback).toBe(b.accounting.resident_device_pages);
  });

  it('MPOL_INTERLEAVE{0,1} alternates pages by index and counts numa_interleave', async () => {
    const r = await run(trace(H, [
      ['mmap', hex(BASE), MiB, 'cpu0', '', '', 'anon', '', '', 1],
      ['madvise', hex(BASE), MiB, 'cpu0', '', '', '', 'nohugepage', '', 1],
      ['mbind', hex(BASE), MiB, 'cpu0', 'interleave', '0-1', '', '', '', 1],
      ['write', hex(BASE), MiB, 'cpu0', '', '', '', '', '', 1],
    ]));
    const b = backend(r);
    expect(b.accounting.resident_ram_pages).toBe(128);
    expect(b.accounting.resident_device_pages).toBe(128);
    expect(b.vmstat.numa_interleave).toBe(256);
    expect(b.placement.unrequested_by_trigger.interleave).toBe(128);
  });

  it('MPOL_PREFERRED{1} fills node 1 then spills to node 0 in the fast path', async () => {
    const r = await run(trace(H, [
      ['set_mempolicy', '', '', 'cpu0', 'preferred', '1', '', '', '', 1],
      ['write', hex(BASE), 40 * MiB, 'cpu0', '', '', '', '', '', 1],
    ]));
    const b = backend(r);
    expect(b.accounting.resident_device_pages).toBeGreaterThan(7900);
    expect(numastat(r, 0).numa_miss).toBeGreaterThan(2000); // spilled, preferred node 1 foreign
    expect(numastat(r, 1).numa_foreign).toBe(numastat(r, 0).numa_miss);
  });

  it('a mask naming no memory node is EINVAL and leaves the policy alone', async () => {
    const r = await run(trace(H, [
      ['set_mempolicy', '', '', 'cpu0', 'bind', '7', '', '', '', 1],
      ['madvise', hex(BASE), MiB, 'cpu0', '', '', '', 'nohugepage', '', 1],
      ['write', hex(BASE), MiB, 'cpu0', '', '', '', '', '', 1],
    ]));
    const b = backend(r) as unknown as { syscall_errors: Record<string, number>; accounting: { resident_ram_pages: number } };
    expect(b.syscall_errors['set_mempolicy:EINVAL']).toBe(1);
    expect(b.accounting.resident_ram_pages).toBe(256);
  });

  it('addresses above 2^53 keep their exact page', async () => {
    const r = await run(trace('op,addr,len', [['write', '0xfffffffffffff000', 4096], ['write', '0xffffffffffffe000', 8192]]));
    const b = backend(r);
    expect(r.trace.pages_touched).toBe(2);
    // THP (always) maps the whole 2 MiB region at the top of the address space on the first write.
    expect(b.accounting.resident_pages).toBe(512);
    expect(b.vmstat.thp_fault_alloc).toBe(1);
    expect(b.placement.accesses).toBe(3);
    const base = backend(await run(trace('op,addr,len', [['write', '0xfffffffffffff000', 4096], ['write', '0xffffffffffffe000', 8192]]), { sets: ['kernel.thp=never'] }));
    expect(base.accounting.resident_pages).toBe(2);
  });
});

describe('mainline: reclaim, swap, OOM, mlock, pins', () => {
  it('with swap, anon pressure beyond RAM swaps out instead of killing', async () => {
    const r = await run(trace(H, [['write', hex(BASE), 120 * MiB, 'cpu0', '', '', '', '', '', 1]]), { sets: ['swap=128MiB'] });
    const b = backend(r);
    expect(b.vmstat.pswpout).toBeGreaterThan(0);
    expect(b.vmstat.oom_kill).toBe(0);
    expect(b.reclaim.pages_reclaimed).toBe(b.vmstat.pswpout);
    expect(b.accounting.vmrss_pages + b.vmstat.pswpout).toBeGreaterThanOrEqual(120 * 256);
  });

  it('without swap, anon beyond all memory ends in a global OOM kill of the biggest process', async () => {
    const r = await run(trace(H, [
      ['madvise', hex(BASE), 8 * MiB, 'cpu0', '', '', '', 'nohugepage', '', 2],
      ['write', hex(BASE), 4 * MiB, 'cpu0', '', '', '', '', '', 2],
      ['madvise', hex(BASE), 120 * MiB, 'cpu0', '', '', '', 'nohugepage', '', 1],
      ['write', hex(BASE), 120 * MiB, 'cpu0', '', '', '', '', '', 1],
      ['write', hex(BASE + 4 * MiB), 4096, 'cpu0', '', '', '', '', '', 2],
    ]));
    const b = backend(r);
    expect(b.oom_kills).toBe(1);
    expect(b.vmstat.oom_kill).toBe(1);
    expect(b.reclaim.direct_reclaims).toBeGreaterThan(0);
    expect(b.vmstat.allocstall_movable).toBeGreaterThan(0);
    // pid 1 was the victim (largest RSS); pid 2 carries on.
    expect(b.accounting.vmrss_pages).toBe(4 * 256 + 1);
  });

  it('mlock populates the range and moves pages to the unevictable list', async () => {
    const r = await run(trace(H, [
      ['mmap', hex(BASE), MiB, 'cpu0', '', '', 'anon', '', '', 1],
      ['mlock', hex(BASE), MiB, 'cpu0', '', '', '', '', '', 1],
    ]));
    const b = backend(r);
    expect(b.vmstat.unevictable_pgs_mlocked).toBe(256);
    expect(b.vmstat.nr_mlock).toBe(256);
    expect(b.accounting.resident_pages).toBe(256);
  });

  it('a long-term pin migrates a page off the movable device node first (MR_LONGTERM_PIN)', async () => {
    const r = await run(trace(H, [
      ['mmap', hex(BASE), 64 * 4096, 'cpu0', '', '', 'anon', '', '', 1],
      ['mbind', hex(BASE), 64 * 4096, 'cpu0', 'bind', '1', '', '', '', 1],
      ['write', hex(BASE), 64 * 4096, 'cpu0', '', '', '', '', '', 1],
      ['pin', hex(BASE), 64 * 4096, 'cpu0', '', '', '', '', '', 1],
      ['migrate', hex(BASE), 64 * 4096, 'cpu0', '', '1', '', '', '', 1],
    ]));
    const b = backend(r);
    expect(b.migrations.by_trigger.longterm_pin).toBe(64);
    expect(b.accounting.resident_ram_pages).toBe(64);
    expect(b.migrations.failed_by_reason.pinned).toBe(64); // pinned pages cannot move back
  });
});

describe('mainline: memory tiering (KERNEL-MODEL §8 row 17, §2.8 mode 2)', () => {
  const slow = ['nodes.1.tier=2880'];

  it('row 17: with demotion on, reclaim demotes node-0 pages onto a slower device node, ignoring policy', async () => {
    const r = await run(trace(H, [
      ['set_mempolicy', '', '', 'cpu0', 'bind', '0', '', '', '', 1],
      ['write', hex(BASE), 72 * MiB, 'cpu0', '', '', '', '', '', 1],
    ]), { sets: [...slow, 'kernel.demotion=true'] });
    const b = backend(r);
    expect(b.vmstat.pgdemote_kswapd).toBeGreaterThan(0);
    expect(b.vmstat.pgmigrate_success).toBe(b.vmstat.pgdemote_kswapd + b.vmstat.pgdemote_direct);
    expect(b.placement.unrequested_by_trigger.demotion).toBe(b.accounting.resident_device_pages);
    expect(b.oom_kills).toBe(0);
  });

  it('without demotion the same bound workload is OOM-killed (policy-constrained)', async () => {
    const r = await run(trace(H, [
      ['set_mempolicy', '', '', 'cpu0', 'bind', '0', '', '', '', 1],
      ['write', hex(BASE), 72 * MiB, 'cpu0', '', '', '', '', '', 1],
    ]), { sets: slow });
    const b = backend(r);
    expect(b.vmstat.pgdemote_kswapd).toBe(0);
    expect(b.oom_kills).toBe(1);
    expect(b.accounting.resident_device_pages).toBe(0);
  });

  it('numa_balancing=2 promotes hot pages from the slow node (pgpromote_success)', async () => {
    const rows: (string | number)[][] = [
      ['mmap', hex(BASE), MiB, 'cpu0', '', '', 'anon', '', '', 1],
      ['mbind', hex(BASE), MiB, 'cpu0', 'bind', '1', '', '', '', 1],
      ['write', hex(BASE), MiB, 'cpu0', '', '', '', '', '', 1],
      ['mbind', hex(BASE), MiB, 'cpu0', 'default', '', '', '', '', 1],
    ];
    const timed = rows.map((r) => [...r, 0]);
    for (let t = 1; t <= 40; t++) timed.push(['read', hex(BASE), MiB, 'cpu0', '', '', '', '', '', 1, t * 100_000_000]);
    const r = await run(trace(`${H},time`, timed), { sets: [...slow, 'kernel.numaBalancing=2'] });
    const b = backend(r);
    expect(b.vmstat.pgpromote_success).toBe(256);
    expect(b.vmstat.pgpromote_candidate).toBe(256);
    expect(b.vmstat.numa_pages_migrated).toBe(256);
    expect(b.accounting.resident_ram_pages).toBe(256);
  });

  it('numa_balancing=2 leaves a same-tier device node alone (KERNEL-CHECK Q2 mode 2)', async () => {
    const rows: (string | number)[][] = [
      ['mmap', hex(BASE), MiB, 'cpu0', '', '', 'anon', '', '', 1, 0],
      ['mbind', hex(BASE), MiB, 'cpu0', 'bind', '1', '', '', '', 1, 0],
      ['write', hex(BASE), MiB, 'cpu0', '', '', '', '', '', 1, 0],
      ['mbind', hex(BASE), MiB, 'cpu0', 'default', '', '', '', '', 1, 0],
    ];
    for (let t = 1; t <= 40; t++) rows.push(['read', hex(BASE), MiB, 'cpu0', '', '', '', '', '', 1, t * 100_000_000]);
    const b = backend(await run(trace(`${H},time`, rows), { sets: ['kernel.numaBalancing=2'] }));
    expect(b.vmstat.numa_pte_updates).toBe(0);
    expect(b.vmstat.numa_hint_faults).toBe(0);
    expect(b.accounting.resident_device_pages).toBe(256);
  });
});

describe('mainline: fidelity fixes found by kernel-check (docs/fidelity.md)', () => {
  const loop = (op: string): (string | number)[][] => {
    const rows: (string | number)[][] = [
      ['mmap', hex(BASE), MiB, 'cpu0', '', '', 'anon', '', '', 1, 0],
      ['madvise', hex(BASE), MiB, 'cpu0', '', '', '', 'nohugepage', '', 1, 0],
      ['mbind', hex(BASE), MiB, 'cpu0', 'bind', '1', '', '', '', 1, 0],
      ['write', hex(BASE), MiB, 'cpu0', '', '', '', '', '', 1, 0],
      ['mbind', hex(BASE), MiB, 'cpu0', 'default', '', '', '', '', 1, 0],
    ];
    for (let t = 1; t <= 30; t++) rows.push([op, hex(BASE), MiB, 'cpu0', '', '', '', '', '', 1, t * 100_000_000]);
    return rows;
  };

  it('a NUMA-migrated page is mapped read-only: reads take no extra fault, the first write one', async () => {
    const reads = backend(await run(trace(`${H},time`, loop('read'))));
    const writes = backend(await run(trace(`${H},time`, loop('write'))));
    expect(reads.vmstat.numa_pages_migrated).toBe(256);
    expect(reads.vmstat.pgfault).toBe(256 + 256); // first touch + hint faults
    expect(writes.vmstat.pgfault).toBe(256 + 256 + 256); // + one do_wp_page() each
  });

  it('munmap frees page-table pages no VMA covers any more (free_pgtables())', async () => {
    const b = backend(await run(trace(H, [
      ['mmap', hex(BASE), 6 * MiB, 'cpu0', '', '', 'anon', '', '', 1],
      ['madvise', hex(BASE), 6 * MiB, 'cpu0', '', '', '', 'nohugepage', '', 1],
      ['write', hex(BASE), 6 * MiB, 'cpu0', '', '', '', '', '', 1],
      ['munmap', hex(BASE), 4 * MiB, 'cpu0', '', '', '', '', '', 1],
    ])));
    expect(b.vmstat.nr_page_table_pages).toBe(1 + 1 + 1); // one PTE table left, PMD, PUD
  });

  it('memory.events max counts every pass of the charge retry loop', async () => {
    const b = backend(await run(trace(H, [
      ['madvise', hex(BASE), 9 * MiB, 'cpu0', '', '', '', 'nohugepage', '', 1],
      ['write', hex(BASE), 8 * MiB, 'cpu0', '', '', '', '', '', 1],
    ]).replace(/,1\n/g, ',1\n'), { sets: ['memcgs=[{path: /, max: 4MiB}]'] }));
    const root = b.accounting.memcg.find((g) => g.path === '/')!;
    expect(root.oom_events).toBe(1);
    expect(root.max_events).toBeGreaterThan(16); // the kernel showed 35-53 (kernel-check memcg-oom)
  });
});

describe('row 17 for the 2017 designs', () => {
  it('demotion is n/a: no memory tiers in 2017, so numa, cdm and hmm never demote', async () => {
    const r = await run(trace(H, [
      ['set_mempolicy', '', '', 'cpu0', 'bind', '0', '', '', '', 1],
      ['write', hex(BASE), 72 * MiB, 'cpu0', '', '', '', '', '', 1],
    ]), { backend: 'mainline,numa,cdm,hmm', sets: ['nodes.1.tier=2880', 'kernel.demotion=true'] });
    expect(backend(r).vmstat.pgdemote_kswapd).toBeGreaterThan(0);
    for (const label of ['numa', 'cdm', 'hmm']) {
      expect(backend(r, label).placement.unrequested_by_trigger.demotion, label).toBe(0);
      expect(backend(r, label).vmstat.pgdemote_kswapd ?? 0, label).toBe(0);
    }
  });
});

describe('migrate to a node the machine does not have', () => {
  it('fails every page with ENODEV, attributed to move_pages (CPU) or the driver (device)', async () => {
    const b = backend(await run(trace(H, [
      ['write', hex(BASE), 4 * 4096, 'cpu0', '', '', '', '', '', 1],
      ['migrate', hex(BASE), 4 * 4096, 'cpu0', '', '5', '', '', '', 1],
      ['migrate', hex(BASE), 2 * 4096, 'dev0', '', '5', '', '', '', 1],
    ])));
    expect(b.migrations.failed_by_reason.ENODEV).toBe(6);
    expect(b.migrations.total).toBe(0);
  });
});
