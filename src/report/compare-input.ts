// What `compare` compares: a file turned into (label, backend section) pairs, each with the context
// that must match its counterpart for a delta to mean something. This is the seam for sweep
// results: a `cdm-replay/sweep@1` file becomes one entry per run, labelled by trace, grid point and
// backend (see readComparable), and compare.ts needs no change.
import { UsageError } from '../errors.js';
import { parseReport, REPORT_SCHEMA_ID, type BackendReport, type Report } from './schema.js';

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
  // Sweep results (DESIGN §5a) plug in here: validate sweep.json, then map each run that has a
  // report to { label: `${run.trace} ${params} ${run.backend}`, section: run.report,
  // traceSha256: null (runs name trace paths, not digests), config: the grid point's params },
  // with `trace: null` on the input; runs with an error are left out and listed as notes.
  if (schema === 'cdm-replay/sweep@1') throw new UsageError(`${file}: comparing sweep results is not supported yet (only ${REPORT_SCHEMA_ID})`);
  return comparableFromReport(parseReport(data, file), file);
}
