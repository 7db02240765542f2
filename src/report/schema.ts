// The report contract `cdm-replay/report@1` (DESIGN §4). JSON is the source of truth and every
// renderer reads this shape. Objects are loose because DESIGN lets producers add fields freely;
// the fixed fields come first in the order written here, which is also the JSON key order.
import * as z from 'zod';
import { UsageError } from '../errors.js';
import { naturalCompare, sortKeys } from './format.js';
import { PARSE_ONCE } from '../parse-once.js';

export const REPORT_SCHEMA_ID = 'cdm-replay/report@1';

const count = z.number().int().nonnegative();
const ns = z.number().nonnegative();
const ratio = z.number().min(0).max(1);

/** Counter maps keyed by name; keys are sorted on parse so the JSON does not depend on event order. */
const counts = () => z.record(z.string(), count).overwrite(sortKeys);
/**
 * A JSON value we echo but do not interpret (configuration, cost-model parameters). Its keys are
 * sorted deeply: with no schema order to follow, sorted is the order that makes equal content give
 * equal bytes.
 */
const jsonRecord = () => z.record(z.string(), z.unknown()).overwrite((r) => deepSort(r) as Record<string, unknown>);

function deepSort(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(deepSort);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort(naturalCompare)) out[k] = deepSort((v as Record<string, unknown>)[k]);
  return out;
}

/**
 * An object whose fixed keys come out in shape order and any extra keys after them, sorted: the
 * JSON key order then never depends on how the producer built the object.
 */
function ordered<T extends z.ZodObject>(schema: T): T {
  const known = Object.keys(schema.shape);
  const reorder = (v: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const k of known) if (k in v) out[k] = v[k];
    for (const k of Object.keys(v).filter((k) => !known.includes(k)).sort(naturalCompare)) out[k] = v[k];
    return out;
  };
  return schema.overwrite(reorder as unknown as (v: z.output<T>) => z.output<T>) as T;
}
/** A loose object (DESIGN §4: fields may be added freely) in canonical key order. */
const obj = <S extends z.ZodRawShape>(shape: S) => ordered(z.looseObject(shape));
/** Fixed counters plus any further named counters. */
const countsWith = <S extends z.ZodRawShape>(shape: S) => ordered(z.object(shape).catchall(count));

const Placement = obj({
  accesses: count,
  remote_accesses: count,
  misplacement_ratio: ratio,
  misplaced_pages_end: count,
  unrequested_device_pages: count,
  unrequested_by_trigger: countsWith({ fallback: count, khugepaged: count, demotion: count, numa_balancing: count }),
  remote_accesses_by_agent: z
    .record(z.string(), obj({ accesses: count, remote: count }))
    .overwrite(sortKeys),
});

const Migrations = obj({
  total: count,
  to_device: count,
  to_host: count,
  failed: count,
  bytes: count,
  ping_pong: count,
  by_trigger: counts(),
  failed_by_reason: counts(),
});

const Memcg = obj({
  path: z.string().min(1),
  current_pages: count,
  resident_pages: count,
  max_pages: count.nullable(), // null: memory.max is "max" (no limit)
  unreclaimable_pages: count,
  max_events: count,
  oom_events: count,
});

const Accounting = obj({
  resident_pages: count,
  resident_ram_pages: count,
  resident_device_pages: count,
  vmrss_pages: count,
  smaps_rss_pages: count,
  numa_maps_pages: count,
  rss_drift_pages: z.number().int(), // vmrss - resident: may be negative
  memcg: z.array(Memcg),
});

const Reclaim = obj({
  kswapd_wakeups: count,
  direct_reclaims: count,
  pages_scanned: count,
  pages_reclaimed: count,
});

const Faults = obj({ cpu: count, device: count, device_private_cpu_faults: count });

const NodeUse = obj({
  id: count,
  used_pages_end: count,
  peak_used_pages: count,
  // numastat's own column names; other per-node counters may follow
  numastat: countsWith({
    numa_hit: count,
    numa_miss: count,
    numa_foreign: count,
    interleave_hit: count,
    local_node: count,
    other_node: count,
  }),
});

// The `timeline` section (html, --timeline): at most a fixed number of buckets in trace time,
// whatever the trace length. Counters are per bucket; `used_pages` and `accounting` are the state
// at the bucket's end. Documented in README "Timeline".
const TimelineBucket = obj({
  start_ns: ns,
  accesses: count,
  remote_accesses: count,
  faults: obj({ cpu: count, device: count, device_private_cpu_faults: count }),
  reclaim: obj({ pages_scanned: count, pages_reclaimed: count, kswapd_wakeups: count, direct_reclaims: count }),
  oom_kills: count,
  migrations: obj({ total: count, ping_pong: count, failed: count, by_trigger: counts() }),
  used_pages: counts(), // by node id
  accounting: obj({
    resident_pages: count, // the truth
    resident_device_pages: count,
    vmrss_pages: count, // what the kernel shows
    smaps_rss_pages: count,
    numa_maps_pages: count,
    memcg_current_pages: count, // memory.current summed over the top-level cgroups
  }),
});

const Heatmap = obj({
  region_pages: z.number().int().positive(), // base pages per row
  overflow: z.boolean(), // more address spaces than rows: the last row also holds the rest
  rows: z.array(obj({ space: z.string(), start: z.string().regex(/^0x[0-9a-f]+$/) })),
  // one string per bucket, one character per row: node id in base 36, "." for no page
  cells: z.array(z.string().regex(/^[0-9a-z.]*$/)),
});

const Timeline = obj({
  bucket_ns: z.number().positive(),
  buckets: z.array(TimelineBucket).min(1),
  heatmap: Heatmap,
}).superRefine((t, ctx) => {
  if (t.heatmap.cells.length !== t.buckets.length) ctx.addIssue({ code: 'custom', path: ['heatmap', 'cells'], message: 'needs one column per bucket' });
  const rows = t.heatmap.rows.length;
  const bad = t.heatmap.cells.findIndex((c) => c.length !== rows);
  if (bad >= 0) ctx.addIssue({ code: 'custom', path: ['heatmap', 'cells', bad], message: `needs one cell per row (${rows})` });
});

const Cost = obj({
  estimated_access_ns: ns,
  estimated_migration_ns: ns,
  estimated_total_ns: ns,
  label: z.literal('estimate'), // a model estimate, never a measurement
  params: jsonRecord(),
});

const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

export const BackendReportSchema = obj({
  label: z.string().min(1), // the name as requested, e.g. "hmm:private"; the column title
  name: z.string().min(1),
  variant: z.string().nullable(),
  description: z.string(),
  config: jsonRecord(),
  placement: Placement,
  migrations: Migrations,
  accounting: Accounting,
  reclaim: Reclaim,
  faults: Faults,
  vmstat: counts(),
  nodes: z.array(NodeUse),
  unsupported: counts(),
  oom_kills: count,
  skipped_after_kill: count,
  timeline: Timeline.optional(),
  cost: Cost,
}).superRefine((b, ctx) => {
  // Identities that follow from the definitions of DESIGN §4: a report breaking one is a metrics
  // bug, and catching it here keeps every renderer and `compare` honest.
  const bad = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const p = b.placement;
  if (p.remote_accesses > p.accesses) bad(['placement', 'remote_accesses'], 'exceeds placement.accesses');
  const r = p.accesses === 0 ? 0 : p.remote_accesses / p.accesses;
  if (!close(p.misplacement_ratio, r)) bad(['placement', 'misplacement_ratio'], `is not remote_accesses / accesses (${r})`);
  const agents = Object.values(p.remote_accesses_by_agent);
  if (agents.length > 0) {
    if (agents.reduce((s, x) => s + x.accesses, 0) !== p.accesses)
      bad(['placement', 'remote_accesses_by_agent'], 'accesses do not sum to placement.accesses');
    if (agents.reduce((s, x) => s + x.remote, 0) !== p.remote_accesses)
      bad(['placement', 'remote_accesses_by_agent'], 'remote does not sum to placement.remote_accesses');
  }
  const m = b.migrations;
  if (sum(m.failed_by_reason) !== m.failed) bad(['migrations', 'failed_by_reason'], 'does not sum to migrations.failed');
  if (sum(m.by_trigger) !== m.total) bad(['migrations', 'by_trigger'], 'does not sum to migrations.total');
  if (m.to_device + m.to_host > m.total) bad(['migrations', 'to_device'], 'to_device + to_host exceeds migrations.total');
  const a = b.accounting;
  if (a.resident_ram_pages + a.resident_device_pages !== a.resident_pages)
    bad(['accounting', 'resident_pages'], 'is not resident_ram_pages + resident_device_pages');
  if (a.vmrss_pages - a.resident_pages !== a.rss_drift_pages)
    bad(['accounting', 'rss_drift_pages'], 'is not vmrss_pages - resident_pages');
  const dup = <T>(xs: T[]) => xs.find((x, i) => xs.indexOf(x) !== i);
  const dupMemcg = dup(a.memcg.map((g) => g.path));
  if (dupMemcg !== undefined) bad(['accounting', 'memcg'], `memcg "${dupMemcg}" listed twice`);
  const dupNode = dup(b.nodes.map((n) => n.id));
  if (dupNode !== undefined) bad(['nodes'], `node ${dupNode} listed twice`);
  const c = b.cost;
  if (!close(c.estimated_total_ns, c.estimated_access_ns + c.estimated_migration_ns))
    bad(['cost', 'estimated_total_ns'], 'is not estimated_access_ns + estimated_migration_ns');
});

export const ReportSchema = obj({
  schema: z.literal(REPORT_SCHEMA_ID),
  tool: obj({ name: z.string(), version: z.string() }),
  trace: obj({
    path: z.string(), // "-" for stdin
    format: z.string(),
    events: count,
    accesses: count,
    pages_touched: count,
    duration_ns: ns,
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits'),
    // the original first timestamp (times are rebased to 0, DESIGN §3), as text so 64-bit values
    // survive; null when the trace has no time column
    start_time: z.string().nullable(),
    skipped: counts(), // events the reader skipped, by reason
  }),
  machine: obj({
    preset: z.string(),
    nodes: z.array(obj({ id: count, kind: z.enum(['cpu', 'device']), capacity_pages: count })).min(1),
  }),
  config: jsonRecord(), // the effective configuration (DESIGN §4a)
  backends: z.array(BackendReportSchema).min(1),
  warnings: z.array(z.string()),
}).superRefine((r, ctx) => {
  const labels = r.backends.map((b) => b.label);
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup !== undefined) ctx.addIssue({ code: 'custom', path: ['backends'], message: `label "${dup}" used twice` });
  const ids = new Set(r.machine.nodes.map((n) => n.id));
  r.backends.forEach((b, i) =>
    b.nodes.forEach((n, j) => {
      if (!ids.has(n.id)) ctx.addIssue({ code: 'custom', path: ['backends', i, 'nodes', j, 'id'], message: `node ${n.id} is not in machine.nodes` });
    }),
  );
}).meta({ title: REPORT_SCHEMA_ID, description: 'cdm-replay report: one trace replayed through several memory-management backends.' });

export type Report = z.infer<typeof ReportSchema>;
export type BackendReport = z.infer<typeof BackendReportSchema>;

/** JSON Schema of report@1, printed by `cdm-replay schema report`. */
export function reportJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ReportSchema) as Record<string, unknown>;
}

/** A report file that is not a valid report@1: a usage error (exit 2) that names where it is wrong. */
export class InvalidReportError extends UsageError {
  constructor(message: string, readonly file?: string, readonly keyPath?: string) {
    super(message);
  }
}

/**
 * Validate a report (a parsed object, or JSON text) and return it typed. Throws an
 * InvalidReportError with a one-line message: `file: key.path: what is wrong (+N more)`.
 */
export function parseReport(input: unknown, file = 'report'): Report {
  let data = input;
  if (typeof input === 'string') {
    try {
      data = JSON.parse(input);
    } catch (e) {
      throw new InvalidReportError(`${file}: not JSON: ${oneLine((e as Error).message)}`, file);
    }
  }
  // Say "wrong kind of file" before listing field errors that follow from it.
  const schema = (data as { schema?: unknown } | null)?.schema;
  if (schema !== REPORT_SCHEMA_ID) {
    const got = schema === undefined ? 'has no "schema" field' : `has schema ${JSON.stringify(schema)}`;
    throw new InvalidReportError(`${file}: not a ${REPORT_SCHEMA_ID} report (${got})`, file, 'schema');
  }
  const res = ReportSchema.safeParse(data, PARSE_ONCE);
  if (res.success) return res.data;
  const [first] = res.error.issues;
  const keyPath = first.path.map(String).join('.');
  const more = res.error.issues.length > 1 ? ` (+${res.error.issues.length - 1} more)` : '';
  throw new InvalidReportError(`${file}: ${keyPath || '(root)'}: ${oneLine(first.message)}${more}`, file, keyPath);
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();
