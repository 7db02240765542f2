// Every numeric metric of a backend section as (dotted path, value), in a stable order: the rows of
// `--format csv` and the metrics `compare` pairs up. Path scheme (README "The report"):
//   - objects and counter maps: keys joined by dots, e.g. `placement.misplacement_ratio`,
//     `migrations.by_trigger.driver`, `placement.remote_accesses_by_agent.cpu0.remote`;
//   - `nodes` is keyed by node id, not list position: `nodes.1.numastat.numa_miss`;
//   - `accounting.memcg` is keyed by the cgroup path, verbatim: `accounting.memcg./job.oom_events`
//     (a cgroup path may itself contain dots: the field is always the last segment);
//   - text and JSON fields (label, config, cost.params, ...) and the optional timeline series are
//     not metrics and are left out; `max_pages` of an unlimited memcg is null.
// Order: schema order for fixed keys, then extra keys and map keys in natural order (the order
// the parsed report already has), list elements by id/path as the report lists them.
import { findMetric, type MetricDoc } from './metrics-doc.js';
import type { BackendReport } from './schema.js';

export interface MetricValue {
  /** Concrete dotted path, e.g. `accounting.memcg./job.oom_events`. */
  readonly path: string;
  /** The documented path it falls under (metrics-doc), e.g. `accounting.memcg[].oom_events`. */
  readonly docPath: string;
  /** Its definition; undefined for a field a producer added that metrics-doc does not know. */
  readonly doc: MetricDoc | undefined;
  /** null only where the schema allows it (memory.max unlimited). */
  readonly value: number | null;
}

/**
 * Counter maps where a missing key means zero (nothing was counted), as the table shows them; a
 * missing vmstat counter, node or memcg is absent instead (that kernel era or machine lacks it).
 */
const ZERO_WHEN_ABSENT = ['placement.unrequested_by_trigger.', 'placement.remote_accesses_by_agent.', 'migrations.by_trigger.', 'migrations.failed_by_reason.', 'unsupported.'];

export const zeroWhenAbsent = (path: string): boolean => ZERO_WHEN_ABSENT.some((p) => path.startsWith(p));

/** Lists that are keyed by one of their element's fields instead of by position. */
const LIST_KEYS: Readonly<Record<string, string>> = { nodes: 'id', 'accounting.memcg': 'path' };
/** Not metrics: a per-bucket series (shown by html/timeline renderers, not compared). */
const SKIP = new Set(['timeline']);
const NOT_NUMERIC = new Set(['text', 'json']);

/** The numeric metrics of one backend section (parse the report first for canonical key order). */
export function metricValues(section: BackendReport): MetricValue[] {
  const out: MetricValue[] = [];
  walk(section as unknown as Record<string, unknown>, '', '', out);
  return out;
}

function walk(obj: Record<string, unknown>, path: string, docPath: string, out: MetricValue[], omit?: string): void {
  for (const [key, v] of Object.entries(obj)) {
    if (key === omit) continue; // the list key is already in the path
    const p = path ? `${path}.${key}` : key;
    const dp = docPath ? `${docPath}.${key}` : key;
    if (SKIP.has(p)) continue;
    const doc = findMetric(dp);
    if (doc && NOT_NUMERIC.has(doc.unit)) continue;
    if (typeof v === 'number') out.push({ path: p, docPath: doc?.path ?? dp, doc, value: v });
    else if (v === null && doc) out.push({ path: p, docPath: doc.path, doc, value: null });
    else if (Array.isArray(v)) {
      const idKey = LIST_KEYS[dp];
      if (idKey === undefined) continue; // an unkeyed list has no stable name per element
      for (const el of v as Record<string, unknown>[]) walk(el, `${p}.${String(el[idKey])}`, `${dp}[]`, out, idKey);
    } else if (v !== null && typeof v === 'object') walk(v as Record<string, unknown>, p, dp, out);
  }
}
