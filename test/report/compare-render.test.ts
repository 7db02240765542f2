import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { makeColour, NO_COLOUR } from '../../src/report/colour.js';
import { compareRendererNames, getCompareRenderer, renderCompareJson, renderCompareMarkdown, renderCompareTable } from '../../src/report/compare-render.js';
import { compareReports } from '../../src/report/compare.js';
import { parseReport, type Report } from '../../src/report/schema.js';
import { sampleReport } from './sample-report.js';

/** numa 10% more remote accesses (a regression) and one fewer hmm:private ping-pong (better). */
function worse(): Report {
  const r = sampleReport();
  const p = r.backends[1].placement;
  p.remote_accesses += 400;
  p.remote_accesses_by_agent.cpu0.remote += 400;
  p.misplacement_ratio = p.remote_accesses / p.accesses;
  r.backends[0].migrations.ping_pong -= 1;
  return parseReport(r);
}

const bodyRows = (out: string) => out.split('\n').filter((l) => /^│ (hmm|numa|cdm|mainline)/.test(l));

describe('compare renderers', () => {
  const c = compareReports(sampleReport(), worse());

  it('table: changed metrics only, with verdicts, notes and a summary naming each regression', () => {
    const out = renderCompareTable(c, { colour: NO_COLOUR });
    expect(out).not.toContain('\u001b');
    expect(out.split('\n')[0]).toBe('baseline  baseline: trace traces/stream-gpu.csv, sha256 3f2a9c0b7d1e, cdm-replay 0.1.0');
    const rows = bodyRows(out).map((l) => l.split('│').slice(1, -1).map((s) => s.trim()));
    expect(rows).toEqual([
      ['hmm:private', 'migrations.ping_pong', '700', '699', '-1', '-0.14%', 'better'],
      ['numa', 'placement.remote_accesses', '4,000', '4,400', '+400', '+10.00%', 'REGRESSION (limit 1%)'],
      ['numa', 'placement.misplacement_ratio', '0.0977', '0.1074', '+0.0098', '+10.00%', 'REGRESSION (limit 1%)'],
      ['numa', 'placement.remote_accesses_by_agent.cpu0.remote', '1,500', '1,900', '+400', '+26.67%', ''],
    ]);
    expect(out.trimEnd().split('\n').at(-1)).toBe(
      '2 regressions (' + c.backends.flatMap((b) => b.metrics).length + ' metrics across 4 backends, 4 changed): numa placement.remote_accesses +400 (+10.00%); numa placement.misplacement_ratio +0.0098 (+10.00%)',
    );
  });

  it('table: --all lists unchanged metrics too; identical reports say so', () => {
    const all = renderCompareTable(c, { colour: NO_COLOUR, all: true });
    expect(bodyRows(all)).toHaveLength(c.backends.flatMap((b) => b.metrics).length);
    const same = renderCompareTable(compareReports(sampleReport(), sampleReport()), { colour: NO_COLOUR });
    expect(same).toContain('no metric changed');
    expect(same.trimEnd().split('\n').at(-1)).toMatch(/^no regressions \(\d+ metrics across 4 backends, 0 changed\)$/);
  });

  it('table: colours the verdicts only when colour is on', () => {
    expect(renderCompareTable(c, { colour: makeColour(1) })).toContain('\u001b[31m');
  });

  it('markdown: a title with the verdict, a header, one GitHub table', () => {
    const out = renderCompareMarkdown(c, { colour: NO_COLOUR });
    const lines = out.split('\n');
    expect(lines[0]).toBe('### cdm-replay compare: ❌ 2 regressions');
    expect(lines[2]).toBe('- **baseline** `baseline`: trace `traces/stream-gpu.csv`, sha256 `3f2a9c0b7d1e`, cdm-replay 0.1.0');
    expect(out).toContain('| backend | metric | baseline | current | change | change % | verdict |');
    expect(out).toContain('| `numa` | `placement.remote_accesses` | 4,000 | 4,400 | +400 | +10.00% | ❌ regression (limit 1%) |');
    expect(out).toContain('| `hmm:private` | `migrations.ping_pong` | 700 | 699 | -1 | -0.14% | ✅ better |');
    expect(renderCompareMarkdown(compareReports(sampleReport(), sampleReport()), { colour: NO_COLOUR }).split('\n')[0]).toBe('### cdm-replay compare: ✅ no regressions');
  });

  it('json: every metric with its status, the regressions listed', () => {
    const doc = JSON.parse(renderCompareJson(c));
    expect(doc.schema).toBe('cdm-replay/compare@1');
    expect(doc.regressions).toEqual([
      { backend: 'numa', metric: 'placement.remote_accesses' },
      { backend: 'numa', metric: 'placement.misplacement_ratio' },
    ]);
    expect(doc.backends[1].metrics).toHaveLength(c.backends[1].metrics.length);
    expect(doc.backends[1].metrics[1]).toEqual({
      metric: 'placement.remote_accesses', doc: 'placement.remote_accesses', baseline: 4000, current: 4400, delta: 400, delta_pct: 10, threshold_pct: 1, status: 'regression',
    });
    expect(doc.default_threshold_pct).toBe(1);
  });

  it('is byte-identical for the same inputs', () => {
    for (const name of compareRendererNames()) {
      const r = getCompareRenderer(name);
      expect(r(compareReports(sampleReport(), worse()), { colour: NO_COLOUR }), name).toBe(r(c, { colour: NO_COLOUR }));
    }
  });

  it('lists backends present on one side only as notes', () => {
    const cur = sampleReport();
    cur.backends.pop();
    const out = renderCompareTable(compareReports(sampleReport(), cur), { colour: NO_COLOUR });
    expect(out).toContain('note: backend mainline is only in the baseline (not compared)');
  });

  it('registry: table, markdown, json; anything else is a usage error', () => {
    expect(compareRendererNames()).toEqual(['table', 'markdown', 'json']);
    expect(() => getCompareRenderer('csv')).toThrow(UsageError);
  });
});
