// `cdm-replay kernel-check` end to end without qemu: a saved observation (--observation) stands in
// for the guest; and the prerequisite error when qemu and the kernel are missing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIDELITY_CONFIG, observation, type Shape } from './fixtures.js';

const BIN = join(import.meta.dirname, '../../bin/cdm-replay.js');
const TRACE = join(import.meta.dirname, '../fidelity/bind1-first-touch.csv');
const dir = mkdtempSync(join(tmpdir(), 'cdm-kcheck-'));

function cli(args: string[], env: Record<string, string> = {}) {
  const e: Record<string, string | undefined> = { ...process.env, ...env };
  delete e.FORCE_COLOR;
  const r = spawnSync(process.execPath, [BIN, 'kernel-check', TRACE, '--config', FIDELITY_CONFIG, ...args], { encoding: 'utf8', env: e });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// What Debian 6.12 showed for this trace (docs/fidelity.md, bind1-first-touch).
const bind1: Shape = {
  vmstat: { numa_hit: 1028, numa_local: 4, numa_other: 1024, nr_anon_pages: 1024, nr_page_table_pages: 4, pgalloc_dma32: 1028, pgfault: 1025 },
  numastat: { 0: { numa_hit: 4, local_node: 4 }, 1: { numa_hit: 1024, other_node: 1024 } },
  pages: { 1: 1024 },
};
function saved(name: string, shape: Shape): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(observation(shape)));
  return path;
}

describe('cdm-replay kernel-check', () => {
  it('exits 0 and prints the side-by-side table when every value is within tolerance', () => {
    const r = cli(['--observation', saved('ok.json', bind1)]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/numa_hit\s+│\s+1028 │\s+1028 │/);
    expect(r.out).toContain('0 FAIL');
    expect(r.out).not.toContain('\u001b');
  });

  it('exits 1 when a value is outside its tolerance, and a known divergence does not count', () => {
    const off = saved('off.json', { ...bind1, pages: { 0: 10, 1: 1014 } });
    const r = cli(['--observation', off]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/pages\.node0\s+│\s+10 │\s+0 │\s+│\s+±2 │ FAIL/);
    const known = join(dir, 'known.json');
    writeFileSync(known, JSON.stringify({ 'pages.node0': 'test', 'pages.node1': 'test' }));
    const k = cli(['--observation', off, '--known', known]);
    expect(k.code).toBe(0);
    expect(k.out).toContain('known divergence: test');
  });

  it('writes JSON (without the raw observation) and Markdown', () => {
    const obs = saved('ok2.json', bind1);
    const j = cli(['--observation', obs, '--format', 'json']);
    expect(j.code).toBe(0);
    const res = JSON.parse(j.out) as { schema: string; summary: { failed: number }; rows: { id: string }[]; observation?: unknown };
    expect(res.schema).toBe('cdm-replay/kernel-check@1');
    expect(res.summary.failed).toBe(0);
    expect(res.rows.map((r) => r.id)).toContain('node1.other_node');
    expect(res.observation).toBeUndefined();
    const md = cli(['--observation', obs, '-f', 'markdown']);
    expect(md.out).toContain('| numa_hit | 1028 | 1028 |  | ±2 | ok  |');
  });

  it('exits 2 naming the install command when qemu and the kernel are missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'cdm-nokernel-'));
    const r = cli([], { PATH: empty, CDM_REPLAY_CACHE: empty });
    expect(r.code).toBe(2);
    expect(r.err).toContain('kernel-check prerequisites missing');
    expect(r.err).toContain('qemu-system-x86_64: npm run kernel-check:setup');
  });

  it('exits 2 naming the key when node 0 is too small to boot', () => {
    const r = cli(['--set', 'nodes.0.capacity=64MiB', '--set', 'nodes.0.zones=[{type: DMA, size: 16MiB}, {type: DMA32, size: 48MiB}]']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('node 0 has 64 MiB');
  });
});
