// Scenario tests for the `cdm` backend (Anshuman's CDM isolation, KERNEL-MODEL §5): what each
// isolation variant and the VM_CDM knob change, beside mainline and numa (§8 rows 3-6, 8, 10, 12).
import { describe, expect, it } from 'vitest';
import { backend, numastat, run, trace } from './run.js';
import { BASE, BASE_PAGES, cpuLoop, H, MiB, op } from './rows.js';

const ISOLATIONS = 'cdm,cdm:zonelist,cdm:cpuset';
const go = (rows: (string | number)[][], sets: string[] = [], be = `mainline,numa,${ISOLATIONS}`) =>
  run(trace(H, rows), { backend: be, sets: [...BASE_PAGES, ...sets] });
const errors = (r: Awaited<ReturnType<typeof go>>, label: string) =>
  (backend(r, label) as unknown as { syscall_errors: Record<string, number> }).syscall_errors;

describe('cdm: isolation variants on the §8 placement rows', () => {
  it('row 3: PREFERRED{C}: buddy lands on RAM, zonelist fills C then spills, cpuset rejects the mask', async () => {
    const r = await go([op('set_mempolicy', '', '', { policy: 'preferred', nodes: 1 }), op('write', BASE, 40 * MiB)]);
    expect(backend(r, 'cdm').accounting.resident_device_pages).toBe(0);
    const zl = backend(r, 'cdm:zonelist');
    expect(zl.accounting.resident_device_pages).toBeGreaterThan(7900);
    expect(numastat(r, 0, 'cdm:zonelist').numa_miss).toBe(zl.accounting.resident_ram_pages);
    expect(errors(r, 'cdm:cpuset')['set_mempolicy:EINVAL']).toBe(1);
    expect(numastat(r, 1, 'cdm:cpuset').numa_foreign).toBe(0); // default policy: C never preferred
  });

  it('row 4: BIND{0,1}: buddy uses C after RAM, zonelist never uses C and OOMs', async () => {
    const r = await go([op('set_mempolicy', '', '', { policy: 'bind', nodes: '0-1' }), op('write', BASE, 80 * MiB)]);
    expect(backend(r, 'cdm').accounting.resident_device_pages).toBeGreaterThan(4000);
    expect(backend(r, 'cdm').oom_kills).toBe(0);
    expect(backend(r, 'cdm:zonelist').oom_kills).toBe(1);
    expect(numastat(r, 1, 'cdm:zonelist').numa_hit + numastat(r, 1, 'cdm:zonelist').numa_miss).toBe(0);
    expect(backend(r, 'cdm:cpuset').oom_kills).toBe(1); // the mask kept only node 0
  });

  it('BIND{C} works under buddy and zonelist (first_node(S) is CDM) but is EINVAL under cpuset', async () => {
    const r = await go([
      op('mmap', BASE, MiB, { kind: 'anon' }),
      op('mbind', BASE, MiB, { policy: 'bind', nodes: '1' }),
      op('write', BASE, MiB),
    ]);
    for (const label of ['cdm', 'cdm:zonelist']) expect(backend(r, label).accounting.resident_device_pages).toBe(256);
    expect(errors(r, 'cdm:cpuset')['mbind:EINVAL']).toBe(1);
    expect(backend(r, 'cdm:cpuset').accounting.resident_ram_pages).toBe(256);
  });

  it('row 5: INTERLEAVE{0,1}: buddy and cpuset all RAM, zonelist alternates', async () => {
    const r = await go([
      op('mmap', BASE, MiB, { kind: 'anon' }),
      op('mbind', BASE, MiB, { policy: 'interleave', nodes: '0-1' }),
      op('write', BASE, MiB),
    ]);
    expect(backend(r, 'cdm').accounting.resident_device_pages).toBe(0);
    expect(backend(r, 'cdm:cpuset').accounting.resident_device_pages).toBe(0);
    expect(backend(r, 'cdm:zonelist').accounting.resident_device_pages).toBe(128);
    expect(backend(r, 'cdm:zonelist').vmstat.numa_interleave).toBe(256);
  });

  it('row 6: move_pages to C works (THISNODE) except under cpuset (EACCES); driver migration works in all', async () => {
    const r = await go([
      op('write', BASE, MiB),
      op('migrate', BASE, MiB, { nodes: 1 }),
      op('write', BASE + 2 * MiB, MiB),
      op('migrate', BASE + 2 * MiB, MiB, { agent: 'dev0', nodes: 1 }),
    ]);
    for (const label of ['cdm', 'cdm:zonelist']) expect(backend(r, label).migrations.by_trigger.move_pages).toBe(256);
    const cs = backend(r, 'cdm:cpuset');
    expect(cs.migrations.failed_by_reason).toEqual({ EACCES: 256 });
    expect(cs.migrations.by_trigger.driver).toBe(256); // __GFP_THISNODE bypasses the cpuset
    expect(cs.vmstat.pgmigrate_success).toBe(256);
  });
});

describe('cdm: reclaim and accounting', () => {
  it('buddy: RAM direct reclaim also scans C (C stays in the zonelist); zonelist and cpuset leave C alone', async () => {
    const r = await go([
      op('mmap', BASE + 128 * MiB, 8 * MiB, { kind: 'file', file: 'data' }),
      op('read', BASE + 128 * MiB, 8 * MiB),
      op('migrate', BASE + 128 * MiB, 8 * MiB, { agent: 'dev0', nodes: 1 }),
      op('write', BASE, 70 * MiB),
    ], [], ISOLATIONS);
    const buddy = backend(r, 'cdm');
    expect(buddy.oom_kills).toBe(1); // the RAM allocation still cannot use C
    expect(buddy.vmstat.pgscan_direct).toBeGreaterThan(2048); // C's 2048 file pages among them
    expect(buddy.nodes[1].used_pages_end).toBeLessThan(2048);
    for (const label of ['cdm:zonelist', 'cdm:cpuset']) {
      expect(backend(r, label).oom_kills).toBe(1);
      expect(backend(r, label).vmstat.pgscan_direct ?? 0).toBe(0);
      expect(backend(r, label).nodes[1].used_pages_end).toBe(2048);
    }
  });

  it('row 10: memcg reclaim reaches C in every variant (zonelist: through C\'s own zonelist)', async () => {
    const r = await go([
      op('set_mempolicy', '', '', { policy: 'bind', nodes: 1, memcg: '/job' }),
      op('mmap', BASE, 8 * MiB, { kind: 'file', file: 'data', memcg: '/job' }),
      op('read', BASE, 8 * MiB, { memcg: '/job' }),
    ], ['memcgs=[{path: /job, max: 4MiB}]']);
    const job = (label: string) => backend(r, label).accounting.memcg.find((g) => g.path === '/job')!;
    for (const label of ['cdm', 'cdm:zonelist']) {
      expect(backend(r, label).accounting.resident_device_pages).toBeGreaterThan(900);
      expect(job(label).oom_events).toBe(0);
      expect(job(label).unreclaimable_pages).toBeLessThan(10);
    }
    expect(job('numa').oom_events).toBe(1);
  });

  it('row 12: driver migrations count pgmigrate_* (migrate_virtual_range) unless driverMigrate=migrate_vma', async () => {
    const rows = [op('write', BASE, MiB), op('migrate', BASE, MiB, { agent: 'dev0', nodes: 1 })];
    expect(backend(await go(rows, [], 'cdm'), 'cdm').vmstat.pgmigrate_success).toBe(256);
    const vma = backend(await go(rows, ['backends.cdm.driverMigrate=migrate_vma'], 'cdm'), 'cdm');
    expect(vma.migrations.to_device).toBe(256);
    expect(vma.vmstat.pgmigrate_success ?? 0).toBe(0);
  });
});

describe('cdm: VM_CDM (vmCdm v1, v2)', () => {
  // A BIND{1} task policy puts the pages on C; alloc_pages_vma() then tags the VMA (mark_vma_cdm).
  const placed = [
    op('set_mempolicy', '', '', { policy: 'bind', nodes: 1, time: 0 }),
    op('write', BASE, MiB, { time: 0 }),
    op('set_mempolicy', '', '', { policy: 'default', time: 0 }),
  ];

  it('row 6: v1 makes a VMA that got C pages non-migratable: move_pages -EFAULT per page; v2 and none move', async () => {
    const rows = [...placed, op('migrate', BASE, MiB, { nodes: 0 })];
    for (const [vmCdm, failed, moved] of [['v1', 256, 0], ['v2', 0, 256], ['none', 0, 256]] as const) {
      const b = backend(await go(rows, [`backends.cdm.vmCdm=${vmCdm}`], 'cdm'), 'cdm');
      expect(b.migrations.failed_by_reason.EFAULT ?? 0).toBe(failed);
      expect(b.migrations.by_trigger.move_pages ?? 0).toBe(moved);
    }
  });

  it('v1: mbind naming C tags the VMA, so a later mbind MOVE off C queues nothing', async () => {
    const rows = [
      op('mmap', BASE, MiB, { kind: 'anon' }),
      op('mbind', BASE, MiB, { policy: 'bind', nodes: '0-1' }), // set_vm_cdm(): tagged, pages still on RAM
      op('write', BASE, 2048),
      op('mbind', BASE, MiB, { policy: 'bind', nodes: '1' }),
      op('write', BASE + 4096, MiB - 4096),
      op('mbind', BASE, MiB, { policy: 'bind', nodes: '0', flags: 'move' }),
    ];
    expect(backend(await go(rows, ['backends.cdm.vmCdm=v1'], 'cdm'), 'cdm').accounting.resident_device_pages).toBe(255);
    expect(backend(await go(rows, ['backends.cdm.vmCdm=v2'], 'cdm'), 'cdm').accounting.resident_ram_pages).toBe(256);
  });

  it('row 8: NUMA balancing skips VM_CDM VMAs under v1 and v2; without VM_CDM it pulls pages back like numa', async () => {
    const rows = [...placed, ...cpuLoop(BASE, MiB)];
    for (const vmCdm of ['v1', 'v2']) {
      const b = backend(await go(rows, [`backends.cdm.vmCdm=${vmCdm}`], 'cdm'), 'cdm');
      expect(b.vmstat.numa_pte_updates ?? 0).toBe(0);
      expect(b.accounting.resident_device_pages).toBe(256);
    }
    const r = await go(rows, [], 'cdm,numa');
    for (const label of ['cdm', 'numa']) {
      expect(backend(r, label).vmstat.numa_pages_migrated).toBe(256);
      expect(backend(r, label).accounting.resident_ram_pages).toBe(256);
    }
  });
});
