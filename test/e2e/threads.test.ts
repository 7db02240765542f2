// End-to-end: the threaded engine (a reader thread plus backend workers, src/engine/threads.ts)
// gives byte-identical reports, warnings and errors to the in-thread engine, whatever the number
// of workers and however the backends are shared among them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/cdm-replay.js');
const dir = mkdtempSync(join(tmpdir(), 'cdm-e2e-threads-'));
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

/** Runs `args` with --threads 1 (in-thread) and each of `threads`, expecting the same everything. */
function same(args: string[], threads = ['2', '3', '5']): { code: number | null; out: string; err: string } {
  const base = cli([...args, '--threads', '1']);
  for (const t of threads) {
    const r = cli([...args, '--threads', t]);
    expect({ threads: t, ...r }).toEqual({ threads: t, ...base });
  }
  return base;
}

function gen(workload: string, events: number, pages: number): string {
  const out = join(dir, `${workload}.csv`);
  const r = cli(['gen', workload, '--events', String(events), '--pages', String(pages), '--out', out]);
  expect(r.code).toBe(0);
  return out;
}

const write = (name: string, lines: string[]): string => {
  const path = join(dir, name);
  writeFileSync(path, [...lines, ''].join('\n'));
  return path;
};

describe('--threads', () => {
  it('reports byte-identically on generated workloads with every backend and variants', () => {
    // Small machines, so reclaim, fallback, demotion and OOM are all exercised.
    for (const [w, ev, pages] of [['oversubscribe', 20000, 6000], ['phase-shift', 20000, 3000], ['producer-consumer', 20000, 2000]] as const) {
      const r = same([gen(w, ev, pages), '--backend', 'all,hmm:private,numa:rfc,cdm:zonelist', '--format', 'json',
        '--set', 'nodes.0.capacity=16MiB', '--set', 'nodes.1.capacity=8MiB'], ['2', '4']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).backends).toHaveLength(7);
    }
  }, 600_000);

  it('reports byte-identically on the shipped traces (gzip, valgrind, perf)', () => {
    for (const t of ['pressure-device.csv.gz', 'gzip-lackey.csv.gz', 'sort-perf-faults.txt.gz']) {
      const r = same([join(ROOT, 'traces', t), '--backend', 'all', '--format', 'json'], ['2', '4']);
      expect(r.code).toBe(0);
    }
  }, 600_000);

  it('orders warnings by event, then backend, as one thread does', () => {
    const path = write('warn.csv', [
      'op,addr,len,agent,policy,nodes,kind',
      'mmap,0x7f0000000000,1048576,cpu0,,,anon',
      'mbind,0x7f0000000000,1048576,cpu0,bind,0-1,',
      'set_mempolicy,,,cpu0,preferred,1,',
      'write,0x7f0000000000,1048576,cpu0,,,',
      'mbind,0x7f0000000000,1048576,cpu0,bind,0-1,',
    ]);
    const r = same([path, '--backend', 'hmm,numa,hmm:private,hmm:coherent-6x', '--format', 'json']);
    expect(r.code).toBe(0);
    const warnings: string[] = JSON.parse(r.out).warnings;
    expect(warnings.length).toBeGreaterThanOrEqual(4);
    expect(warnings[0]).toMatch(/^backend hmm: .*warn\.csv:3: mbind/);
    expect(warnings[1]).toMatch(/^backend hmm:private: .*warn\.csv:3: mbind/);
    // From stdin the workers start before the input is opened: they still name it <stdin>.
    const piped = (threads: string) => spawnSync(process.execPath, [BIN, '-', '--backend', 'hmm,numa', '--threads', threads, '--format', 'json'],
      { encoding: 'utf8', input: readFileSync(path) });
    const one = piped('1');
    expect(one.stderr).toMatch(/<stdin>:3: mbind/);
    expect(piped('2')).toMatchObject({ status: one.status, stdout: one.stdout, stderr: one.stderr });
    // A backend that cannot be built stops the replay before any event: no other backend's
    // warnings may be printed first, whichever thread it was on.
    const built = same([path, '--backend', 'numa,hmm', '--set', 'backends.numa.kswapd=bogus'], ['2']);
    expect(built.code).toBe(2);
    expect(built.err.trim().split('\n')).toHaveLength(1);
  }, 300_000);

  it('stops with the earliest error: --strict, a bad agent, a bad row, in event order', () => {
    const strict = write('strict.csv', [
      'op,addr,len,agent,policy,nodes,kind',
      'mmap,0x7f0000000000,1048576,cpu0,,,anon',
      'write,0x7f0000000000,65536,cpu0,,,',
      'mbind,0x7f0000000000,1048576,cpu0,bind,0-1,',
    ]);
    expect(same([strict, '--backend', 'numa,mainline,hmm', '--strict']).code).toBe(2);
    // An agent the machine lacks fails in every backend; a malformed row read later (in a later
    // batch, after the reader has run ahead) must not win over it.
    const filler = Array.from({ length: 9000 }, (_, i) => `read,0x${(0x7f0000000000 + (i % 256) * 4096).toString(16)},,cpu0,,,`);
    const agent = write('agent.csv', [
      'op,addr,len,agent,policy,nodes,kind',
      'mmap,0x7f0000000000,1048576,cpu0,,,anon',
      ...filler.slice(0, 5000),
      'write,0x7f0000000000,4096,dev7,,,',
      ...filler,
      'write,0xzz,4096,cpu0,,,',
    ]);
    const a = same([agent, '--backend', 'all']);
    expect(a.code).toBe(3);
    expect(a.err).toMatch(/agent\.csv:5003: column "agent": "dev7"/);
    const row = write('row.csv', [
      'op,addr,len,agent,policy,nodes,kind',
      'mmap,0x7f0000000000,1048576,cpu0,,,anon',
      'write,0x7f0000000000,4096,cpu0,,,',
      'write,0xzz,4096,cpu0,,,',
    ]);
    const b = same([row, '--backend', 'all']);
    expect(b.code).toBe(3);
    expect(b.err).toMatch(/row\.csv:4: column "addr"/);
  }, 600_000);

  it('fails as one thread does when the trace cannot be opened after the workers started', () => {
    // The workers start before the trace is opened (they boot meanwhile): a path that cannot be
    // read as a trace must stop them, with the in-thread engine's message and exit code.
    const r = same([dir, '--backend', 'all']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is a directory/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    const odd = write('odd.txt', ['this is no trace format', 'nor is this']);
    const bad = same([odd, '--backend', 'mainline,numa']);
    expect(bad.code).toBe(3);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
  }, 600_000);

  it('rejects a thread count that is not one', () => {
    for (const bad of ['0', '-1', '1.5', 'many']) {
      const r = cli([join(ROOT, 'traces', 'pressure-device.csv.gz'), '--threads', bad]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toContain('--threads');
    }
  });
});

describe('trace.pages_touched', () => {
  it('belongs to the trace: the same whichever backend comes first, OOM kills or not, on any engine', () => {
    // Both backends OOM-kill the process, at different events: the first backend's view used to count.
    const trace = gen('random', 60_000, 65_536);
    const touched = (backends: string, threads: string) => {
      const r = cli([trace, '--backend', backends, '--threads', threads, '--format', 'json']);
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(r.out) as { trace: { pages_touched: number }; backends: { oom_kills: number; skipped_after_kill: number }[] };
      expect(report.backends.map((b) => b.oom_kills > 0 && b.skipped_after_kill > 0)).toEqual([true, true]);
      return report.trace.pages_touched;
    };
    const seen = ['mainline,numa', 'numa,mainline'].flatMap((b) => ['1', '2'].map((t) => touched(b, t)));
    expect(new Set(seen).size).toBe(1);
    expect(seen[0]).toBeGreaterThan(30_000); // every access's page, the killed process's later ones too
  });
});

describe('--threads auto', () => {
  it('leaves the reader a core unless there are more backends than cores', async () => {
    const { autoLanes } = await import('../../src/engine/replay.js');
    expect(autoLanes(1, 2)).toBe(1);
    expect(autoLanes(2, 2)).toBe(1); // reader + two workers would be three busy threads on two cores
    expect(autoLanes(4, 2)).toBe(2); // more backends than cores: each worker has enough to share
    expect(autoLanes(4, 8)).toBe(4);
    expect(autoLanes(8, 8)).toBe(7);
    expect(autoLanes(3, 1)).toBe(1);
  });
});
