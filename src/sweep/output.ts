// Sweep outputs (DESIGN §5a): OUT/sweep.json, OUT/sweep.csv, and one file per finished run under
// OUT/runs/ (what --resume reads). Everything is written in run order from plain data, so equal
// inputs give equal bytes whatever the job count, sharding or resumption.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { BackendReport } from '../report/schema.js';
import { TOOL_VERSION } from '../version.js';
import type { RunError } from './execute.js';
import type { Params } from './grid.js';
import { SWEEP_SCHEMA_ID, type SweepSpec } from './spec.js';

/** One entry of sweep.json's `runs`: a report (the backend section of report@1) or an error. */
export interface SweepRun {
  trace: string;
  params: Params;
  backend: string;
  report?: BackendReport;
  error?: RunError;
}

export interface SweepDoc {
  schema: typeof SWEEP_SCHEMA_ID;
  tool: { name: string; version: string };
  spec: SweepSpec;
  runs: SweepRun[];
}

/** The headline metrics of sweep.csv, by dotted path in the backend section. */
export const CSV_METRICS = [
  'placement.accesses',
  'placement.remote_accesses',
  'placement.misplacement_ratio',
  'placement.misplaced_pages_end',
  'placement.unrequested_device_pages',
  'migrations.total',
  'migrations.failed',
  'migrations.ping_pong',
  'accounting.rss_drift_pages',
  'oom_kills',
  'cost.estimated_total_ns',
] as const;

export function sweepDoc(spec: SweepSpec, runs: SweepRun[]): SweepDoc {
  return { schema: SWEEP_SCHEMA_ID, tool: { name: 'cdm-replay', version: TOOL_VERSION }, spec, runs };
}

export const renderJson = (doc: SweepDoc): string => `${JSON.stringify(doc, null, 2)}\n`;

/** One row per run: trace, each grid key, backend, the headline metrics, error (empty if none). */
export function renderCsv(gridKeys: readonly string[], runs: readonly SweepRun[]): string {
  const lines = [['trace', ...gridKeys, 'backend', ...CSV_METRICS, 'error'].map(csvCell).join(',')];
  for (const r of runs) {
    const params = gridKeys.map((k) => cellValue(r.params[k]));
    const metrics = CSV_METRICS.map((m) => (r.report ? cellValue(at(r.report, m)) : ''));
    lines.push([r.trace, ...params, r.backend, ...metrics, r.error?.message ?? ''].map(csvCell).join(','));
  }
  return `${lines.join('\n')}\n`;
}

function at(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const seg of path.split('.')) cur = cur === null || typeof cur !== 'object' ? undefined : (cur as Record<string, unknown>)[seg];
  return cur;
}

function cellValue(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

// RFC 4180: quote a cell holding a comma, quote or line break; double its quotes.
function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function writeOutputs(outDir: string, doc: SweepDoc, gridKeys: readonly string[]): void {
  ensureDir(outDir);
  writeAtomic(join(outDir, 'sweep.json'), renderJson(doc));
  writeAtomic(join(outDir, 'sweep.csv'), renderCsv(gridKeys, doc.runs));
}

/** Write-then-rename, so an interrupted sweep never leaves half a file for --resume to trust. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    throw new UsageError(`cannot write ${path}: ${(e as Error).message}`);
  }
}

function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`cannot create the output folder ${dir}: ${(e as Error).message}`);
  }
}

// ---- per-run files (OUT/runs/) ----

const RUN_FILE = /^\d{6,}\.json$/;
const ID_FILE = 'sweep-id.json';
export const runFile = (outDir: string, index: number): string => join(outDir, 'runs', `${String(index).padStart(6, '0')}.json`);

interface RunRecord {
  fingerprint: string;
  index: number;
  run: SweepRun;
}

/** Starts (or, resuming, checks) OUT/runs/ for the sweep `fingerprint`; false when it holds another sweep. */
export function prepareRunsDir(outDir: string, fingerprint: string, resume: boolean): boolean {
  const dir = join(outDir, 'runs');
  ensureDir(dir);
  const idPath = join(dir, ID_FILE);
  if (resume) {
    let id: { fingerprint?: string } | undefined;
    try {
      id = JSON.parse(readFileSync(idPath, 'utf8')) as { fingerprint?: string };
    } catch {
      id = undefined; // nothing to resume: start afresh
    }
    if (id && id.fingerprint !== fingerprint) return false;
  }
  if (!resume) for (const f of readdirSync(dir)) if (RUN_FILE.test(f)) rmSync(join(dir, f));
  writeAtomic(idPath, `${JSON.stringify({ fingerprint }, null, 2)}\n`);
  return true;
}

export function writeRunFile(outDir: string, fingerprint: string, index: number, run: SweepRun): void {
  const record: RunRecord = { fingerprint, index, run };
  writeAtomic(runFile(outDir, index), `${JSON.stringify(record)}\n`);
}

/** A finished run of this sweep from OUT/runs/, or undefined (missing, unreadable, failed, other sweep). */
export function readRunFile(outDir: string, fingerprint: string, index: number): SweepRun | undefined {
  try {
    const rec = JSON.parse(readFileSync(runFile(outDir, index), 'utf8')) as RunRecord;
    if (rec.fingerprint !== fingerprint || rec.index !== index || !rec.run?.report) return undefined;
    return rec.run;
  } catch {
    return undefined;
  }
}
