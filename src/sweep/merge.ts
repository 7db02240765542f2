// `cdm-replay merge <dir ...> --out DIR`: combines the sweep.json of every shard into the
// sweep.json and sweep.csv an unsharded run writes, byte for byte. It refuses (exit 2) folders of
// different specs or tool versions, a run found twice, and a merge with runs missing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { describeParams, expand, runId } from './grid.js';
import { sweepDoc, writeOutputs, type SweepDoc, type SweepRun } from './output.js';
import { parseSpec, SWEEP_SCHEMA_ID } from './spec.js';

export interface MergeSummary {
  doc: SweepDoc;
  failed: number;
}

function readDoc(dir: string): SweepDoc {
  const file = join(dir, 'sweep.json');
  let doc: SweepDoc;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as SweepDoc;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`merge: ${file}: ${code === 'ENOENT' ? 'missing (did that shard finish?)' : `not JSON: ${(e as Error).message.split('\n')[0]}`}`);
  }
  if (doc?.schema !== SWEEP_SCHEMA_ID || !Array.isArray(doc.runs)) throw new UsageError(`merge: ${file}: not a ${SWEEP_SCHEMA_ID} file`);
  return doc;
}

// Which top-level spec key differs, for the refusal message.
function specDiff(a: Record<string, unknown>, b: Record<string, unknown>): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.find((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])) ?? '(key order)';
}

export function mergeSweeps(dirs: readonly string[], outDir: string): MergeSummary {
  if (dirs.length === 0) throw new UsageError('merge: name at least one sweep output folder');
  const docs = dirs.map(readDoc);
  const [first] = docs;
  const specText = JSON.stringify(first.spec);
  docs.forEach((d, i) => {
    if (JSON.stringify(d.spec) !== specText) {
      throw new UsageError(`merge: ${dirs[i]} is from a different sweep spec than ${dirs[0]} (spec key "${specDiff(first.spec, d.spec)}" differs): refusing to merge`);
    }
    if (d.tool?.version !== first.tool?.version) {
      throw new UsageError(`merge: ${dirs[i]} was written by cdm-replay ${d.tool?.version}, ${dirs[0]} by ${first.tool?.version}: refusing to merge`);
    }
  });
  const { spec, backends, gridKeys } = parseSpec(first.spec, `${join(dirs[0], 'sweep.json')} (spec)`);
  const { runs } = expand(spec.traces, spec.grid ?? {}, backends);
  const indexOf = new Map(runs.map((r) => [runId(r), r.index]));
  const merged: (SweepRun | undefined)[] = new Array(runs.length);
  const from: string[] = [];
  docs.forEach((d, i) => {
    for (const run of d.runs) {
      const idx = indexOf.get(runId(run));
      const what = `trace ${run.trace}; ${describeParams(run.params ?? {})}; backend ${run.backend}`;
      if (idx === undefined) throw new UsageError(`merge: ${dirs[i]}: run (${what}) is not in the spec`);
      if (merged[idx]) throw new UsageError(`merge: run (${what}) is in both ${from[idx]} and ${dirs[i]}: pass each shard's folder once`);
      merged[idx] = run;
      from[idx] = dirs[i];
    }
  });
  const missing = runs.filter((r) => !merged[r.index]);
  if (missing.length) {
    const m = missing[0];
    throw new UsageError(
      `merge: ${missing.length} of ${runs.length} runs missing (first: trace ${m.trace}; ${describeParams(m.params)}; backend ${m.backend}): pass every shard's folder`,
    );
  }
  const all = merged as SweepRun[];
  const doc = sweepDoc(spec, all);
  doc.tool = first.tool;
  writeOutputs(outDir, doc, gridKeys);
  return { doc, failed: all.filter((r) => r.error).length };
}
