// End-to-end: the built CLI run as a user would (pretest builds dist/).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/cdm-replay.js');
const dir = mkdtempSync(join(tmpdir(), 'cdm-e2e-'));

function cli(args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}) {
  const env: Record<string, string | undefined> = { ...process.env, ...opts.env };
  for (const k of ['NO_COLOR', 'FORCE_COLOR']) if (!opts.env || !(k in opts.env)) delete env[k];
  const r = spawnSync(process.execPath, [BIN, ...args], { input: opts.input, encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const TRACE = [
  'op,addr,len,agent,policy,nodes,kind',
  'mmap,0x7f0000000000,1048576,cpu0,,,anon',
  'mbind,0x7f0000000000,1048576,cpu0,bind,1,',
  'write,0x7f0000000000,1048576,cpu0,,,',
  'migrate,0x7f0000000000,524288,cpu0,,0,',
  'read,0x7f0000000000,4096,dev0,,,',
  '',
].join('\n');
const tracePath = join(dir, 'small.csv');
writeFileSync(tracePath, TRACE);

describe('cdm-replay <trace>', () => {
  it('renders a table without escape codes when piped', () => {
    const r = cli([tracePath, '--backend', 'mainline']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('mainline');
    expect(r.out).toContain('misplacement_ratio');
    expect(r.out).not.toContain('\u001b');
  });

  it('gives byte-identical JSON for the same input and settings', () => {
    const a = cli([tracePath, '--format', 'json']);
    const b = cli([tracePath, '--format', 'json']);
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    const report = JSON.parse(a.out);
    expect(report.schema).toBe('cdm-replay/report@1');
    expect(report.backends[0].migrations.by_trigger.move_pages).toBe(128);
  });

  it('reads stdin and gzip and reports the same placement', () => {
    const gz = join(dir, 'small.csv.gz');
    writeFileSync(gz, gzipSync(TRACE));
    const plain = JSON.parse(cli([tracePath, '--format', 'json']).out);
    const fromGz = JSON.parse(cli([gz, '--format', 'json']).out);
    const fromStdin = JSON.parse(cli(['-', '--format', 'json'], { input: TRACE }).out);
    expect(fromGz.backends).toEqual(plain.backends);
    expect(fromStdin.backends).toEqual(plain.backends);
    expect(fromStdin.trace.path).toBe('-');
  });

  it('writes --out and colours nothing there', () => {
    const out = join(dir, 'r.txt');
    const r = cli([tracePath, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(readFileSync(out, 'utf8')).not.toContain('\u001b');
  });

  it('honours FORCE_COLOR and NO_COLOR', () => {
    expect(cli([tracePath], { env: { FORCE_COLOR: '1' } }).out).toContain('\u001b');
    expect(cli([tracePath], { env: { NO_COLOR: '1' } }).out).not.toContain('\u001b');
  });
});

describe('errors: one line, documented exit code', () => {
  it('bad trace data exits 3 naming file, line, field, value and expectation', () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'op,addr\nwrite,0x1000\nwrite,0xzz\n');
    const r = cli([bad]);
    expect(r.code).toBe(3);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('bad.csv:3');
    expect(r.err).toContain('addr');
    expect(r.err).toContain('0xzz');
    expect(r.err).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('an agent the machine lacks is invalid trace data (exit 3)', () => {
    const bad = join(dir, 'dev.csv');
    writeFileSync(bad, 'op,addr,agent\nread,0x1000,dev3\n');
    const r = cli([bad]);
    expect(r.code).toBe(3);
    expect(r.err).toContain('dev.csv:2');
    expect(r.err).toContain('dev3');
  });

  it('usage and configuration errors exit 2 with one line', () => {
    for (const args of [
      [tracePath, '--backend', 'nope'],
      [tracePath, '--format', 'xml'],
      [tracePath, '--set', 'kernel.thp=sometimes'],
      [tracePath, '--preset', 'no-such-machine'],
      [join(dir, 'missing.csv')],
    ]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});

describe('listing commands', () => {
  it('presets, backends, metrics and schemas print and exit 0', () => {
    for (const args of [['presets'], ['backends'], ['metrics'], ['schema', 'report'], ['schema', 'config']]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.out.length).toBeGreaterThan(100);
    }
    expect(cli(['presets']).out).toContain('gh200');
    expect(cli(['backends']).out).toContain('mainline');
    expect(JSON.parse(cli(['schema', 'report']).out)).toHaveProperty('properties');
  });
});
