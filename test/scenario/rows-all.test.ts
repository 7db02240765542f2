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
