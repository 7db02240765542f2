// What `compare` compares: a file turned into (label, backend section) pairs, each with the context
// that must match its counterpart for a delta to mean something. This is the seam for sweep
// results: a `cdm-replay/sweep@1` file becomes one entry per run, labelled by trace, grid point and
// backend (see readComparable), and compare.ts needs no change.
import { UsageError } from '../errors.js';
import { BackendReportSchema, parseReport, type BackendReport, type Report } from './schema.js';
import { PARSE_ONCE } from '../parse-once.js';

export interface ComparableEntry {
  /** Pairs entries across the two sides: the backend label (a report), or trace|params|backend (a sweep run). */
  readonly label: string;
  readonly section: BackendReport;
  /** The replayed trace's digest; entries with different digests replay different inputs. */
  readonly traceSha256: string | null;
  /** The effective configuration behind the entry, compared key by key. */
  readonly config: Readonly<Record<string, unknown>>;
}

export interface ComparableInput {
  /** As given on the command line; used in messages only. */
  readonly file: string;
  readonly schema: string;
  /** `name version` of the tool that wrote it. */
  readonly tool: string;
  /** The trace when the whole file replays one (a report); null for a sweep over several. */
  readonly trace: { readonly path: string; readonly sha256: string } | null;
  readonly entries: readonly ComparableEntry[];
}

/** A report@1: one entry per backend, all sharing the report's trace and effective configuration. */
export function comparableFromReport(report: Report, file = 'report'): ComparableInput {
  return {
    file,
    schema: report.schema,
    tool: `${report.tool.name} ${report.tool.version}`,
    trace: { path: report.trace.path, sha256: report.trace.sha256 },
    entries: report.backends.map((b) => ({
      label: b.label,
      section: b,
      traceSha256: report.trace.sha256,
      // report.config holds every backend's knobs (backends.<name>.*); the variant is in the label
      config: report.config,
    })),
  };
}

/**
 * A file's text (or parsed JSON) as comparable entries, chosen by its `schema` field. Anything that
 * is not a known comparable kind is a usage error (exit 2) with a one-line message.
 */
export function readComparable(input: unknown, file: string): ComparableInput {
  let data = input;
  if (typeof input === 'string') {
    try {
      data = JSON.parse(input);
    } catch (e) {
      throw new UsageError(`${file}: not JSON: ${(e as Error).message.replace(/\s*\n\s*/g, ' ')}`);
    }
  }
  const schema = (data as { schema?: unknown } | null)?.schema;
  if (schema === 'cdm-replay/sweep@1') return comparableFromSweep(data as SweepFile, file);
  return comparableFromReport(parseReport(data, file), file);
}

interface SweepFile {
  schema: string;
  tool?: { name?: string; version?: string } | string;
  runs?: { trace?: unknown; params?: unknown; backend?: unknown; report?: unknown; error?: unknown }[];
}

const sortedJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x));

/**
 * A sweep@1 (DESIGN §5a): one entry per finished run, labelled `trace params backend` so the same
 * run of two sweeps pairs up; the grid point is the entry's configuration. Failed runs are left out.
 */
export function comparableFromSweep(sweep: SweepFile, file: string): ComparableInput {
  if (!Array.isArray(sweep.runs)) throw new UsageError(`${file}: runs: expected a list (cdm-replay/sweep@1)`);
  const entries: ComparableEntry[] = [];
  sweep.runs.forEach((run, i) => {
    if (run.error !== undefined || run.report === undefined) return;
    const parsed = BackendReportSchema.safeParse(run.report, PARSE_ONCE);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UsageError(`${file}: runs.${i}.report.${issue.path.join('.')}: ${issue.message}`);
    }
    const params = (run.params ?? {}) as Record<string, unknown>;
    entries.push({
      label: `${String(run.trace)} ${sortedJson(params)} ${String(run.backend)}`,
      section: parsed.data,
      traceSha256: null, // runs name trace paths; the label carries them
      config: params,
    });
  });
  const tool = typeof sweep.tool === 'string' ? sweep.tool : `${sweep.tool?.name ?? 'cdm-replay'} ${sweep.tool?.version ?? '?'}`;
  return { file, schema: sweep.schema, tool, trace: null, entries };
}
