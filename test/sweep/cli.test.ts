// End-to-end: `cdm-replay sweep` and `merge` through the built CLI (worker threads run dist/;
// `npm run build` first).
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { executedRuns, read, SMALL_SPEC, sweepDir, writeSpec } from './helpers.js';

const BIN = join(import.meta.dirname, '../../bin/cdm-replay.js');

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const outputs = (dir: string) => [read(join(dir, 'sweep.json')), read(join(dir, 'sweep.csv'))];
const dir = sweepDir();
const spec = writeSpec(dir, SMALL_SPEC);

describe('cdm-replay sweep', () => {
  it('gives byte-identical outputs with --jobs 1 and --jobs 2, silently when not a terminal', () => {
    const one = cli(['sweep', spec, '--jobs', '1', '--out', join(dir, 'j1')]);
    const two = cli(['sweep', spec, '--jobs', '2', '--out', join(dir, 'j2')]);
    expect([one.code, two.code]).toEqual([0, 0]);
    expect([one.err, two.err]).toEqual(['', '']);
    expect(outputs(join(dir, 'j2'))).toEqual(outputs(join(dir, 'j1')));
    expect(JSON.parse(read(join(dir, 'j1', 'sweep.json'))).runs).toHaveLength(8);
  });

  it('runs on two worker threads at the same time with --jobs 2, each reading a trace once for its points', () => {
    // Two traces of four points on two workers: one task per trace (one pass each) of 4 × 100k
    // events, long enough (~0.5 s) that even when one worker starts late on a loaded machine
    // (the rest of the suite running beside), the two threads replay concurrently for a while.
    for (const [name, step] of [['big1.csv', 7919], ['big2.csv', 104729]] as const) {
      const lines = ['op,addr'];
      for (let i = 0; i < 100000; i++) lines.push(`write,0x${(0x100000 + ((i * step) % 4000) * 4096).toString(16)}`);
      writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
    }
    const big = writeSpec(dir, { traces: ['big1.csv', 'big2.csv'], backends: ['mainline'], grid: { 'kernel.swappiness': [0, 30, 60, 100] } }, 'big.yaml');
    const r = cli(['sweep', big, '--jobs', '2', '--out', join(dir, 'par')], { CDM_REPLAY_SWEEP_LOG: '1' });
    expect(r.code, r.err).toBe(0);
    const spans = [...r.err.matchAll(/runs ([\d,]+) thread (\d+) start (\d+) end (\d+)/g)].map((m) => ({ runs: m[1], thread: m[2], start: Number(m[3]), end: Number(m[4]) }));
    expect(spans.map((s) => s.runs).sort()).toEqual(['0,1,2,3', '4,5,6,7']);
    expect(new Set(spans.map((s) => s.thread)).size, r.err).toBe(2);
    const overlapping = spans.some((a) => spans.some((b) => a.thread !== b.thread && Math.min(a.end, b.end) > Math.max(a.start, b.start)));
    expect(overlapping, r.err).toBe(true);
  });

  it('--resume executes only the run whose file is missing', () => {
    const out = join(dir, 'res');
    expect(cli(['sweep', spec, '--out', out]).code).toBe(0);
    const before = outputs(out);
    rmSync(join(out, 'runs', '000002.json'));
    const r = cli(['sweep', spec, '--out', out, '--resume'], { CDM_REPLAY_SWEEP_LOG: '1' });
    expect(r.code).toBe(0);
    expect(executedRuns(r.err)).toEqual([2]);
    expect(outputs(out)).toEqual(before);
  });

  it('exits 5 when a run fails, naming its parameters, and keeps the others', () => {
    const bad = writeSpec(dir, { traces: ['a.csv', 'bad.csv'], backends: ['mainline'], grid: { 'nodes.1.capacity': ['8MiB', 'huge'] } }, 'bad.yaml');
    const r = cli(['sweep', bad, '--jobs', '2', '--out', join(dir, 'bad')]);
    expect(r.code).toBe(5);
    expect(r.err).toContain('trace bad.csv; nodes.1.capacity=8MiB; backend mainline: bad.csv:3');
    expect(r.err).toContain('nodes.1.capacity=huge');
    const runs = JSON.parse(read(join(dir, 'bad', 'sweep.json'))).runs;
    const codes = runs.map((x: { report?: unknown; error?: { code: number } }) => (x.report ? 'ok' : x.error?.code));
    expect(codes, r.err).toEqual(['ok', 2, 3, 2]);
  });

  it('names a failing grid point once, with all its failed backends, whatever --jobs', () => {
    const pt = writeSpec(dir, { traces: ['a.csv'], backends: ['mainline', 'numa', 'cdm', 'hmm'], grid: { 'kernel.swappiness': [10, 999] } }, 'point.yaml');
    const failures = (jobs: string) => {
      const r = cli(['sweep', pt, '--jobs', jobs, '--out', join(dir, `point${jobs}`)]);
      expect(r.code, r.err).toBe(5);
      return r.err.split('\n').filter((l) => l.includes('sweep: failed:'));
    };
    const one = failures('1');
    expect(one).toHaveLength(1);
    expect(one[0]).toContain('kernel.swappiness=999; backends mainline, numa, cdm, hmm:');
    expect(failures('4')).toEqual(one); // the point's runs were spread over four tasks
  });

  it('a worker that dies fails only the run that kills it: the task\'s runs are retried alone', () => {
    const r = cli(['sweep', spec, '--jobs', '1', '--out', join(dir, 'crash')], { CDM_REPLAY_TEST_CRASH_RUN: '2', CDM_REPLAY_SWEEP_LOG: '1' });
    expect(r.code, r.err).toBe(5);
    expect(r.err).toContain('nodes.1.capacity=16MiB; backend mainline: internal error: sweep worker died: exit code 70');
    const runs = JSON.parse(read(join(dir, 'crash', 'sweep.json'))).runs;
    expect(runs.map((x: { report?: unknown; error?: { code: number } }) => (x.report ? 'ok' : x.error?.code))).toEqual(['ok', 'ok', 4, 'ok', 'ok', 'ok', 'ok', 'ok']);
    // The finished runs are the same as in a sweep where nothing died.
    const clean = JSON.parse(read(join(dir, 'j1', 'sweep.json'))).runs;
    expect(runs.filter((_: unknown, i: number) => i !== 2)).toEqual(clean.filter((_: unknown, i: number) => i !== 2));
  });

  it('usage and spec errors exit 2 with one line', () => {
    writeFileSync(join(dir, 'typo.yaml'), 'traces: [a.csv]\nbackends: [mainline]\ngrid: { kernel.thpp: [never] }\n');
    const errs: string[] = [];
    for (const args of [
      ['sweep', join(dir, 'typo.yaml')],
      ['sweep', join(dir, 'none.yaml')],
      ['sweep', spec, '--jobs', '0'],
      ['sweep', spec, '--shard', '4/3'],
      ['merge', join(dir, 'j1')],
    ]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
      errs.push(r.err);
    }
    expect(errs[0]).toContain('grid."kernel.thpp": unknown config key');
  });

  it('prints its spec JSON Schema', () => {
    const r = cli(['schema', 'sweep']);
    expect(r.code).toBe(0);
    expect(Object.keys(JSON.parse(r.out).properties)).toContain('grid');
  });
});

describe('cdm-replay merge', () => {
  const mdir = sweepDir();
  const mspec = writeSpec(mdir, SMALL_SPEC);

  it('of shards 1/3, 2/3, 3/3 is byte-identical to the unsharded sweep; other specs are refused', () => {
    expect(cli(['sweep', mspec, '--jobs', '2', '--out', join(mdir, 'all')]).code).toBe(0);
    const shards = [1, 2, 3].map((i) => join(mdir, `m${i}`));
    shards.forEach((out, i) => expect(cli(['sweep', mspec, '--shard', `${i + 1}/3`, '--jobs', '1', '--out', out]).code).toBe(0));
    const r = cli(['merge', ...shards, '--out', join(mdir, 'merged')]);
    expect(r.code, r.err).toBe(0);
    expect(outputs(join(mdir, 'merged'))).toEqual(outputs(join(mdir, 'all')));
    const other = writeSpec(mdir, { ...SMALL_SPEC, backends: ['mainline'] }, 'other.yaml');
    expect(cli(['sweep', other, '--shard', '2/3', '--out', join(mdir, 'o2')]).code).toBe(0);
    const refused = cli(['merge', shards[0], join(mdir, 'o2'), shards[2], '--out', join(mdir, 'nope')]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('different sweep spec');
  });

  it('exits 5 when the merged runs include failures', () => {
    const bad = writeSpec(mdir, { traces: ['bad.csv'], backends: ['mainline'] }, 'bad.yaml');
    expect(cli(['sweep', bad, '--out', join(mdir, 'bad')]).code).toBe(5);
    const r = cli(['merge', join(mdir, 'bad'), '--out', join(mdir, 'bad-merged')]);
    expect(r.code).toBe(5);
    expect(outputs(join(mdir, 'bad-merged'))).toEqual(outputs(join(mdir, 'bad')));
  });
});
