// End-to-end: `--format csv|markdown` and `compare` through the built CLI (pretest builds dist/).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/cdm-replay.js');
const dir = mkdtempSync(join(tmpdir(), 'cdm-e2e-compare-'));

function cli(args: string[]) {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// Pages first touched on the device node, then read by the CPU every 100 ms: NUMA balancing
// (kernel.numaBalancing=1, the default) migrates them home and the remote accesses drop.
const TRACE = [
  'op,addr,len,kind,policy,nodes,time',
  'mmap,0x7f0000000000,2097152,anon,,,0',
  'mbind,0x7f0000000000,2097152,,bind,1,0',
  'write,0x7f0000000000,2097152,,,,0',
  'mbind,0x7f0000000000,2097152,,default,,0',
  ...Array.from({ length: 30 }, (_, i) => `read,0x7f0000000000,2097152,,,,${(i + 1) * 100_000_000}`),
  '',
].join('\n');
const trace = join(dir, 'nb.csv');
const otherTrace = join(dir, 'other.csv');
const path = (name: string) => join(dir, name);

beforeAll(() => {
  writeFileSync(trace, TRACE);
  writeFileSync(otherTrace, TRACE.replace('bind,1,0', 'bind,0,0'));
  const run = (args: string[], out: string) => expect(cli([...args, '--backend', 'mainline,numa', '--format', 'json', '--out', path(out)]).code).toBe(0);
  run([trace], 'nb1.json');
  run([trace], 'nb1-again.json');
  run([trace, '--set', 'kernel.numaBalancing=0'], 'nb0.json');
  run([otherTrace], 'other.json');
}, 60_000);

describe('report formats csv and markdown', () => {
  it('csv: tidy rows, byte-identical reruns, same values as the JSON report', () => {
    const a = cli([trace, '--backend', 'mainline,numa', '--format', 'csv']);
    expect(a.code).toBe(0);
    expect(cli([trace, '--backend', 'mainline,numa', '--format', 'csv']).out).toBe(a.out);
    const lines = a.out.trimEnd().split('\n');
    expect(lines[0]).toBe('backend,metric,value');
    const report = JSON.parse(readFileSync(path('nb1.json'), 'utf8'));
    expect(lines).toContain(`numa,placement.remote_accesses,${report.backends[1].placement.remote_accesses}`);
    expect(lines).toContain(`mainline,nodes.1.used_pages_end,${report.backends[0].nodes[1].used_pages_end}`);
    expect(lines.some((l) => l.startsWith('mainline,accounting.memcg./.'))).toBe(true);
  });

  it('markdown: byte-identical reruns, a table per section', () => {
    const a = cli([trace, '--backend', 'mainline,numa', '--format', 'markdown']);
    expect(a.code).toBe(0);
    expect(cli([trace, '--backend', 'mainline,numa', '--format', 'markdown']).out).toBe(a.out);
    expect(a.out).toContain('| metric | mainline | numa |');
    expect(a.out).toContain('#### placement');
    expect(a.out).not.toContain('\u001b');
  });
});

describe('cdm-replay compare', () => {
  it('identical runs: exit 0, nothing changed', () => {
    const r = cli(['compare', path('nb1.json'), path('nb1-again.json')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('no metric changed');
    expect(r.out).toMatch(/no regressions \(\d+ metrics across 2 backends, 0 changed\)/);
  });

  it('a different effective configuration is not comparable: exit 2, one line naming the key', () => {
    const r = cli(['compare', path('nb1.json'), path('nb0.json')]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('kernel.numaBalancing: 1 -> 0');
    expect(r.err).toContain('--allow-different-config');
  });

  it('worse (NUMA balancing switched off): exit 1, naming the metric', () => {
    const r = cli(['compare', path('nb1.json'), path('nb0.json'), '--allow-different-config']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/│ numa +│ placement\.remote_accesses +│.*REGRESSION/);
    expect(r.out).toContain('note: the effective configuration differs: kernel.numaBalancing: 1 -> 0');
    expect(r.out.trimEnd().split('\n').at(-1)).toMatch(/^\d+ regressions .*mainline placement\.remote_accesses/);
  });

  it('better (switched on): remote accesses improve; the migration cost it buys is judged by its own threshold', () => {
    const json = cli(['compare', path('nb0.json'), path('nb1.json'), '--allow-different-config', '--format', 'json']);
    const doc = JSON.parse(json.out);
    const remote = doc.backends[0].metrics.find((m: { metric: string }) => m.metric === 'placement.remote_accesses');
    expect(remote.status).toBe('improved');
    // migration cost rises from 0 (a regression by default): the threshold options decide
    expect(json.code).toBe(1);
    expect(doc.regressions.map((x: { metric: string }) => x.metric)).toEqual(['cost.estimated_migration_ns', 'cost.estimated_migration_ns']);
    const ok = cli(['compare', path('nb0.json'), path('nb1.json'), '--allow-different-config', '--max-regression', 'cost.estimated_migration_ns=10000', '-f', 'markdown']);
    expect(ok.code).toBe(0);
    expect(ok.out.split('\n')[0]).toBe('### cdm-replay compare: ✅ no regressions');
    expect(ok.out).toMatch(/\| `numa` \| `placement.remote_accesses` \| .* \| ✅ better \|/);
  });

  it('--default-threshold and --out', () => {
    const out = path('cmp.md');
    // 0 -> 32,768 ns of migration cost: a zero baseline takes the percentage of the 1 µs floor
    const r = cli(['compare', path('nb0.json'), path('nb1.json'), '--allow-different-config', '--default-threshold', '5000', '--format', 'markdown', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(readFileSync(out, 'utf8')).toContain('✅ no regressions');
  });

  it('different traces: exit 2 unless --allow-different-trace', () => {
    const r = cli(['compare', path('nb1.json'), path('other.json')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/replay different traces \(sha256 [0-9a-f]{12} vs [0-9a-f]{12}\); pass --allow-different-trace/);
    expect(cli(['compare', path('nb1.json'), path('other.json'), '--allow-different-trace']).code).not.toBe(2);
  });

  it('a file that is not a report: exit 2, one line', () => {
    for (const [args, msg] of [
      [[trace, path('nb1.json')], 'not JSON'],
      [[path('nb1.json'), path('missing.json')], 'cannot read'],
      [[path('nb1.json'), path('nb1.json'), '--max-regression', 'remote'], 'expected metric=pct'],
      [[path('nb1.json'), path('nb1.json'), '--format', 'csv'], 'unknown format'],
    ] as const) {
      const r = cli(['compare', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.err).toContain(msg);
    }
  });
});
