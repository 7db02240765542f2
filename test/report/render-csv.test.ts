import { describe, expect, it } from 'vitest';
import { metricValues } from '../../src/report/metric-paths.js';
import { csvField, renderCsv } from '../../src/report/render-csv.js';
import { parseReport, type BackendReport, type Report } from '../../src/report/schema.js';
import { sampleReport } from './sample-report.js';

/** A strict RFC 4180 reader (LF or CRLF records), written apart from the renderer. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (ch === '"') { quoted = false; i++; continue; }
      field += ch; i++; continue;
    }
    if (ch === '"' && field === '') { quoted = true; i++; continue; }
    if (ch === ',') { row.push(field); field = ''; i++; continue; }
    if (ch === '\n' || (ch === '\r' && text[i + 1] === '\n')) {
      row.push(field); rows.push(row); row = []; field = '';
      i += ch === '\r' ? 2 : 1;
      continue;
    }
    field += ch; i++;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

/** Resolves a CSV metric path against a backend section by the documented scheme, independently of metric-paths.ts. */
function lookup(b: BackendReport, path: string): unknown {
  const memcg = /^accounting\.memcg\.(.+)\.([^.]+)$/.exec(path);
  if (memcg) return (b.accounting.memcg.find((g) => g.path === memcg[1]) as Record<string, unknown> | undefined)?.[memcg[2]];
  const [head, ...rest] = path.split('.');
  const id = head === 'nodes' ? Number(rest.shift()) : NaN;
  let v: unknown = head === 'nodes' ? b.nodes.find((n) => n.id === id) : (b as unknown as Record<string, unknown>)[head];
  for (const k of rest) v = (v as Record<string, unknown>)[k];
  return v;
}

describe('csv renderer', () => {
  const report = sampleReport();
  const out = renderCsv(report);
  const rows = parseCsv(out);

  it('is tidy: a backend,metric,value header then one row per backend and metric', () => {
    expect(rows[0]).toEqual(['backend', 'metric', 'value']);
    expect(rows.slice(1).every((r) => r.length === 3)).toBe(true);
    const keys = rows.slice(1).map((r) => `${r[0]}|${r[1]}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(out.endsWith('\n')).toBe(true);
    expect(out).not.toContain('\r');
  });

  it('reads back with the same values as the report', () => {
    const byLabel = new Map(report.backends.map((b) => [b.label, b]));
    for (const [label, metric, value] of rows.slice(1)) {
      const want = lookup(byLabel.get(label)!, metric);
      expect(value === '' ? null : Number(value), `${label} ${metric}`).toBe(want);
    }
  });

  it('names metrics by dotted path: maps by key, nodes by id, memcgs by cgroup path', () => {
    const has = (...r: string[]) => expect(rows, r.join(',')).toContainEqual(r);
    has('numa', 'placement.misplacement_ratio', '0.09765625');
    has('hmm:private', 'migrations.by_trigger.driver', '3000');
    has('numa', 'nodes.1.numastat.numa_miss', '128');
    has('hmm:private', 'accounting.memcg./job.oom_events', '1');
    has('mainline', 'accounting.memcg./job/sub.max_pages', ''); // unlimited: null
    has('mainline', 'accounting.memcg./job/sub.peak_pages', '640'); // a field the producer added
    has('cdm', 'placement.remote_accesses_by_agent.cpu0.remote', '1400');
    has('hmm:private', 'unsupported.mbind', '3');
    has('cdm', 'cost.estimated_total_ns', '37100000');
  });

  it('leaves out text, JSON, list keys and the timeline series', () => {
    const metrics = new Set(rows.slice(1).map((r) => r[1]));
    for (const m of ['label', 'variant', 'description', 'cost.label', 'nodes.0.id', 'accounting.memcg./job.path']) expect(metrics.has(m), m).toBe(false);
    expect([...metrics].filter((m) => /^(config|cost\.params|timeline)/.test(m))).toEqual([]);
  });

  it('keeps a stable order: backends as in the report, metrics in schema order within each', () => {
    expect([...new Set(rows.slice(1).map((r) => r[0]))]).toEqual(['hmm:private', 'numa', 'cdm', 'mainline']);
    const numa = rows.filter((r) => r[0] === 'numa').map((r) => r[1]);
    expect(numa.slice(0, 3)).toEqual(['placement.accesses', 'placement.remote_accesses', 'placement.misplacement_ratio']);
    expect(numa.at(-1)).toBe('cost.estimated_total_ns');
    expect(numa).toEqual(metricValues(parseReport(report).backends[1]).map((m) => m.path));
  });

  it('is byte-identical for the same report, whatever order the producer built it in', () => {
    const reversed = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reversed) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;
    expect(renderCsv(sampleReport())).toBe(out);
    expect(renderCsv(reversed(sampleReport()) as Report)).toBe(out);
  });

  it('quotes by RFC 4180', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    const r = sampleReport();
    r.backends[0].label = 'odd,"label"';
    const back = parseCsv(renderCsv(r));
    expect(back[1][0]).toBe('odd,"label"');
    expect(back.filter((x) => x.length !== 3)).toEqual([]);
  });
});
