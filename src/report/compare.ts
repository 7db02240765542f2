// `compare`: per-metric deltas between a baseline and a current run, judged for regressions.
// Pure: inputs in, a Comparison out; the CLI reads files, renders and turns it into an exit code.
//
// Threshold rule (README "Comparing runs in CI"): a judged metric regresses when it rises
//   - by more than its threshold, a percentage of the baseline value (default 1%), and
//   - by at least its unit's absolute floor (ABSOLUTE_FLOOR). A baseline below the floor (0)
//     takes the percentage of the floor: at 1%, 0 -> 1 OOM kill regresses and 0 -> 0.00004
//     misplacement ratio does not; --max-regression oom_kills=100 lets 0 -> 1 pass.
// Judged are the lower-is-better metrics of metrics-doc (DESIGN §4; rss drift by absolute value)
// and every metric a --max-regression names, which makes a neutral metric judged as an increase.
import { UsageError } from '../errors.js';
import { comparableFromReport, type ComparableEntry, type ComparableInput } from './compare-input.js';
import { metricValues, zeroWhenAbsent, type MetricValue } from './metric-paths.js';
import { findMetric, type MetricUnit } from './metrics-doc.js';
import { parseReport, type Report } from './schema.js';

export const DEFAULT_THRESHOLD_PCT = 1;

/** The smallest rise that can regress, per unit: one whole count; the table's ratio precision; 1 µs of cost. */
export const ABSOLUTE_FLOOR: Readonly<Record<MetricUnit, number>> = {
  pages: 1, accesses: 1, count: 1, bytes: 1, kernel: 1, ratio: 0.0001, ns: 1000, text: 0, json: 0,
};

export interface CompareOptions {
  /** Percent a judged metric may rise before it regresses (default DEFAULT_THRESHOLD_PCT). */
  readonly defaultThresholdPct?: number;
  /** Per-metric thresholds in percent, by concrete path or documented path (`accounting.memcg[].oom_events`). */
  readonly maxRegression?: Readonly<Record<string, number>>;
  readonly allowDifferentTrace?: boolean;
  readonly allowDifferentConfig?: boolean;
}

export type Status = 'regression' | 'worse' | 'improved' | 'changed' | 'unchanged' | 'added' | 'removed';

export interface MetricDelta {
  readonly metric: string;
  readonly docPath: string;
  readonly unit: MetricUnit | null;
  /** null: absent on that side (status added/removed) or a null value (unlimited max_pages). */
  readonly baseline: number | null;
  readonly current: number | null;
  readonly delta: number | null;
  /** delta relative to |baseline|, in percent; null when the baseline is 0 or not a number. */
  readonly deltaPct: number | null;
  /** Threshold in percent when the metric is judged, null when it is only reported. */
  readonly thresholdPct: number | null;
  readonly status: Status;
}

export interface BackendComparison {
  readonly label: string;
  readonly metrics: readonly MetricDelta[];
}

export interface Comparison {
  readonly baseline: ComparableInput;
  readonly current: ComparableInput;
  readonly defaultThresholdPct: number;
  readonly maxRegression: Readonly<Record<string, number>>;
  readonly backends: readonly BackendComparison[];
  /** Labels on one side only: reported, not judged, not fatal. */
  readonly baselineOnly: readonly string[];
  readonly currentOnly: readonly string[];
  /** Differences let through by --allow-*, and --max-regression names that matched nothing. */
  readonly notes: readonly string[];
}

/** Two reports that cannot be compared (different schema, trace or configuration): exit 2. */
export class NotComparableError extends UsageError {}

/** Validates both reports (an invalid one is an InvalidReportError, exit 2) and compares them. */
export function compareReports(baseline: Report, current: Report, options: CompareOptions = {}): Comparison {
  const side = (r: Report, file: string) => comparableFromReport(parseReport(r, file), file);
  return compareInputs(side(baseline, 'baseline'), side(current, 'current'), options);
}

export function compareInputs(baseline: ComparableInput, current: ComparableInput, options: CompareOptions = {}): Comparison {
  const defaultPct = options.defaultThresholdPct ?? DEFAULT_THRESHOLD_PCT;
  const maxRegression = options.maxRegression ?? {};
  if (baseline.schema !== current.schema)
    throw new NotComparableError(`not comparable: ${baseline.file} is ${baseline.schema}, ${current.file} is ${current.schema}`);

  const byLabel = new Map(current.entries.map((e) => [e.label, e]));
  const pairs = baseline.entries.flatMap((b) => (byLabel.has(b.label) ? [[b, byLabel.get(b.label)!] as const] : []));
  const baseLabels = new Set(baseline.entries.map((e) => e.label));
  const baselineOnly = baseline.entries.map((e) => e.label).filter((l) => !byLabel.has(l));
  const currentOnly = current.entries.map((e) => e.label).filter((l) => !baseLabels.has(l));
  if (pairs.length === 0)
    throw new NotComparableError(`not comparable: no backend label in common (${baseline.file}: ${[...baseLabels].join(', ')}; ${current.file}: ${[...byLabel.keys()].join(', ')})`);

  const notes = new Set<string>();
  for (const [b, c] of pairs) checkComparable(b, c, baseline, current, options, notes);

  const backends = pairs.map(([b, c]) => ({ label: b.label, metrics: diffSections(metricValues(b.section), metricValues(c.section), defaultPct, maxRegression) }));
  const seen = new Set(backends.flatMap((b) => b.metrics.flatMap((m) => [m.metric, m.docPath])));
  for (const name of Object.keys(maxRegression)) {
    if (seen.has(name)) continue;
    if (!findMetric(name)) throw new UsageError(`--max-regression: unknown metric "${name}" (see \`cdm-replay metrics\`; maps and lists by key, e.g. migrations.by_trigger.driver, nodes.1.used_pages_end, accounting.memcg./job.oom_events)`);
    notes.add(`--max-regression ${name} matched no metric in these reports`);
  }
  return { baseline, current, defaultThresholdPct: defaultPct, maxRegression, backends, baselineOnly, currentOnly, notes: [...notes] };
}

/** Every regression, with its backend label. */
export function regressions(c: Comparison): { label: string; metric: MetricDelta }[] {
  return c.backends.flatMap((b) => b.metrics.filter((m) => m.status === 'regression').map((metric) => ({ label: b.label, metric })));
}

function checkComparable(b: ComparableEntry, c: ComparableEntry, bi: ComparableInput, ci: ComparableInput, o: CompareOptions, notes: Set<string>): void {
  if (b.traceSha256 !== null && c.traceSha256 !== null && b.traceSha256 !== c.traceSha256) {
    const what = `${bi.file} and ${ci.file} replay different traces (sha256 ${b.traceSha256.slice(0, 12)} vs ${c.traceSha256.slice(0, 12)})`;
    if (!o.allowDifferentTrace) throw new NotComparableError(`not comparable: ${what}; pass --allow-different-trace to compare anyway`);
    notes.add(what);
  }
  const diffs = diffConfig(b.config, c.config, '');
  if (diffs.length > 0) {
    const more = diffs.length > 3 ? ` (+${diffs.length - 3} more)` : '';
    const what = `the effective configuration differs: ${diffs.slice(0, 3).join(', ')}${more}`;
    if (!o.allowDifferentConfig) throw new NotComparableError(`not comparable: ${what}; pass --allow-different-config to compare anyway`);
    notes.add(what);
  }
}

/** Dotted keys whose values differ, as `key: old -> new`, in a stable order. */
export function diffConfig(a: unknown, b: unknown, path: string): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffConfig(a[k], b[k], path ? `${path}.${k}` : k));
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
  return [`${path || '(root)'}: ${show(a)} -> ${show(b)}`];
}

function diffSections(base: MetricValue[], cur: MetricValue[], defaultPct: number, maxRegression: Readonly<Record<string, number>>): MetricDelta[] {
  const curByPath = new Map(cur.map((m) => [m.path, m]));
  const baseByPath = new Map(base.map((m) => [m.path, m]));
  return mergeOrder(base, cur).map((m) => {
    const b = baseByPath.get(m.path);
    const c = curByPath.get(m.path);
    const threshold = maxRegression[m.path] ?? maxRegression[m.docPath] ?? (m.doc?.direction === 'lower-better' ? defaultPct : null);
    // A counter-map key missing on one side counted nothing there: compare it as 0.
    const zero = zeroWhenAbsent(m.path) ? 0 : undefined;
    return delta(m, b ? b.value : zero, c ? c.value : zero, threshold);
  });
}

/** Baseline order, with metrics only the current run has inserted after their predecessor there. */
function mergeOrder(base: MetricValue[], cur: MetricValue[]): MetricValue[] {
  const out = [...base];
  const index = new Set(base.map((m) => m.path));
  let at = -1;
  for (const m of cur) {
    if (index.has(m.path)) at = out.findIndex((u) => u.path === m.path);
    else out.splice(++at, 0, m);
  }
  return out;
}

/** b, c: undefined when the metric is absent on that side. */
function delta(m: MetricValue, b: number | null | undefined, c: number | null | undefined, thresholdPct: number | null): MetricDelta {
  const base = { metric: m.path, docPath: m.docPath, unit: m.doc?.unit ?? null, baseline: b ?? null, current: c ?? null, thresholdPct };
  if (b === undefined || c === undefined) return { ...base, delta: null, deltaPct: null, status: b === undefined ? 'added' : 'removed' };
  if (typeof b !== 'number' || typeof c !== 'number') return { ...base, delta: null, deltaPct: null, status: b === c ? 'unchanged' : 'changed' };
  const d = c - b;
  const deltaPct = b === 0 ? null : (d / Math.abs(b)) * 100;
  return { ...base, delta: d, deltaPct, status: judge(m, b, c, thresholdPct) };
}

function judge(m: MetricValue, b: number, c: number, thresholdPct: number | null): Status {
  if (b === c) return 'unchanged';
  if (thresholdPct === null) return 'changed';
  const abs = m.doc?.absolute === true;
  const kb = abs ? Math.abs(b) : b;
  const worse = (abs ? Math.abs(c) : c) - kb;
  if (worse < 0) return 'improved';
  if (worse === 0) return 'changed'; // |drift| kept, sign flipped
  const floor = m.doc ? ABSOLUTE_FLOOR[m.doc.unit] : 0;
  // A baseline below the floor (0, typically) takes the percentage of the floor instead.
  const limit = (thresholdPct / 100) * Math.max(Math.abs(kb), floor);
  // "more than" the limit: a rise of exactly the threshold passes (tolerance for float rounding)
  const over = worse - limit > 1e-9 * Math.max(1, limit);
  return over && worse >= floor ? 'regression' : 'worse';
}

/** Parses `--max-regression metric=pct` values (pct may end in %); later entries win. */
export function parseMaxRegression(specs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const spec of specs) {
    const eq = spec.lastIndexOf('=');
    if (eq <= 0) throw new UsageError(`--max-regression "${spec}": expected metric=pct, e.g. placement.remote_accesses=5`);
    out[spec.slice(0, eq).trim()] = parsePct(spec.slice(eq + 1), `--max-regression ${spec.slice(0, eq).trim()}`);
  }
  return out;
}

/** A percentage >= 0: `5`, `0.5`, `5%`. */
export function parsePct(text: string, what: string): number {
  const t = text.trim().replace(/%$/, '');
  const v = Number(t);
  if (t === '' || !Number.isFinite(v) || v < 0) throw new UsageError(`${what}: "${text}" is not a percentage >= 0`);
  return v;
}
