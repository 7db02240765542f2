// One unit of sweep work: a (trace, grid point) group, replayed once through all of its backends.
// Runs in a worker thread (worker.ts) or, for tests, in-process; it never throws: a failure becomes
// an error on every run of the group, with the exit-code class it would have had on its own.
import { parseBackendList } from '../backends/registry.js';
import { loadConfig } from '../config/index.js';
import { replay } from '../engine/replay.js';
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

export async function executeGroup(task: GroupTask, onEvents?: (delta: number) => void): Promise<GroupResult> {
  const startMs = Date.now();
  let seen = 0;
  try {
    const { config, warnings } = loadConfig({ preset: task.preset, configFile: task.configPath, sets: task.sets });
    const choices = parseBackendList(task.runs.map((r) => r.backend).join(','));
    const report = await replay({
      tracePath: task.tracePath,
      config,
      presetName: config.preset ?? task.preset ?? 'custom',
      backends: choices,
      warnings,
      onProgress: (events) => {
        onEvents?.(events - seen);
        seen = events;
      },
    });
    const runs = task.runs.map((r) => {
      const section = report.backends.find((b) => b.label === r.backend);
      if (!section) return { index: r.index, error: { code: ExitCode.internal, message: `internal error: no report section for ${r.backend}` } };
      return { index: r.index, report: section };
    });
    return { group: task.group, runs, warnings: report.warnings.map((w) => clean(w, task)), startMs, endMs: Date.now() };
  } catch (e) {
    return { group: task.group, runs: failAll(task, errorOf(e, task)), warnings: [], startMs, endMs: Date.now() };
  }
}

export function failAll(task: GroupTask, error: RunError): RunOutcome[] {
  return task.runs.map((r) => ({ index: r.index, error }));
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
