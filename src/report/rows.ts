// The side-by-side comparison as plain rows: which fields, in which order, formatted how, and
// which cell is best or worst. Kept apart from cli-table3 so the markdown and html renderers can
// show the same rows with the same judgement.
import { findMetric, type MetricDoc } from './metrics-doc.js';
import { formatBytes, formatInt, formatRatio, naturalCompare } from './format.js';
import type { BackendReport, Report } from './schema.js';

export type Mark = 'best' | 'worst' | null;

export interface Cell {
  /** Formatted value; "-" when the backend has no such field (a memcg or node it lacks). */
  readonly text: string;
  readonly mark: Mark;
}

export interface Row {
  /** Field name within its section, e.g. `remote_accesses`, `by_trigger.driver`. */
  readonly label: string;
  /** The documented metric path (metrics-doc), e.g. `accounting.memcg[].oom_events`. */
  readonly path: string;
  /** True when best/worst are judged on this row (lower is better and there is something to compare). */
  readonly judged: boolean;
  readonly cells: readonly Cell[];
}

export interface Section {
  readonly title: string;
  readonly rows: readonly Row[];
}

/** The /proc/vmstat counters worth a row; `allocstall_*` expands to every zone present. */
export const VMSTAT_ROWS = [
  'numa_hit', 'numa_miss', 'numa_foreign', 'numa_local', 'numa_other', 'numa_interleave',
  'pgmigrate_success', 'pgmigrate_fail', 'numa_pages_migrated', 'numa_hint_faults', 'numa_pte_updates',
  'pgfault', 'pgscan_kswapd', 'pgscan_direct', 'pgsteal_kswapd', 'pgsteal_direct', 'allocstall_*',
  'oom_kill', 'pswpout',
] as const;

// A missing key in a counter map (by_trigger, unsupported, ...) is a zero; a missing memcg, node
// or vmstat counter (one that kernel era did not have) is shown as "-" and not judged.
type Value = number | null | undefined;

/** The rows of a report, one cell per backend in report order. */
export function buildSections(report: Report): Section[] {
  const bs = report.backends;
  const row = (label: string, path: string, get: (b: BackendReport) => Value, show?: (b: BackendReport) => string | undefined): Row =>
    makeRow(label, path, bs.map(get), show && bs.map(show));
  const keys = (get: (b: BackendReport) => Record<string, unknown>) => unionKeys(bs.map(get));

  const sections: Section[] = [];
  const add = (title: string, rows: Row[]) => {
    if (rows.length > 0) sections.push({ title, rows });
  };

  const fields = <K extends string>(section: string, names: readonly K[], get: (b: BackendReport) => Record<K, number>) =>
    names.map((n) => row(n, `${section}.${n}`, (b) => get(b)[n]));

  add('placement', [
    ...fields('placement', ['accesses', 'remote_accesses', 'misplacement_ratio', 'misplaced_pages_end', 'unrequested_device_pages'], (b) => b.placement),
    ...keys((b) => b.placement.unrequested_by_trigger).map((k) =>
      row(`unrequested_by_trigger.${k}`, `placement.unrequested_by_trigger.${k}`, (b) => b.placement.unrequested_by_trigger[k] ?? 0)),
    ...keys((b) => b.placement.remote_accesses_by_agent).map((k) =>
      row(`remote_accesses_by_agent.${k}`, `placement.remote_accesses_by_agent.<agent>.remote`,
        (b) => b.placement.remote_accesses_by_agent[k]?.remote,
        (b) => {
          const a = b.placement.remote_accesses_by_agent[k];
          return a && `${formatInt(a.remote)} / ${formatInt(a.accesses)}`;
        })),
  ]);

  add('migrations', [
    ...fields('migrations', ['total', 'to_device', 'to_host', 'failed', 'bytes', 'ping_pong'], (b) => b.migrations),
    ...keys((b) => b.migrations.by_trigger).map((k) => row(`by_trigger.${k}`, `migrations.by_trigger.${k}`, (b) => b.migrations.by_trigger[k] ?? 0)),
    ...keys((b) => b.migrations.failed_by_reason).map((k) =>
      row(`failed_by_reason.${k}`, `migrations.failed_by_reason.${k}`, (b) => b.migrations.failed_by_reason[k] ?? 0)),
  ]);

  add('accounting', fields('accounting', [
    'resident_pages', 'resident_ram_pages', 'resident_device_pages', 'vmrss_pages', 'smaps_rss_pages', 'numa_maps_pages', 'rss_drift_pages',
  ], (b) => b.accounting));

  for (const path of unionKeys(bs.map((b) => Object.fromEntries(b.accounting.memcg.map((g) => [g.path, g]))))) {
    const memcg = (b: BackendReport) => b.accounting.memcg.find((g) => g.path === path);
    add(`memcg ${path}`, (['current_pages', 'resident_pages', 'max_pages', 'unreclaimable_pages', 'max_events', 'oom_events'] as const).map((f) =>
      row(f, `accounting.memcg[].${f}`, (b) => memcg(b)?.[f], (b) => {
        const g = memcg(b);
        return g && g[f] === null ? 'max' : undefined; // memory.max unlimited, as the kernel prints it
      })));
  }

  add('oom', [row('oom_kills', 'oom_kills', (b) => b.oom_kills), row('skipped_after_kill', 'skipped_after_kill', (b) => b.skipped_after_kill)]);
  add('reclaim', fields('reclaim', ['kswapd_wakeups', 'direct_reclaims', 'pages_scanned', 'pages_reclaimed'], (b) => b.reclaim));
  add('faults', fields('faults', ['cpu', 'device', 'device_private_cpu_faults'], (b) => b.faults));

  const kinds = new Map(report.machine.nodes.map((n) => [n.id, n.kind]));
  const nodeIds = [...new Set(bs.flatMap((b) => b.nodes.map((n) => n.id)))].sort((a, b) => a - b);
  add('nodes', nodeIds.flatMap((id) => {
    const node = (b: BackendReport) => b.nodes.find((n) => n.id === id);
    const name = `node ${id}${kinds.has(id) ? ` (${kinds.get(id)})` : ''}`;
    return [
      row(`${name} used_pages_end`, 'nodes[].used_pages_end', (b) => node(b)?.used_pages_end),
      row(`${name} peak_used_pages`, 'nodes[].peak_used_pages', (b) => node(b)?.peak_used_pages),
    ];
  }));

  const vmstatKeys = keys((b) => b.vmstat);
  add('vmstat', VMSTAT_ROWS.flatMap((name) =>
    name.endsWith('*') ? vmstatKeys.filter((k) => k.startsWith(name.slice(0, -1))) : vmstatKeys.includes(name) ? [name] : [],
  ).map((k) => row(k, `vmstat.${k}`, (b) => b.vmstat[k])));

  const unsupported = keys((b) => b.unsupported).filter((k) => bs.some((b) => (b.unsupported[k] ?? 0) > 0));
  add('unsupported ops', unsupported.map((k) => row(k, `unsupported.${k}`, (b) => b.unsupported[k] ?? 0)));

  add('cost (estimate)', fields('cost', ['estimated_access_ns', 'estimated_migration_ns', 'estimated_total_ns'], (b) => b.cost));
  return sections;
}

function makeRow(label: string, path: string, values: Value[], shown?: (string | undefined)[]): Row {
  const doc = findMetric(path);
  // A row without a definition is a bug here, not in the report: metrics-doc must cover it.
  if (!doc) throw new Error(`internal: no metric definition for ${path}`);
  const marks = judge(doc, values);
  return {
    label,
    path: doc.path,
    judged: marks.some((m) => m !== null),
    cells: values.map((v, i) => ({ text: shown?.[i] ?? format(doc, v), mark: marks[i] })),
  };
}

/**
 * Best and worst across backends on a lower-is-better row. Every backend sharing the lowest value
 * is best and every one sharing the highest is worst; nothing is marked when fewer than two
 * backends have a value or all values are equal.
 */
export function judge(doc: MetricDoc, values: Value[]): Mark[] {
  const none = values.map((): Mark => null);
  if (doc.direction !== 'lower-better') return none;
  const key = values.map((v) => (typeof v === 'number' ? (doc.absolute ? Math.abs(v) : v) : undefined));
  const present = key.filter((k): k is number => k !== undefined);
  if (present.length < 2) return none;
  const lo = Math.min(...present);
  const hi = Math.max(...present);
  if (lo === hi) return none;
  return key.map((k) => (k === lo ? 'best' : k === hi ? 'worst' : null));
}

function format(doc: MetricDoc, v: Value): string {
  if (v === undefined) return '-';
  if (v === null) return 'null';
  if (doc.unit === 'ratio') return formatRatio(v);
  if (doc.unit === 'bytes') return formatBytes(v);
  return formatInt(v);
}

/** Keys present in any of the records, in natural order. */
function unionKeys(records: Record<string, unknown>[]): string[] {
  return [...new Set(records.flatMap((r) => Object.keys(r)))].sort(naturalCompare);
}
