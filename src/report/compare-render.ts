// Renderers for a Comparison, by name (`compare --format`): a terminal table, Markdown for a PR
// comment, JSON for scripts. Table and Markdown show changed metrics only unless `all`; JSON
// always lists every metric with its status.
import Table from 'cli-table3';
import { UsageError } from '../errors.js';
import type { Colour } from './colour.js';
import { regressions, type Comparison, type MetricDelta, type Status } from './compare.js';
import { formatBytes, formatInt, formatRatio } from './format.js';
import { code, escapeText } from './render-markdown.js';

export interface CompareRenderOptions {
  colour: Colour;
  /** Show unchanged metrics too. */
  all?: boolean;
}

export type CompareRenderer = (c: Comparison, o: CompareRenderOptions) => string;

const RENDERERS: ReadonlyMap<string, CompareRenderer> = new Map<string, CompareRenderer>([
  ['table', renderCompareTable],
  ['markdown', (c, o) => renderCompareMarkdown(c, o)],
  ['json', (c) => renderCompareJson(c)],
]);

export function compareRendererNames(): string[] {
  return [...RENDERERS.keys()];
}

export function getCompareRenderer(name: string): CompareRenderer {
  const r = RENDERERS.get(name);
  if (!r) throw new UsageError(`compare: unknown format ${JSON.stringify(name)} (known: ${compareRendererNames().join(', ')})`);
  return r;
}

const VERDICT: Readonly<Record<Status, string>> = {
  regression: 'REGRESSION', worse: 'worse, within limit', improved: 'better', changed: '', unchanged: '', added: 'only in current', removed: 'only in baseline',
};
const MD_VERDICT: Readonly<Record<Status, string>> = {
  regression: '❌ regression', worse: '⚠️ worse, within limit', improved: '✅ better', changed: '', unchanged: '', added: 'only in current', removed: 'only in baseline',
};

type Line = [label: string, m: MetricDelta];
const shown = (c: Comparison, all = false): Line[] =>
  c.backends.flatMap((b) => b.metrics.filter((m) => all || m.status !== 'unchanged').map((m): Line => [b.label, m]));

export function renderCompareTable(c: Comparison, { colour, all }: CompareRenderOptions): string {
  const k = colour.chalk;
  const out = header(c).map(([key, v]) => `${k.bold(key.padEnd(10))}${v}`);
  const lines = shown(c, all);
  if (lines.length > 0) {
    const table = new Table({
      head: ['backend', 'metric', 'baseline', 'current', 'change', 'change %', 'verdict'].map((h) => k.bold(h)),
      colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'left'],
      style: { head: [], border: [], compact: true },
    });
    const paint = (s: Status, t: string) => (s === 'regression' ? k.red.bold(t) : s === 'worse' ? k.yellow(t) : s === 'improved' ? k.green(t) : t);
    for (const [label, m] of lines) {
      const verdict = m.status === 'regression' || m.status === 'worse' ? `${VERDICT[m.status]} (${limit(m)})` : VERDICT[m.status];
      table.push([label, m.metric, value(m, 'baseline'), value(m, 'current'), change(m), pct(m), paint(m.status, verdict)]);
    }
    out.push(table.toString());
  } else {
    out.push('no metric changed');
  }
  for (const n of notes(c)) out.push(`${k.yellow('note:')} ${n}`);
  out.push(summary(c));
  return `${out.join('\n')}\n`;
}

export function renderCompareMarkdown(c: Comparison, { all }: CompareRenderOptions): string {
  const regs = regressions(c);
  const title = regs.length > 0 ? `❌ ${regs.length} regression${regs.length === 1 ? '' : 's'}` : '✅ no regressions';
  const out = [`### cdm-replay compare: ${title}`, '', ...header(c, code).map(([key, v]) => `- **${key}** ${v}`), ''];
  const lines = shown(c, all);
  if (lines.length > 0) {
    out.push('| backend | metric | baseline | current | change | change % | verdict |', '| --- | --- | ---: | ---: | ---: | ---: | --- |');
    for (const [label, m] of lines) {
      const verdict = m.status === 'regression' || m.status === 'worse' ? `${MD_VERDICT[m.status]} (${limit(m)})` : MD_VERDICT[m.status];
      const cells = [code(label), code(m.metric), value(m, 'baseline'), value(m, 'current'), change(m), pct(m), verdict];
      out.push(`| ${cells.join(' | ')} |`);
    }
  } else {
    out.push('No metric changed.');
  }
  const ns = notes(c);
  if (ns.length > 0) out.push('', ...ns.map((n) => `- ${escapeText(n)}`));
  out.push('', escapeText(summary(c)));
  return `${out.join('\n')}\n`;
}

/** `cdm-replay/compare@1` JSON: every metric of every paired backend, with its status. */
export function renderCompareJson(c: Comparison): string {
  const side = (s: Comparison['baseline']) => ({ file: s.file, schema: s.schema, tool: s.tool, trace: s.trace });
  const doc = {
    schema: 'cdm-replay/compare@1',
    baseline: side(c.baseline),
    current: side(c.current),
    default_threshold_pct: c.defaultThresholdPct,
    max_regression: c.maxRegression,
    regressions: regressions(c).map(({ label, metric }) => ({ backend: label, metric: metric.metric })),
    baseline_only: c.baselineOnly,
    current_only: c.currentOnly,
    notes: c.notes,
    backends: c.backends.map((b) => ({
      label: b.label,
      metrics: b.metrics.map((m) => ({
        metric: m.metric, doc: m.docPath, baseline: m.baseline, current: m.current, delta: m.delta,
        delta_pct: m.deltaPct, threshold_pct: m.thresholdPct, status: m.status,
      })),
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Key/value lines about the two sides; `lit` wraps names and digests (code spans in Markdown). */
function header(c: Comparison, lit: (s: string) => string = (s) => s): [string, string][] {
  const side = (s: Comparison['baseline']) =>
    `${lit(s.file)}: ${s.trace ? `trace ${lit(s.trace.path)}, sha256 ${lit(s.trace.sha256.slice(0, 12))}, ` : ''}${s.tool}`;
  const named = Object.entries(c.maxRegression).map(([k, v]) => `${lit(k)} ${v}%`);
  return [
    ['baseline', side(c.baseline)],
    ['current', side(c.current)],
    ['threshold', `lower-is-better metrics regress when they rise by more than ${c.defaultThresholdPct}% and by at least 1 (count), 0.0001 (ratio) or 1 µs (cost)${named.length ? `; --max-regression ${named.join(', ')}` : ''}`],
  ];
}

function notes(c: Comparison): string[] {
  return [
    ...c.baselineOnly.map((l) => `backend ${l} is only in the baseline (not compared)`),
    ...c.currentOnly.map((l) => `backend ${l} is only in the current run (not compared)`),
    ...c.notes,
  ];
}

function summary(c: Comparison): string {
  const regs = regressions(c);
  const all = c.backends.flatMap((b) => b.metrics);
  const changed = all.filter((m) => m.status !== 'unchanged').length;
  const counts = `${formatInt(all.length)} metrics across ${c.backends.length} backend${c.backends.length === 1 ? '' : 's'}, ${formatInt(changed)} changed`;
  if (regs.length === 0) return `no regressions (${counts})`;
  const list = regs.map(({ label, metric: m }) => `${label} ${m.metric} ${change(m)}${m.deltaPct === null ? '' : ` (${pct(m)})`}`);
  return `${regs.length} regression${regs.length === 1 ? '' : 's'} (${counts}): ${list.join('; ')}`;
}

const limit = (m: MetricDelta): string => `limit ${m.thresholdPct}%`;

function value(m: MetricDelta, side: 'baseline' | 'current'): string {
  const absent = side === 'baseline' ? m.status === 'added' : m.status === 'removed';
  const v = m[side];
  if (absent) return '-';
  if (v === null) return m.docPath.endsWith('max_pages') ? 'max' : 'null'; // memory.max unlimited
  return num(m, v);
}

function num(m: MetricDelta, v: number): string {
  if (m.unit === 'ratio') return formatRatio(v);
  if (m.unit === 'bytes') return formatBytes(v);
  return Number.isInteger(v) || m.unit !== null ? formatInt(v) : String(v);
}

function change(m: MetricDelta): string {
  if (m.delta === null) return '';
  return `${m.delta > 0 ? '+' : ''}${num(m, m.delta)}`;
}

function pct(m: MetricDelta): string {
  if (m.deltaPct === null) return m.delta !== null && m.delta !== 0 ? 'n/a' : '';
  return `${m.deltaPct > 0 ? '+' : ''}${m.deltaPct.toFixed(2)}%`;
}
