// One unit of sweep work (a task): a trace and runs of it (grid points x backends), replayed in
// one pass through all of them (the trace is read once per task, not once per run). Runs in a
// worker thread (worker.ts) or, for tests, in-process; it never throws: a failure becomes an error
// on the runs it touches (a point's bad config: its runs; an unreadable trace: all), with the
// exit-code class it would have had on its own.
import { parseBackendList } from '../backends/registry.js';
import { loadConfig } from '../config/index.js';
import { replayEntries, type ReplayEntry } from '../engine/replay.js';
import { CdmError, ExitCode } from '../errors.js';
import type { BackendReport } from '../report/schema.js';

export interface GroupTask {
  group: number;
  /** Absolute path, and the path as the spec wrote it (what messages and outputs show). */
  tracePath: string;
  traceLabel: string;
  configPath?: string;
  configLabel?: string;
  preset?: string;
  /** Grid points sharing this trace, replayed together in one pass over it. */
  points: TaskPoint[];
}

export interface TaskPoint {
  /** Its group (trace, grid point): what the sweep log names. */
  group: number;
  /** The grid point as `KEY=VALUE` overrides, in grid key order. */
  sets: string[];
  runs: { index: number; backend: string }[];
}

export interface RunError {
  /** The exit code this failure has as a single replay: 2 config/usage, 3 trace data, 4 internal. */
  code: number;
  message: string;
}

export interface RunOutcome {
  index: number;
  report?: BackendReport;
  error?: RunError;
}

export interface GroupResult {
  group: number;
  runs: RunOutcome[];
  warnings: string[];
  /** Wall-clock interval of the replay in this thread (ms since the epoch), for the sweep log. */
  startMs: number;
  endMs: number;
}

/** `onEvents`: events replayed since the last call, and the trace's bytes read so far. */
export async function executeGroup(task: GroupTask, onEvents?: (delta: number, bytes: number) => void): Promise<GroupResult> {
  const startMs = Date.now();
  const outcomes: RunOutcome[] = [];
  const warnings: string[] = [];
  const entries: ReplayEntry[] = [];
  const entryRuns: number[] = [];
  // A grid point whose configuration or backend list is bad fails alone, before the pass.
  for (const point of task.points) {
    try {
      const { config, warnings: w } = loadConfig({ preset: task.preset, configFile: task.configPath, sets: point.sets });
      const choices = parseBackendList(point.runs.map((r) => r.backend).join(','));
      warnings.push(...w);
      point.runs.forEach((r, k) => {
        entries.push({ choice: choices[k], config });
        entryRuns.push(r.index);
      });
    } catch (e) {
      outcomes.push(...failAll(point.runs, errorOf(e, task)));
    }
  }
  if (entries.length) {
    let seen = 0;
    try {
      const r = await replayEntries({
        tracePath: task.tracePath,
        entries,
        onProgress: (events, bytes) => {
          onEvents?.(events - seen, bytes);
          seen = events;
        },
      });
      warnings.push(...r.warnings);
      r.outcomes.forEach((x, k) => outcomes.push(x.report ? { index: entryRuns[k], report: x.report } : { index: entryRuns[k], error: errorOf(x.error, task) }));
    } catch (e) {
      const error = errorOf(e, task);
      outcomes.push(...entryRuns.map((index) => ({ index, error })));
    }
  }
  outcomes.sort((a, b) => a.index - b.index);
  return { group: task.group, runs: outcomes, warnings: warnings.map((w) => clean(w, task)), startMs, endMs: Date.now() };
}

export function failAll(runs: readonly { index: number }[], error: RunError): RunOutcome[] {
  return runs.map((r) => ({ index: r.index, error }));
}

function errorOf(e: unknown, task: GroupTask): RunError {
  if (e instanceof CdmError) return { code: e.exitCode, message: clean(e.message, task) };
  return { code: ExitCode.internal, message: clean(`internal error: ${(e as Error)?.message ?? String(e)}`, task) };
}

// Outputs must not depend on where the sweep ran: absolute paths become the spec's own, and the
// grid point's overrides are named as grid keys rather than --set arguments.
function clean(message: string, task: GroupTask): string {
  let m = message.split(task.tracePath).join(task.traceLabel);
  if (task.configPath && task.configLabel) m = m.split(task.configPath).join(task.configLabel);
  return m.split('--set ').join('grid ').split('\n')[0];
}
