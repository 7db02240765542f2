// runSweep and mergeSweeps in-process (the inline executor; the thread pool is tested end to end
// in cli.test.ts): outputs, merge identity, resume, failing runs.
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { LoadedSpec } from '../../src/sweep/spec.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CdmError } from '../../src/errors.js';
import { mergeSweeps } from '../../src/sweep/merge.js';
import { CSV_METRICS } from '../../src/sweep/output.js';
import { inlineExecutor } from '../../src/sweep/pool.js';
import { deal, MAX_TASK_RUNS, planTasks, runSweep, type SweepOptions } from '../../src/sweep/run.js';
import { executedRuns, read, SMALL_SPEC, sweepDir, writeSpec } from './helpers.js';

async function sweep(specFile: string, outDir: string, more: Partial<SweepOptions> = {}) {
  let log = '';
  const s = await runSweep({ specFile, outDir, executor: inlineExecutor, log: (l) => (log += `${l}\n`), ...more });
  return { ...s, log };
}

const outputs = (dir: string) => [read(join(dir, 'sweep.json')), read(join(dir, 'sweep.csv'))];

function exitOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof CdmError ? e.exitCode : -1;
  }
  return undefined;
}

describe('sweep outputs', () => {
  const dir = sweepDir();
  const spec = writeSpec(dir, SMALL_SPEC);

  it('reads each trace once per task: a task per trace, a trace shared out only when workers would idle', async () => {
    const one = await sweep(spec, join(dir, 'tasks1'), { jobs: 1 });
    const two = await sweep(spec, join(dir, 'tasks2'), { jobs: 2 });
    const four = await sweep(spec, join(dir, 'tasks4'), { jobs: 4 });
    const tasks = (log: string) => [...log.matchAll(/runs ([\d,]+) /g)].map((m) => m[1]).sort();
    // Runs: a.csv × {8MiB, 16MiB} × {mainline, numa}, then b.csv.
    expect(tasks(one.log)).toEqual(['0,1,2,3', '4,5,6,7']);
    expect(tasks(two.log)).toEqual(['0,1,2,3', '4,5,6,7']); // two traces keep two workers busy
    // Two idle workers go to a.csv, three times b.csv's bytes (the most work per task); its runs are
    // dealt, not cut, so a task holds both grid points (a costly point does not land on one worker).
    expect(statSync(join(dir, 'a.csv')).size).toBeGreaterThan(2 * statSync(join(dir, 'b.csv')).size);
    expect(tasks(four.log)).toEqual(['0,3', '1', '2', '4,5,6,7']);
    expect(outputs(join(dir, 'tasks2'))).toEqual(outputs(join(dir, 'tasks1')));
    expect(outputs(join(dir, 'tasks4'))).toEqual(outputs(join(dir, 'tasks1')));
  });

  it('shares a trace out only to fill idle workers, the one with most work per task first', () => {
    const loaded = { tracePaths: ['a.csv', 'b.csv', 'c.csv'].map((t) => join(dir, t)), spec: { traces: ['a.csv', 'b.csv', 'c.csv'] } } as unknown as LoadedSpec;
    writeFileSync(join(dir, 'c.csv'), 'op,addr\n' + 'read,0x1000\n'.repeat(5000)); // the biggest trace
    const point = (group: number, n: number) => ({ group, sets: [], runs: Array.from({ length: n }, (_, i) => ({ index: group * 10 + i, backend: 'mainline' })) });
    const byTrace = new Map([[0, [point(0, 4)]], [1, [point(1, 4)]], [2, [point(2, 4)]]]);
    const shape = (jobs: number) => planTasks(byTrace, loaded, jobs).map((t) => `${t.traceLabel}:${t.points.flatMap((p) => p.runs.map((r) => r.index)).join(',')}`);
    expect(shape(3)).toEqual(['c.csv:20,21,22,23', expect.any(String), expect.any(String)]); // one each
    expect(shape(4)).toEqual(['c.csv:20,22', 'c.csv:21,23', expect.any(String), expect.any(String)]);
    expect(shape(2)).toHaveLength(3); // never fewer tasks than traces
    const big = new Map([[0, [point(0, 20)]]]);
    expect(planTasks(big, loaded, 1).map((t) => t.points[0].runs.length)).toEqual([10, 10]); // ≤ MAX_TASK_RUNS each
  });

  it('starts the biggest tasks first (trace bytes × runs)', async () => {
    const order = writeSpec(dir, { traces: ['a.csv', 'b.csv'], backends: ['mainline'], grid: { 'kernel.swappiness': [0, 60] } }, 'order.yaml');
    const log = (await sweep(order, join(dir, 'order'), { jobs: 1 })).log;
    const big = statSync(join(dir, 'a.csv')).size >= statSync(join(dir, 'b.csv')).size ? '0,1' : '2,3';
    expect([...log.matchAll(/runs ([\d,]+) /g)].map((m) => m[1])[0]).toBe(big);
  });

  it('caps a task at MAX_TASK_RUNS runs, so a big grid on one worker stays bounded in memory', async () => {
    const big = writeSpec(dir, { traces: ['a.csv'], backends: ['mainline', 'numa'], grid: { 'kernel.swappiness': [0, 10, 20, 30, 40, 50, 60, 70, 80, 100] } }, 'capped.yaml');
    const s = await sweep(big, join(dir, 'capped'), { jobs: 1 });
    const tasks = [...s.log.matchAll(/runs ([\d,]+) /g)].map((m) => m[1].split(',').length);
    expect(tasks).toEqual([10, 10]); // 20 runs > 16: two tasks of ten runs
    expect(MAX_TASK_RUNS).toBe(16);
  });

  it('deals a list round-robin into near-equal, non-empty hands', () => {
    expect(deal([1, 2, 3, 4, 5], 2)).toEqual([[1, 3, 5], [2, 4]]);
    expect(deal([1, 2], 5)).toEqual([[1], [2]]);
    expect(deal([1, 2, 3], 1)).toEqual([[1, 2, 3]]);
  });

  it('writes sweep.json in run order, sweep.csv one row per run, and runs/', async () => {
    const s = await sweep(spec, join(dir, 'out'));
    expect(s).toMatchObject({ runs: 8, executed: 8, resumed: 0, failed: 0 });
    const doc = JSON.parse(read(join(dir, 'out', 'sweep.json')));
    expect(doc.schema).toBe('cdm-replay/sweep@1');
    expect(doc.spec).toEqual(SMALL_SPEC);
    expect(doc.runs.map((r: { trace: string; params: Record<string, string>; backend: string }) => `${r.trace} ${r.params['nodes.1.capacity']} ${r.backend}`)).toEqual([
      'a.csv 8MiB mainline', 'a.csv 8MiB numa', 'a.csv 16MiB mainline', 'a.csv 16MiB numa',
      'b.csv 8MiB mainline', 'b.csv 8MiB numa', 'b.csv 16MiB mainline', 'b.csv 16MiB numa',
    ]);
    expect(doc.runs[0].report.label).toBe('mainline');
    expect(doc.runs[0].report.placement.accesses).toBeGreaterThan(0);
    const csv = read(join(dir, 'out', 'sweep.csv')).trimEnd().split('\n');
    expect(csv[0].split(',')).toEqual(['trace', 'nodes.1.capacity', 'backend', ...CSV_METRICS, 'error']);
    expect(csv).toHaveLength(9);
    expect(csv[1].startsWith('a.csv,8MiB,mainline,')).toBe(true);
    expect(csv[1].endsWith(',')).toBe(true); // no error
    expect(readdirSync(join(dir, 'out', 'runs')).filter((f) => /^\d+\.json$/.test(f))).toHaveLength(8);
  });

  it('gives byte-identical outputs for identical inputs', async () => {
    await sweep(spec, join(dir, 'again'));
    expect(outputs(join(dir, 'again'))).toEqual(outputs(join(dir, 'out')));
  });

  it('merges shards 1/3, 2/3, 3/3 into files byte-identical to the unsharded run', async () => {
    const shards = [1, 2, 3].map((i) => join(dir, `shard-${i}`));
    let total = 0;
    for (let i = 1; i <= 3; i++) total += (await sweep(spec, shards[i - 1], { shard: { index: i, count: 3 } })).runs;
    expect(total).toBe(8);
    const m = mergeSweeps([shards[2], shards[0], shards[1]], join(dir, 'merged'));
    expect(m.failed).toBe(0);
    expect(outputs(join(dir, 'merged'))).toEqual(outputs(join(dir, 'out')));
  });

  it('merge refuses other specs, duplicates and missing shards (exit 2)', async () => {
    const other = writeSpec(dir, { ...SMALL_SPEC, grid: { 'nodes.1.capacity': ['8MiB', '24MiB'] } }, 'other.yaml');
    await sweep(other, join(dir, 'other'), { shard: { index: 1, count: 3 } });
    const s = (i: number) => join(dir, `shard-${i}`);
    expect(() => mergeSweeps([s(1), s(2), join(dir, 'other')], join(dir, 'x'))).toThrow(/different sweep spec.*"grid"/);
    expect(exitOf(() => mergeSweeps([s(1), s(2), join(dir, 'other')], join(dir, 'x')))).toBe(2);
    expect(exitOf(() => mergeSweeps([s(1), s(2)], join(dir, 'x')))).toBe(2);
    expect(() => mergeSweeps([s(1), s(2)], join(dir, 'x'))).toThrow(/runs missing/);
    expect(() => mergeSweeps([s(1), s(2), s(3), s(1)], join(dir, 'x'))).toThrow(/is in both/);
    expect(() => mergeSweeps([join(dir, 'nothing')], join(dir, 'x'))).toThrow(/missing/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});

describe('resume', () => {
  const dir = sweepDir();
  const spec = writeSpec(dir, SMALL_SPEC);
  const out = join(dir, 'out');

  it('executes only the runs whose files are missing, with identical outputs', async () => {
    const first = await sweep(spec, out);
    expect(executedRuns(first.log)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const before = outputs(out);
    rmSync(join(out, 'runs', '000005.json'));
    const again = await sweep(spec, out, { resume: true });
    expect(executedRuns(again.log)).toEqual([5]);
    expect(again).toMatchObject({ runs: 8, executed: 1, resumed: 7 });
    expect(outputs(out)).toEqual(before);
    // Nothing missing: nothing runs.
    expect(executedRuns((await sweep(spec, out, { resume: true })).log)).toEqual([]);
  });

  it('without --resume starts over; into another sweep it refuses (exit 2)', async () => {
    expect(executedRuns((await sweep(spec, out)).log)).toHaveLength(8);
    const other = writeSpec(dir, { ...SMALL_SPEC, backends: ['mainline'] }, 'other.yaml');
    await expect(sweep(other, out, { resume: true })).rejects.toMatchObject({ exitCode: 2 });
  });
});

describe('failing runs', () => {
  it('are reported with their parameters and an error; finished runs are kept', async () => {
    const dir = sweepDir();
    const spec = writeSpec(dir, { traces: ['a.csv', 'bad.csv'], backends: ['mainline', 'numa'], grid: { 'kernel.thp': ['never', 'sometimes'] } });
    const lines: string[] = [];
    const stderr = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    const s = await sweep(spec, join(dir, 'out'), { stderr });
    expect(s).toMatchObject({ runs: 8, failed: 6 });
    const doc = JSON.parse(read(join(dir, 'out', 'sweep.json')));
    const ok = doc.runs.filter((r: { report?: unknown }) => r.report);
    expect(ok.map((r: { trace: string; params: Record<string, string> }) => `${r.trace} ${r.params['kernel.thp']}`)).toEqual(['a.csv never', 'a.csv never']);
    const dataErr = doc.runs[4]; // bad.csv, never, mainline
    expect(dataErr).toMatchObject({ trace: 'bad.csv', params: { 'kernel.thp': 'never' }, backend: 'mainline', error: { code: 3 } });
    expect(dataErr.error.message).toMatch(/^bad\.csv:3: /); // the spec's path, not an absolute one
    expect(doc.runs[2]).toMatchObject({ params: { 'kernel.thp': 'sometimes' }, error: { code: 2 } });
    expect(doc.runs[2].error.message).toContain('grid kernel.thp="sometimes"');
    const err = lines.join('');
    expect(err).toContain('trace bad.csv; kernel.thp=never; backends mainline, numa: bad.csv:3');
    expect(err).toContain('trace a.csv; kernel.thp=sometimes;');
    const csv = read(join(dir, 'out', 'sweep.csv')).trimEnd().split('\n');
    expect(csv[5]).toMatch(/^bad\.csv,never,mainline,,+"bad\.csv:3: /);
    // A resumed sweep retries the failed runs, not the finished ones.
    const again = await sweep(spec, join(dir, 'out'), { resume: true, stderr });
    expect(executedRuns(again.log)).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('keep their own error when the trace turns out bad later in the same pass', async () => {
    const dir = sweepDir();
    // hostNode 1 names the device node itself: the hmm backend cannot be built (exit 2 alone),
    // while bad.csv's data error (exit 3) fails only the runs still going.
    const spec = writeSpec(dir, { traces: ['bad.csv'], backends: ['numa', 'hmm'], grid: { 'backends.hmm.hostNode': ['nearest', 1] } });
    const stderr = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
    await sweep(spec, join(dir, 'out'), { stderr });
    const codes = JSON.parse(read(join(dir, 'out', 'sweep.json'))).runs.map((r: { error?: { code: number } }) => r.error?.code);
    expect(codes).toEqual([3, 3, 3, 2]);
  });
});
