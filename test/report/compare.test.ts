import { describe, expect, it } from 'vitest';
import { ExitCode, UsageError } from '../../src/errors.js';
import { readComparable } from '../../src/report/compare-input.js';
import {
  compareInputs,
  compareReports, diffConfig, NotComparableError, parseMaxRegression, parsePct, regressions,
  type CompareOptions, type Comparison, type MetricDelta,
} from '../../src/report/compare.js';
import { InvalidReportError, parseReport, type Report } from '../../src/report/schema.js';
import { sampleReport } from './sample-report.js';

const numa = (r: Report) => r.backends.find((b) => b.label === 'numa')!;

/** numa's remote accesses set to `remote`, keeping the report valid (ratio, per-agent sums, cost untouched). */
function withRemote(remote: number): Report {
  const r = sampleReport();
  const p = numa(r).placement;
  const agents = p.remote_accesses_by_agent;
  agents.dev0.remote = Math.min(agents.dev0.remote, remote);
  agents.cpu0.remote = remote - agents.dev0.remote;
  p.remote_accesses = remote;
  p.misplacement_ratio = remote / p.accesses;
  return parseReport(r);
}

const metric = (c: Comparison, label: string, path: string): MetricDelta =>
  c.backends.find((b) => b.label === label)!.metrics.find((m) => m.metric === path)!;
const regressed = (c: Comparison) => regressions(c).map(({ label, metric: m }) => `${label} ${m.metric}`);
const thrown = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
};

describe('compare: identical, better, worse', () => {
  it('finds nothing on identical reports', () => {
    const c = compareReports(sampleReport(), sampleReport());
    expect(regressions(c)).toEqual([]);
    expect(c.backends.map((b) => b.label)).toEqual(['hmm:private', 'numa', 'cdm', 'mainline']);
    expect(c.backends.flatMap((b) => b.metrics).filter((m) => m.status !== 'unchanged' || (m.delta !== 0 && m.baseline !== null))).toEqual([]);
    expect(c.notes).toEqual([]);
  });

  it('reports a lower-is-better metric going down as improved, never as a regression', () => {
    const c = compareReports(sampleReport(), withRemote(3000));
    expect(regressions(c)).toEqual([]);
    expect(metric(c, 'numa', 'placement.remote_accesses')).toMatchObject({ baseline: 4000, current: 3000, delta: -1000, deltaPct: -25, thresholdPct: 1, status: 'improved' });
    expect(metric(c, 'numa', 'placement.misplacement_ratio').status).toBe('improved');
    expect(metric(c, 'numa', 'placement.remote_accesses_by_agent.cpu0.remote')).toMatchObject({ status: 'changed', thresholdPct: null });
  });

  it('names each lower-is-better metric that rose past its threshold', () => {
    const c = compareReports(sampleReport(), withRemote(4400));
    expect(regressed(c)).toEqual(['numa placement.remote_accesses', 'numa placement.misplacement_ratio']);
    expect(metric(c, 'numa', 'placement.remote_accesses')).toMatchObject({ delta: 400, deltaPct: 10, status: 'regression' });
  });

  it('lets a rise within the threshold through as "worse"', () => {
    const c = compareReports(sampleReport(), withRemote(4020)); // +0.5%
    expect(regressions(c)).toEqual([]);
    expect(metric(c, 'numa', 'placement.remote_accesses').status).toBe('worse');
  });
});

describe('compare: thresholds', () => {
  const opts = (o: CompareOptions) => compareReports(sampleReport(), withRemote(4400), o);

  it('--default-threshold moves the limit for every judged metric', () => {
    expect(regressions(opts({ defaultThresholdPct: 20 }))).toEqual([]);
    expect(regressions(compareReports(sampleReport(), withRemote(4020), { defaultThresholdPct: 0 })).length).toBe(2);
  });

  it('a rise of exactly the threshold passes', () => {
    expect(regressed(opts({ defaultThresholdPct: 10 }))).toEqual([]);
  });

  it('--max-regression sets one metric by concrete or documented path, before the default', () => {
    expect(regressed(opts({ maxRegression: { 'placement.remote_accesses': 20 } }))).toEqual(['numa placement.misplacement_ratio']);
    const doc = compareReports(sampleReport(), withRemote(4400), { maxRegression: { 'placement.misplacement_ratio': 50 }, defaultThresholdPct: 50 });
    expect(regressions(doc)).toEqual([]);
    const cur = sampleReport();
    cur.backends[0].accounting.memcg[0].oom_events = 2; // 1 -> 2: +100%
    expect(regressed(compareReports(sampleReport(), cur))).toEqual(['hmm:private accounting.memcg./job.oom_events']);
    expect(regressions(compareReports(sampleReport(), cur, { maxRegression: { 'accounting.memcg[].oom_events': 100 } }))).toEqual([]);
  });

  it('--max-regression on a neutral metric judges it as an increase', () => {
    const cur = sampleReport();
    numa(cur).faults.cpu += 910; // +10%
    expect(metric(compareReports(sampleReport(), cur), 'numa', 'faults.cpu').status).toBe('changed');
    expect(regressed(compareReports(sampleReport(), cur, { maxRegression: { 'faults.cpu': 5 } }))).toEqual(['numa faults.cpu']);
    numa(cur).faults.cpu -= 2000;
    expect(metric(compareReports(sampleReport(), cur, { maxRegression: { 'faults.cpu': 5 } }), 'numa', 'faults.cpu').status).toBe('improved');
  });

  it('from a zero baseline any rise of a whole count regresses; the percentage then applies to the floor', () => {
    const cur = sampleReport();
    numa(cur).oom_kills = 1;
    expect(regressed(compareReports(sampleReport(), cur))).toEqual(['numa oom_kills']);
    expect(metric(compareReports(sampleReport(), cur), 'numa', 'oom_kills').deltaPct).toBeNull();
    expect(regressions(compareReports(sampleReport(), cur, { maxRegression: { oom_kills: 100 } }))).toEqual([]);
  });

  it('ignores a ratio rise below 0.0001 and a cost rise below 1 µs', () => {
    const c = compareReports(withRemote(0), withRemote(1));
    expect(regressed(c)).toEqual(['numa placement.remote_accesses']); // 0 -> 1: a whole count
    expect(metric(c, 'numa', 'placement.misplacement_ratio')).toMatchObject({ current: 1 / 40_960, status: 'worse' });
    const base = sampleReport();
    const cost = numa(base).cost;
    cost.estimated_total_ns -= cost.estimated_migration_ns;
    cost.estimated_migration_ns = 0;
    const cur = structuredClone(base);
    numa(cur).cost.estimated_migration_ns = 999;
    numa(cur).cost.estimated_total_ns += 999;
    const costs = compareReports(base, cur);
    expect(regressions(costs)).toEqual([]);
    expect(metric(costs, 'numa', 'cost.estimated_migration_ns').status).toBe('worse');
    numa(cur).cost.estimated_migration_ns = 1000;
    numa(cur).cost.estimated_total_ns += 1;
    expect(regressed(compareReports(base, cur))).toEqual(['numa cost.estimated_migration_ns']);
  });

  it('judges rss drift by absolute value', () => {
    const drift = (d: number) => {
      const r = sampleReport();
      const a = numa(r).accounting;
      a.vmrss_pages += d - a.rss_drift_pages;
      a.rss_drift_pages = d;
      return r;
    };
    expect(metric(compareReports(drift(64), drift(-64)), 'numa', 'accounting.rss_drift_pages').status).toBe('changed');
    expect(metric(compareReports(drift(64), drift(-10)), 'numa', 'accounting.rss_drift_pages').status).toBe('improved');
    expect(regressed(compareReports(drift(64), drift(-100)))).toEqual(['numa accounting.rss_drift_pages']);
  });

  it('parses metric=pct and refuses nonsense', () => {
    expect(parseMaxRegression(['placement.remote_accesses=5', 'faults.cpu=2.5%', 'faults.cpu=3'])).toEqual({ 'placement.remote_accesses': 5, 'faults.cpu': 3 });
    expect(parsePct('0', 'x')).toBe(0);
    for (const bad of ['placement.remote_accesses', '=5', 'a=', 'a=-1', 'a=lots']) expect(() => parseMaxRegression([bad]), bad).toThrow(UsageError);
  });

  it('refuses a --max-regression metric nobody knows, notes one that matched nothing', () => {
    expect(() => compareReports(sampleReport(), sampleReport(), { maxRegression: { 'placement.nonsense': 1 } })).toThrow(/unknown metric "placement.nonsense"/);
    const c = compareReports(sampleReport(), sampleReport(), { maxRegression: { 'migrations.by_trigger.compaction': 1 } });
    expect(c.notes).toEqual(['--max-regression migrations.by_trigger.compaction matched no metric in these reports']);
  });
});

describe('compare: pairing', () => {
  it('compares a counter-map key missing on one side as 0, a missing vmstat counter as absent', () => {
    const cur = sampleReport();
    numa(cur).migrations.by_trigger.mbind = 5;
    numa(cur).migrations.total += 5;
    numa(cur).vmstat.pswpout = 0;
    const c = compareReports(sampleReport(), cur);
    expect(metric(c, 'numa', 'migrations.by_trigger.mbind')).toMatchObject({ baseline: 0, current: 5, status: 'changed' });
    expect(metric(c, 'numa', 'vmstat.pswpout')).toMatchObject({ baseline: null, current: 0, status: 'added' });
    const paths = c.backends[1].metrics.map((m) => m.metric);
    expect(paths.indexOf('migrations.by_trigger.mbind')).toBe(paths.indexOf('migrations.by_trigger.driver') + 1);
  });

  it('reports a backend label on one side only without failing', () => {
    const cur = sampleReport();
    cur.backends = cur.backends.filter((b) => b.label !== 'cdm');
    cur.backends.push({ ...sampleReport().backends[2], label: 'cdm:zonelist', variant: 'zonelist' });
    const c = compareReports(sampleReport(), cur);
    expect(c.baselineOnly).toEqual(['cdm']);
    expect(c.currentOnly).toEqual(['cdm:zonelist']);
    expect(c.backends.map((b) => b.label)).toEqual(['hmm:private', 'numa', 'mainline']);
  });

  it('is not comparable with no backend label in common', () => {
    const cur = sampleReport();
    cur.backends = [{ ...cur.backends[0], label: 'other' }];
    expect(thrown(() => compareReports(sampleReport(), cur)).message).toMatch(/no backend label in common/);
  });
});

describe('compare: not comparable (exit 2)', () => {
  it('refuses reports of different traces unless allowed', () => {
    const cur = sampleReport();
    cur.trace.sha256 = '0'.repeat(64);
    const e = thrown(() => compareReports(sampleReport(), cur));
    expect(e).toBeInstanceOf(NotComparableError);
    expect((e as NotComparableError).exitCode).toBe(ExitCode.usage);
    expect(e.message).toBe('not comparable: baseline and current replay different traces (sha256 3f2a9c0b7d1e vs 000000000000); pass --allow-different-trace to compare anyway');
    expect(compareReports(sampleReport(), cur, { allowDifferentTrace: true }).notes).toEqual([
      'baseline and current replay different traces (sha256 3f2a9c0b7d1e vs 000000000000)',
    ]);
  });

  it('refuses different effective configurations unless allowed, naming the keys', () => {
    const cur = sampleReport();
    (cur.config.kernel as Record<string, unknown>).numaBalancing = 0;
    cur.config.swap = 0;
    const e = thrown(() => compareReports(sampleReport(), cur));
    expect(e.message).toBe('not comparable: the effective configuration differs: kernel.numaBalancing: 1 -> 0, swap: (unset) -> 0; pass --allow-different-config to compare anyway');
    expect(compareReports(sampleReport(), cur, { allowDifferentConfig: true }).notes).toHaveLength(1);
  });

  it('diffs configurations key by key, lists by index', () => {
    expect(diffConfig({ a: { b: 1, c: [1, 2] } }, { a: { b: 1, c: [1, 3] } }, '')).toEqual(['a.c.1: 2 -> 3']);
    expect(diffConfig({ a: 1 }, { a: 1 }, '')).toEqual([]);
  });

  it('refuses a file that is not a report with one line', () => {
    const notJson = thrown(() => readComparable('{ nope', 'a.json'));
    expect(notJson).toBeInstanceOf(UsageError);
    expect(notJson.message).toMatch(/^a\.json: not JSON: /);
    const config = thrown(() => readComparable(JSON.stringify({ schema: 'cdm-replay/config@1' }), 'c.json'));
    expect(config).toBeInstanceOf(InvalidReportError);
    expect(config.message).toBe('c.json: not a cdm-replay/report@1 report (has schema "cdm-replay/config@1")');
    const broken = sampleReport();
    broken.backends[0].accounting.resident_pages += 1;
    expect(thrown(() => readComparable(JSON.stringify(broken), 'b.json')).message).toMatch(/^b\.json: backends\.0\.accounting\.resident_pages: /);
    expect(thrown(() => readComparable('{"schema":"cdm-replay/sweep@1"}', 's.json')).message).toMatch(/runs: expected a list/);
    for (const e of [notJson, config]) expect(e.message).not.toContain('\n');
  });

  it('reads sweep results run by run: same run of two sweeps pairs up, a worse run regresses', () => {
    const sweep = (remote: number) => JSON.stringify({
      schema: 'cdm-replay/sweep@1', tool: { name: 'cdm-replay', version: '0.1.0' },
      runs: [
        { trace: 't.csv', params: { 'kernel.swappiness': 10 }, backend: 'numa', report: withRemote(remote).backends[1] },
        { trace: 't.csv', params: { 'kernel.swappiness': 60 }, backend: 'numa', report: sampleReport().backends[1] },
        { trace: 't.csv', params: { 'kernel.swappiness': 90 }, backend: 'numa', error: { code: 3, message: 'bad' } },
      ],
    });
    const base = readComparable(sweep(4000), 'a/sweep.json');
    expect(base.entries.map((e) => e.label)).toEqual(['t.csv {"kernel.swappiness":10} numa', 't.csv {"kernel.swappiness":60} numa']);
    expect(regressions(compareInputs(base, readComparable(sweep(4000), 'b/sweep.json')))).toEqual([]);
    const worse = regressions(compareInputs(base, readComparable(sweep(4400), 'b/sweep.json')));
    expect(worse.map((r) => r.label)).toContain('t.csv {"kernel.swappiness":10} numa');
  });

  it('reads a report as (label, backend section) entries sharing its trace and config', () => {
    const input = readComparable(JSON.stringify(sampleReport()), 'r.json');
    expect(input).toMatchObject({ file: 'r.json', schema: 'cdm-replay/report@1', tool: 'cdm-replay 0.1.0', trace: { path: 'traces/stream-gpu.csv' } });
    expect(input.entries.map((e) => e.label)).toEqual(['hmm:private', 'numa', 'cdm', 'mainline']);
    expect(new Set(input.entries.map((e) => e.traceSha256)).size).toBe(1);
  });
});
