import { describe, expect, it } from 'vitest';
import { MD_BEST, MD_WORST, code, escapeText, renderMarkdown } from '../../src/report/render-markdown.js';
import type { Report } from '../../src/report/schema.js';
import { sampleReport } from './sample-report.js';

/** Cells of a GFM table row, splitting on unescaped pipes. */
const cellsOf = (line: string): string[] =>
  line.replace(/^\| /, '').replace(/ \|$/, '').split(/(?<!\\) \| /).map((s) => s.trim());

/** The table rows (header excluded) of the section `title`. */
function table(out: string, title: string): string[][] {
  const lines = out.split('\n');
  const start = lines.indexOf(`#### ${title}`);
  expect(start, title).toBeGreaterThan(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 4)) {
    if (!line.startsWith('|')) break;
    rows.push(cellsOf(line));
  }
  return rows;
}
const row = (out: string, title: string, label: string) => table(out, title).find((r) => r[0] === code(label))?.slice(1);

describe('markdown renderer', () => {
  const out = renderMarkdown(sampleReport());
  const lines = out.split('\n');

  it('opens with a short header: trace, events, sha256 prefix, preset', () => {
    expect(lines[0]).toBe('### cdm-replay 0.1.0 report');
    expect(out).toContain('- **trace** `traces/stream-gpu.csv` (csv), sha256 `3f2a9c0b7d1e`');
    expect(out).toContain('- **events** 48,213 (40,960 accesses, 8,192 pages touched, 2.500 s of trace time)');
    expect(out).toContain('- **preset** `power9-v100`: node 0 cpu 16,384 pages, node 1 device 4,096 pages');
  });

  it('has a GitHub table per section, backends as right-aligned columns', () => {
    const titles = lines.filter((l) => l.startsWith('#### ')).map((l) => l.slice(5));
    expect(titles).toEqual([
      'placement', 'migrations', 'accounting', 'memcg /job', 'memcg /job/sub', 'oom', 'reclaim', 'faults',
      'nodes', 'vmstat', 'unsupported ops', 'cost (estimate)',
    ]);
    const start = lines.indexOf('#### placement');
    expect(lines[start + 1]).toBe('');
    expect(lines[start + 2]).toBe('| metric | hmm:private | numa | cdm | mainline |');
    expect(lines[start + 3]).toBe('| --- | ---: | ---: | ---: | ---: |');
    for (const t of titles) for (const r of table(out, t)) expect(r, `${t} ${r[0]}`).toHaveLength(5);
  });

  it('marks best and worst with emoji and explains them in a legend', () => {
    expect(row(out, 'placement', 'remote_accesses')).toEqual(['9,000', `4,000 ${MD_BEST}`, `4,000 ${MD_BEST}`, `12,000 ${MD_WORST}`]);
    expect(row(out, 'accounting', 'rss_drift_pages')).toEqual([`0 ${MD_BEST}`, '64', `-300 ${MD_WORST}`, `0 ${MD_BEST}`]);
    expect(row(out, 'faults', 'cpu')).toEqual(['9,800', '9,100', '9,000', '11,000']);
    expect(row(out, 'memcg /job/sub', 'max_pages')).toEqual(['-', '-', '-', 'max']);
    expect(out).toContain(`${MD_BEST} best, ${MD_WORST} worst across backends on rows where lower is better`);
  });

  it('ends with the warnings, escaped', () => {
    expect(out.trimEnd().split('\n').slice(-3)).toEqual([
      '**Warnings**', '', '- hmm:private: 3 mbind events name node 1, which is not a NUMA node under hmm (counted in unsupported)',
    ]);
    expect(out.endsWith(')\n')).toBe(true);
  });

  it('is byte-identical for the same report', () => {
    expect(renderMarkdown(sampleReport())).toBe(out);
  });

  it('has no legend or marks with one backend', () => {
    const r: Report = { ...sampleReport(), warnings: [] };
    r.backends = [r.backends[3]];
    const one = renderMarkdown(r);
    expect(one).not.toContain(MD_BEST);
    expect(one).not.toContain(MD_WORST);
    expect(one).not.toContain('Warnings');
  });

  it('escapes what would break a table or start markup', () => {
    expect(escapeText('a|b *c* _d_ [e] <f>')).toBe('a\\|b \\*c\\* \\_d\\_ \\[e\\] \\<f>');
    expect(code('x|y')).toBe('`x\\|y`');
    expect(code('a`b')).toBe('`` a`b ``');
    const r = sampleReport();
    r.backends[0].label = 'hmm|odd';
    const header = renderMarkdown(r).split('\n').find((l) => l.startsWith('| metric'))!;
    expect(cellsOf(header)).toEqual(['metric', 'hmm\\|odd', 'numa', 'cdm', 'mainline']);
  });
});
