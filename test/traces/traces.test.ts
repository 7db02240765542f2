// The shipped traces (traces/README.md): each replays through the built CLI, the synthetic one
// shows what it was built to show, and its generator reproduces it exactly.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/cdm-replay.js');
const TRACES = join(ROOT, 'traces');
const shipped = readdirSync(TRACES).filter((f) => /\.(csv|txt)(\.gz)?$/.test(f)).sort();

function node(args: string[], input?: string) {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, input, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface Numastat { numa_miss: number }
interface Backend {
  placement: { accesses: number };
  vmstat: Record<string, number>;
  nodes: { id: number; numastat: Numastat }[];
}

function replayJson(trace: string, backend: string): { backends: Backend[] } {
  const r = node([BIN, join(TRACES, trace), '--backend', backend, '--preset', 'two-node', '--format', 'json']);
  expect(r.err).not.toMatch(/internal error/i);
  expect(r.code).toBe(0);
  return JSON.parse(r.out);
}

describe('shipped traces', () => {
  it('includes the synthetic and the lackey-recorded trace', () => {
    expect(shipped).toContain('pressure-device.csv.gz');
    expect(shipped).toContain('gzip-lackey.csv.gz');
    expect(shipped).toContain('sort-perf-faults.txt.gz');
  });

  it('reads the perf recording with the perf-script reader, one fault per sample', () => {
    const r = node([BIN, join(TRACES, 'sort-perf-faults.txt.gz'), '--backend', 'mainline', '--set', 'kernel.thp=never', '--format', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.trace.format).toMatch(/^perf-script\/page-faults/);
    expect(report.trace.events).toBe(6992);
    expect(report.backends[0].vmstat.pgfault).toBe(report.trace.pages_touched);
  });

  it.each(shipped)('%s replays on every backend with accesses counted', (trace) => {
    const report = replayJson(trace, 'all');
    expect(report.backends.length).toBeGreaterThan(0);
    expect(report.backends[0].placement.accesses).toBeGreaterThan(0);
  });
});

describe('pressure-device.csv.gz on mainline', () => {
  const b = () => replayJson('pressure-device.csv.gz', 'mainline').backends[0];

  it('spills default-policy allocations to node 1 and NUMA balancing pulls pages back', () => {
    const m = b();
    expect(m.nodes.find((n) => n.id === 1)!.numastat.numa_miss).toBeGreaterThan(0);
    expect(m.vmstat.numa_pages_migrated).toBeGreaterThan(0);
  });
});

describe('scripts/gen-pressure-device.mjs', () => {
  it('regenerates the shipped trace exactly (compared after gunzip)', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'cdm-gen-')), 'pd.csv.gz');
    const r = node(['scripts/gen-pressure-device.mjs', '--seed', '1', '--out', out]);
    expect(r.code).toBe(0);
    const fresh = gunzipSync(readFileSync(out)).toString('utf8');
    const committed = gunzipSync(readFileSync(join(TRACES, 'pressure-device.csv.gz'))).toString('utf8');
    expect(fresh.startsWith('# cdm-replay trace@1 generator=scripts/gen-pressure-device.mjs seed=1\n')).toBe(true);
    expect(fresh === committed).toBe(true); // not toBe(committed): a 4 MB diff helps nobody
  });
});

describe('scripts/lackey-to-trace.mjs', () => {
  const LACKEY = [
    '==123== Lackey, an example Valgrind tool',
    '==123== Command: gzip -c input.txt',
    'I  0401ab70,3',
    ' S 1fff000688,8',
    ' L 00600aa0,4',
    ' M ff000388,4',
    'I  004005b6,5',
    '==123== Exit code:       0',
    '',
  ].join('\n');

  it('maps L to read, S and M to write, drops I and banners', () => {
    const r = node(['scripts/lackey-to-trace.mjs', '-'], LACKEY);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
      'op,addr,len',
      'write,0x1fff000688,8',
      'read,0x600aa0,4',
      'write,0xff000388,4',
    ]);
  });

  it('keeps instruction fetches as reads with --keep-instr, and --limit cuts the output', () => {
    const r = node(['scripts/lackey-to-trace.mjs', '-', '--keep-instr', '--limit', '3'], LACKEY);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
      'op,addr,len',
      'read,0x401ab70,3',
      'write,0x1fff000688,8',
      'read,0x600aa0,4',
    ]);
    expect(r.err).toContain('cut by --limit');
  });
});
