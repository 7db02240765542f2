// End-to-end: `convert` and `formats` as a user runs them, and replaying a conversion gives the
// same report as replaying the original (pretest builds dist/).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/cdm-replay.js');
const FX = join(import.meta.dirname, '../fixtures/formats');
const dir = mkdtempSync(join(tmpdir(), 'cdm-convert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], input?: string) {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.FORCE_COLOR;
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface Report {
  trace: Record<string, unknown>;
  backends: unknown[];
}

function report(args: string[]): Report {
  const r = cli([...args, '--backend', 'all', '--format', 'json']);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as Report;
}

/** What must not change: everything but the file's identity and the reader's own bookkeeping. */
const replayed = (r: Report): unknown => {
  const { path: _p, sha256: _s, format: _f, skipped: _k, ...trace } = r.trace;
  return { trace, backends: r.backends };
};

// A pinatrace in the canonical layout (constructed from the printf format: Pin is not installable
// here): the same accesses as the real lackey recording of test/fixtures/formats/touch.c.
const PIN = ['0x401000: W 0x403000', '0x401007: W 0x404000', '0x40100e: W 0x405000', '0x401015: W 0x406000',
  '0x40101c: R 0x403008', '0x401023: R 0x404008', '0x401035: R 0x405008', '0x401043: R 0x406008', '0x401051: W 0x403064', '#eof', ''].join('\n');
const pinPath = join(dir, 'pinatrace.out');
writeFileSync(pinPath, PIN);

describe('cdm-replay convert', () => {
  const cases: [string, string, string[]][] = [
    ['lackey', join(FX, 'lackey-true-head.txt'), []],
    ['lackey --keep-instr', join(FX, 'lackey-touch.txt'), ['--keep-instr']],
    ['pinatrace', pinPath, []],
    ['perf script page-faults', join(FX, 'perf-page-faults-true.txt'), []],
    ['perf script, mem field list', join(FX, 'perf-mem-layout-touch.txt'), []],
    ['ftrace with zoneinfo and an agent map', join(FX, 'ftrace-touch-tgid.txt'), ['--zoneinfo', join(FX, 'zoneinfo-1node.txt'), '--agent', 'cpu:*=cpu1']],
  ];
  for (const [name, src, opts] of cases) {
    it(`${name}: replaying the conversion gives the same report`, () => {
      const out = join(dir, `${name.replace(/\W+/g, '-')}.csv.gz`);
      const c = cli(['convert', src, '--out', out, ...opts]);
      expect(c.code, c.err).toBe(0);
      expect(c.err).toMatch(/^cdm-replay convert: .* \d+ events, \d+ rows written to /);
      const original = report([src, ...opts]);
      const converted = report([out]);
      expect(converted.trace.format).toBe('cdm-replay/trace@1');
      expect(replayed(converted)).toEqual(replayed(original));
      expect(original.trace.events).toBeGreaterThan(0);
    });
  }

  it('reports the source format and its skipped lines in the replay of the original', () => {
    const r = report([join(FX, 'lackey-touch.txt')]);
    expect(r.trace).toMatchObject({ format: 'valgrind-lackey@3.19.0', events: 9, skipped: { 'instruction-fetch': 20, 'valgrind-message': 25 } });
    const f = report([join(FX, 'ftrace-touch.txt'), '--agent', 'comm:touch=dev0']);
    expect(f.trace).toMatchObject({ format: 'ftrace', events: 6, skipped: { 'mm_page_alloc:node-unknown': 20 } });
  });

  it('writes to stdout with --out - and takes --from', () => {
    const r = cli(['convert', '-', '--from', 'lackey', '--out', '-'], ' L 1000,4\n S 2000,8\n');
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n').slice(1, 4)).toEqual(['op,addr,len', 'read,0x1000,4', 'write,0x2000,8']);
  });

  it('fails on malformed input with exit 3 and one located line, leaving no output', () => {
    const bad = join(dir, 'bad.lackey');
    writeFileSync(bad, ' L 1000,4\n L 10zz,4\n');
    const out = join(dir, 'bad.csv');
    const r = cli(['convert', bad, '--out', out]);
    expect(r.code).toBe(3);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('bad.lackey:2: line: " L 10zz,4" is not a lackey line');
    expect(() => readFileSync(out)).toThrow();
    expect(cli([bad]).code).toBe(3);
  });

  it('usage errors exit 2 with one line', () => {
    const lackey = join(FX, 'lackey-touch.txt');
    for (const args of [
      ['convert', lackey],
      ['convert', lackey, '--out', lackey],
      ['convert', lackey, '--out', join(dir, 'x.csv'), '--from', 'nope'],
      ['convert', lackey, '--out', join(dir, 'x.csv'), '--zoneinfo', 'z'],
      [lackey, '--agent', 'tid=dev0'],
      [lackey, '--pin-columns', 'ip,op,addr'],
      [join(FX, 'ftrace-touch.txt'), '--zoneinfo', join(dir, 'missing')],
    ]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});

describe('cdm-replay formats', () => {
  it('lists every format with what produces it', () => {
    const r = cli(['formats']);
    expect(r.code).toBe(0);
    for (const name of ['trace@1', 'lackey', 'pinatrace', 'perf-script', 'ftrace']) expect(r.out).toContain(`\n${name}`.slice(name === 'trace@1' ? 1 : 0));
    expect(r.out).toContain('valgrind --tool=lackey --trace-mem=yes');
    expect(r.out).toContain('perf script -F comm,pid,tid,time,event,addr,ip,sym');
    expect(r.out).toContain('options: --keep-instr, --agent');
  });
});
