// Scenario tests for the mainline backend: the real-kernel figures of KERNEL-CHECK.md Q2 and Q5,
// each as a small trace with asserted report fields.
import { describe, expect, it } from 'vitest';
import { backend, hex, MiB, numastat, run, trace } from './run.js';

const H = 'op,addr,len,agent,policy,nodes,kind,flags,time,memcg';
const BASE = 0x7f0000000000;
const pages = (bytes: number) => bytes / 4096;

describe('mainline: syscall-driven paths (KERNEL-CHECK Q2)', () => {
  it('first touch under BIND{1} from a node-0 CPU counts numa_hit and numa_other on node 1', async () => {
    const r = await run(trace(H, [
      ['mmap', hex(BASE), 4 * MiB, 'cpu0', '', '', 'anon', '', '', ''],
      ['madvise', hex(BASE), 4 * MiB, 'cpu0', '', '', '', 'nohugepage', '', ''], // as KERNEL-CHECK's nt basic
      ['mbind', hex(BASE), 4 * MiB, 'cpu0', 'bind', '1', '', '', '', ''],
      ['write', hex(BASE), 4 * MiB, 'cpu0', '', '', '', '', '', ''],
    ]));
    const n1 = numastat(r, 1);
    expect(n1.numa_hit).toBe(pages(4 * MiB));
    expect(n1.other_node).toBe(pages(4 * MiB));
    expect(n1.local_node).toBe(0);
    // Page-table pages follow the task policy on the CPU's node: 2 PTE tables + PMD + PUD.
    expect(numastat(r, 0).numa_hit).toBe(4);
    expect(numastat(r, 0).local_node).toBe(4);
    const b = backend(r);
    expect(b.accounting.resident_device_pages).toBe(pages(4 * MiB));
    expect(b.placement.unrequested_device_pages).toBe(0); // the policy asked for node 1
    expect(b.vmstat.pgfault).toBe(pages(4 * MiB));
    expect(b.vmstat.nr_page_table_pages).toBe(4);
  });

  it('move_pages counts pgmigrate_success per page and leaves numa_pages_migrated alone', async () => {
    const r = await run(trace(H, [
      ['mmap', hex(BASE), MiB, 'cpu0', '', '', 'anon', '', '', ''],
      ['madvise', hex(BASE), MiB, 'cpu0', '', '', '', 'nohugepage', '', ''],
      ['mbind', hex(BASE), MiB, 'cpu0', 'bind', '1', '', '', '', ''],
      ['write', hex(BASE), MiB, 'cpu0', '', '', '', '', '', ''],
      ['migrate', hex(BASE), MiB, 'cpu0', '', '0', '', '', '', ''],
    ]));
    const b = backend(r);
    expect(b.vmstat.pgmigrate_success).toBe(256);
    expect(b.vmstat.numa_pages_migrated).toBe(0);
    expect(b.migrations.by_trigger.move_pages).toBe(256);
    expect(b.migrations.to_host).toBe(256);
    // The destination pages are allocations on node 0 by a node-0 CPU: numa_hit and local.
    expect(numastat(r, 0).numa_hit).toBe(256 + 3);
    expect(numastat(r, 0).local_node).toBe(256 + 3);
    expect(b.accounting.resident_ram_pages).toBe(256);
  });

  it('default-policy allocations spill to the memory-only node below node 0\'s low watermark', async () => {
    // two-node: node 0 has 16384 pages; THP raises min_free_kbytes so low = 1023 pages.
    const r = await run(trace(H, [
      ['madvise', hex(BASE), 80 * MiB, 'cpu0', '', '', '', 'nohugepage', '', ''],
      ['write', hex(BASE), 80 * MiB, 'cpu0', '', '', '', '', '', ''],
    ]));
    const b = backend(r);
    const spilled = numastat(r, 1).numa_miss;
    expect(spilled).toBeGreaterThan(0);
    expect(numastat(r, 0).numa_foreign).toBe(spilled);
    expect(b.placement.unrequested_by_trigger.fallback).toBe(b.accounting.resident_device_pages);
    expect(b.placement.unrequested_device_pages).toBeGreaterThan(0);
    // User pages stop at node 0's low mark (16384 - 1023 used). Page tables (GFP_KERNEL) cannot use
    // node 1's ZONE_MOVABLE, so after the spill they dip below low to the min mark on node 0.
    const tablesAfterSpill = Math.ceil(spilled / 512);
    expect(b.nodes[0].used_pages_end).toBeGreaterThanOrEqual(16384 - 1023 + tablesAfterSpill - 1);
    expect(b.nodes[0].used_pages_end).toBeLessThanOrEqual(16384 - 1023 + tablesAfterSpill + 1);
    expect(b.reclaim.kswapd_wakeups).toBeGreaterThan(0); // the slow path woke kswapd for those
    expect(b.vmstat.nr_page_table_pages).toBe(40 + 1 + 1);
  });

  it('a memcg over memory.max without swap OOM-kills the process', async () => {
    const r = await run(trace(H, [
      ['madvise', hex(BASE), 9 * MiB, 'cpu0', '', '', '', 'nohugepage', '', '/job'],
      ['write', hex(BASE), 8 * MiB, 'cpu0', '', '', '', '', '', '/job'],
      ['write', hex(BASE + 8 * MiB), 4096, 'cpu0', '', '', '', '', '', '/job'],
    ]), { sets: ['memcgs=[{path: /job, max: 4MiB}]'] });
    const b = backend(r);
    const job = b.accounting.memcg.find((g) => g.path === '/job')!;
    expect(job.oom_events).toBe(1);
    expect(job.max_events).toBeGreaterThanOrEqual(1);
    expect(b.vmstat.oom_kill).toBe(1);
    expect(b.skipped_after_kill).toBe(1); // the write after the kill
  });
});

describe('mainline: NUMA balancing (KERNEL-CHECK Q2, §2.8)', () => {
  it('pulls default-policy pages on the device node back to the CPU node', async () => {
    const rows: (string | number)[][] = [
      ['mmap', hex(BASE), MiB, 'cpu0', '', '', 'anon', '', 0, ''],
      ['mbind', hex(BASE), MiB, 'cpu0', 'bind', '1', '', '', 0, ''],
      ['write', hex(BASE), MiB, 'cpu0', '', '', '', '', 0, ''],
      ['mbind', hex(BASE), MiB, 'cpu0', 'default', '', '', '', 0, ''],
    ];
    // Loop over the pages from node 0 for 4 s of trace time.
    for (let t = 1; t <= 40; t++) rows.push(['read', hex(BASE), MiB, 'cpu0', '', '', '', '', t * 100_000_000, '']);
    const r = await run(trace(H, rows));
    const b = backend(r);
    expect(b.vmstat.numa_pte_updates).toBe(256);
    expect(b.vmstat.numa_hint_faults).toBe(256);
    expect(b.vmstat.numa_pages_migrated).toBe(256);
    expect(b.vmstat.pgmigrate_success).toBe(256);
    expect(b.accounting.resident_ram_pages).toBe(256);
    expect(b.migrations.by_trigger.numa_balancing).toBe(256);
  });

  it('leaves pages under an explicit policy alone (no MPOL_F_MOF)', async () => {
    const rows: (string | number)[][] = [
      ['mmap', hex(BASE), MiB, 'cpu0', '', '', 'anon', '', 0, ''],
      ['mbind', hex(BASE), MiB, 'cpu0', 'bind', '1', '', '', 0, ''],
      ['write', hex(BASE), MiB, 'cpu0', '', '', '', '', 0, ''],
    ];
    for (let t = 1; t <= 40; t++) rows.push(['read', hex(BASE), MiB, 'cpu0', '', '', '', '', t * 100_000_000, '']);
    const b = backend(await run(trace(H, rows)));
    expect(b.vmstat.numa_pte_updates).toBe(0);
    expect(b.vmstat.numa_pages_migrated).toBe(0);
    expect(b.accounting.resident_device_pages).toBe(256);
  });
});
