// `hmm`: mirrors of the kernel's hmm-tests (KERNEL-MODEL §9), §8 row 16, the §3.3 outcome function
// and the unsupported-op contract of DESIGN §3 (warned once, --strict exits 2).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBackendList } from '../../src/backends/registry.js';
import { loadConfig } from '../../src/config/index.js';
import { replay } from '../../src/engine/replay.js';
import { UsageError } from '../../src/errors.js';
import { Out } from '../../src/sim/events.js';
import { migrateVmaOutcome, SKIP, VmaPageFacts } from '../../src/sim/migrate-vma.js';
import { backend, run, trace } from './run.js';
import { BASE, BASE_PAGES, H, MiB, op } from './rows.js';

const HMM = ['hmm', 'hmm:private', 'hmm:coherent-6x'];
const ALL = `mainline,${HMM.join(',')}`;
const go = (rows: (string | number)[][], sets: string[] = [], be = ALL) =>
  run(trace(H, rows), { backend: be, sets: [...BASE_PAGES, ...sets] });
const dev = { agent: 'dev0', nodes: 1 };
const back = { agent: 'dev0', nodes: 0 };

describe('hmm: hmm-tests mirrors (KERNEL-MODEL §9)', () => {
  it('migrate_shared: a MAP_SHARED anon (shmem) range cannot go to the device', async () => {
    const r = await go([op('mmap', BASE, MiB, { kind: 'shmem' }), op('migrate', BASE, MiB, dev)]);
    for (const label of HMM) {
      expect(backend(r, label).migrations.failed_by_reason).toEqual({ ENOENT: 256 }); // holes of a non-anon VMA: src = 0
      expect(backend(r, label).accounting.resident_device_pages).toBe(0);
    }
    // Once present, the shmem pages are refused as not anonymous, except by 2017's public memory.
    const touched = await go([op('mmap', BASE, MiB, { kind: 'shmem' }), op('write', BASE, MiB), op('migrate', BASE, MiB, dev)]);
    expect(backend(touched, 'hmm').migrations.to_device).toBe(256);
    for (const label of ['hmm:private', 'hmm:coherent-6x']) {
      expect(backend(touched, label).migrations.failed_by_reason).toEqual({ 'file-to-device': 256 });
    }
  });

  it('migrate_fault: a device-private CPU fault migrates the page back; re-migrating the mix moves only those', async () => {
    const r = await go([
      op('write', BASE, MiB), op('migrate', BASE, MiB, dev), op('read', BASE, MiB / 2), op('migrate', BASE, MiB, dev),
    ], [], 'hmm:private');
    const b = backend(r, 'hmm:private');
    expect(b.faults.device_private_cpu_faults).toBe(128);
    expect(b.migrations.by_trigger).toEqual({ driver: 256 + 128, fault_back: 128 });
    expect(b.migrations.failed).toBe(0); // pages already in the pool are neither moved nor failed
    expect(b.vmstat.pgmajfault ?? 0).toBe(0);
    expect(b.accounting.resident_device_pages).toBe(256);
  });

  it('migrate_multiple: coherent pages take no CPU fault and must be migrated back explicitly', async () => {
    const rows = [op('write', BASE, MiB), op('migrate', BASE, MiB, dev), op('read', BASE, MiB)];
    const r = await go([...rows, op('migrate', BASE, MiB, back)], [], 'hmm:coherent-6x,hmm:private');
    const c = backend(r, 'hmm:coherent-6x');
    expect(c.faults.device_private_cpu_faults).toBe(0);
    expect(c.migrations.by_trigger).toEqual({ driver: 512 });
    expect([c.migrations.to_device, c.migrations.to_host]).toEqual([256, 256]);
    expect(c.accounting.resident_ram_pages).toBe(256);
    const p = backend(r, 'hmm:private'); // the CPU reads already brought them back
    expect(p.migrations.by_trigger).toEqual({ driver: 256, fault_back: 256 });
    const without = backend(await go(rows, [], 'hmm:coherent-6x'), 'hmm:coherent-6x');
    expect(without.accounting.resident_device_pages).toBe(256);
  });

  it('hmm_gup_test: a long-term pin migrates private and coherent device pages to RAM first', async () => {
    const r = await go([
      op('write', BASE, MiB), op('migrate', BASE, MiB, dev), op('pin', BASE, MiB), op('migrate', BASE, MiB, dev),
    ]);
    for (const label of HMM) {
      const b = backend(r, label);
      expect(b.migrations.by_trigger.longterm_pin).toBe(256);
      expect(b.migrations.failed_by_reason).toEqual({ pinned: 256 }); // a pinned page cannot go back
      expect(b.accounting.resident_ram_pages).toBe(256);
      expect(b.vmstat.pgmigrate_success ?? 0).toBe(0);
    }
    expect(backend(r, 'hmm:private').faults.device_private_cpu_faults).toBe(256); // GUP faults them in
    expect(backend(r, 'hmm:coherent-6x').faults.device_private_cpu_faults).toBe(0);
    expect(backend(r, 'mainline').vmstat.pgmigrate_success).toBe(512); // migrate_pages() there
  });

  it('anon_teardown: exit frees device pages through page_free() and uncharges them', async () => {
    const r = await go([op('write', BASE, MiB), op('migrate', BASE, MiB, dev), op('exit', '', '')], [], 'hmm');
    const b = backend(r, 'hmm');
    expect(b.accounting.resident_device_pages).toBe(256); // reported as just before exit (DESIGN §4)
    expect(b.nodes.find((n) => n.id === 1)!.used_pages_end).toBe(0);
    expect(b.accounting.memcg[0].current_pages).toBe(0);
    expect(b.vmstat.pgfree).toBe(256 + 3); // the RAM pages once (at migration) and page tables; never device pages
  });
});

describe('hmm: §8 row 16 (khugepaged)', () => {
  it('public and coherent device pages abort the scan: no collapse, the pages stay on the device', async () => {
    const r = await run(trace(H, [
      op('mmap', BASE, 2 * MiB, { kind: 'anon', time: 0 }),
      op('madvise', BASE, 2 * MiB, { flags: 'nohugepage', time: 0 }),
      op('write', BASE, 500 * 4096, { time: 1000 }),
      op('migrate', BASE, 400 * 4096, { ...dev, time: 2000 }),
      op('madvise', BASE, 2 * MiB, { flags: 'hugepage', time: 3000 }),
      op('read', BASE, 4096, { time: 11e9 }),
    ]), { backend: 'mainline,hmm,hmm:coherent-6x', sets: ['kernel.numaBalancing=0'] });
    expect(backend(r, 'mainline').vmstat.thp_collapse_alloc).toBe(1);
    for (const label of ['hmm', 'hmm:coherent-6x']) {
      expect(backend(r, label).vmstat.thp_collapse_alloc ?? 0).toBe(0);
      expect(backend(r, label).accounting.resident_device_pages).toBe(400);
    }
  });
});

describe('hmm: migrate_vma per-page outcome (KERNEL-MODEL §3.3), a pure function', () => {
  const page = (f: Partial<VmaPageFacts>): VmaPageFacts => ({
    entry: 'system', ownPool: false, anonVma: true, file: false, compound: false, hasMapping: true, locked: true,
    exclusiveShareOk: true, onLru: true, unmapped: true, pinned: false, ...f,
  });
  const cases: [string, Partial<VmaPageFacts>, boolean, boolean, number][] = [
    ['anon page', {}, true, false, Out.ok],
    ['anon hole', { entry: 'none' }, true, false, Out.ok],
    ['zero page', { entry: 'zero' }, true, false, Out.ok],
    ['hole in a file VMA', { entry: 'none', anonVma: false }, true, true, Out.ENOENT],
    ['swap entry', { entry: 'swap' }, true, false, Out.ENOENT],
    ['already in the pool', { entry: 'device', ownPool: true }, true, false, SKIP],
    ['another owner\'s device page', { entry: 'device' }, true, false, Out.ENOENT],
    ['THP not split', { compound: true }, true, false, Out.thp],
    ['no mapping', { hasMapping: false }, true, false, Out['no-mapping']],
    ['trylock fails', { locked: false }, true, false, Out.locked],
    ['exclusive share', { exclusiveShareOk: false }, true, false, Out['anon-exclusive-share']],
    ['not isolatable', { onLru: false }, true, false, Out.isolate],
    ['still mapped', { unmapped: false }, true, false, Out['still-mapped']],
    ['pinned', { pinned: true }, true, false, Out.pinned],
    ['pool full', {}, false, false, Out['no-dst']],
    ['file page, 6.x', { file: true }, true, false, Out['file-to-device']],
    ['file page, public-2017', { file: true }, true, true, Out.ok],
    ['pinned beats no-dst', { pinned: true }, false, false, Out.pinned],
  ];
  it.each(cases)('%s', (_name, f, dst, fileOk, want) => {
    expect(migrateVmaOutcome(page(f), dst, fileOk)).toBe(want);
  });
});

describe('hmm: ops the design cannot express (DESIGN §3)', () => {
  const rows = [
    op('mbind', BASE, MiB, { policy: 'bind', nodes: '0-1' }), op('mbind', BASE, MiB, { policy: 'bind', nodes: '1' }), op('write', BASE, MiB),
  ];
  const replayRows = (strict: boolean, be: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'cdm-hmm-'));
    const path = join(dir, 't.csv');
    writeFileSync(path, trace(H, rows));
    const { config } = loadConfig({ preset: 'two-node', sets: BASE_PAGES });
    return replay({ tracePath: path, config, presetName: 'two-node', backends: parseBackendList(be), strict });
  };

  it('are counted per op and warned about once per backend; the others run on', async () => {
    const r = await replayRows(false, 'numa,hmm');
    expect(backend(r, 'hmm').unsupported).toEqual({ mbind: 2 });
    expect(backend(r, 'hmm').syscall_errors).toEqual({ 'mbind:EINVAL': 1 });
    expect(backend(r, 'numa').unsupported).toEqual({});
    expect(backend(r, 'numa').accounting.resident_device_pages).toBe(256);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/backend hmm: .*t\.csv:2: mbind names device memory/);
  });

  it('--strict turns the first into a usage error naming file:line and the op', async () => {
    const err = await replayRows(true, 'numa,hmm').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as UsageError).message).toMatch(/t\.csv:2: mbind .* backend hmm cannot express it \(--strict\)/);
    await expect(replayRows(true, 'numa')).resolves.toBeDefined();
  });
});
