// The replay engine (DESIGN §1): one pass over the trace drives every selected backend, each on
// its own simulated machine, then the report is assembled and validated against report@1.
import type { BackendChoice } from '../backends/registry.js';
import type { Config } from '../config/index.js';
import { MetricsCollector } from '../metrics/collect.js';
import { advanceTimelines, TimelineCollector, type TimelineOptions } from '../metrics/timeline.js';
import { parseReport, type Report } from '../report/schema.js';
import { Machine } from '../sim/machine.js';
import { PageMap } from '../sim/pagemap.js';
import { openTrace } from '../trace/registry.js';
import { Op, type ReadOptions } from '../trace/events.js';
import { Run } from './apply.js';
import { estimateCost } from './cost.js';
import { explainSection, startWatch, type WatchRange } from './explain.js';
import { machineSpec } from './machine-spec.js';
import { TOOL_VERSION } from '../version.js';
import { UsageError } from '../errors.js';

export interface ReplayOptions {
  tracePath: string;
  config: Config;
  presetName: string;
  backends: BackendChoice[];
  inputFormat?: string;
  ignoreColumns?: boolean;
  /** Format-specific reader options: agent map, lackey/pin/ftrace settings (src/trace/events.ts). */
  traceOptions?: ReadOptions;
  warnings?: string[];
  /** An op a design cannot express is an error (exit 2) instead of a warning (DESIGN §3). */
  strict?: boolean;
  /** Told of each warning raised during the replay (the CLI prints it on stderr at once). */
  onWarning?: (warning: string) => void;
  /** `explain`: watch these pages and add an `explain` section to each backend. */
  watch?: WatchRange;
  /** Add a `timeline` section to each backend (`--timeline`, html); off: no per-event cost. */
  timeline?: TimelineOptions;
  /** Called every so many events with the count so far (progress display). */
  onProgress?: (events: number) => void;
}

export async function replay(o: ReplayOptions): Promise<Report> {
  const { config } = o;
  const trace = await openTrace(o.tracePath, { ...o.traceOptions, inputFormat: o.inputFormat, ignoreColumns: o.ignoreColumns });
  const warnings = [...(o.warnings ?? [])];
  // The event being applied, for unsupported-op messages (its line is read only when needed).
  let at: { line: Float64Array } = { line: new Float64Array(1) };
  let atIndex = 0;
  const runs = o.backends.map((choice) => {
    const knobs = (config.backends[choice.def.name] ?? {}) as Record<string, unknown>;
    const kernelModel = choice.def.kernelModelFor?.(choice.variant, knobs) ?? choice.def.kernelModel;
    const spec = machineSpec(config, kernelModel);
    const { design, knobs: effective, machine: own } = choice.def.create(choice.variant, knobs, spec);
    const machine = new Machine(own ?? spec, design, { windowNs: config.metrics.windowNs });
    if (o.watch) startWatch(machine, o.watch);
    // DESIGN §3: an op the design cannot express is counted, warned about once per op, then
    // handled as the design's kernel would; --strict stops at the first.
    machine.onUnsupported = (op, why) => {
      const where = `${trace.info.path}:${at.line[atIndex]}`;
      if (o.strict) throw new UsageError(`${where}: ${op} ${why}; backend ${choice.label} cannot express it (--strict)`);
      if (machine.unsupported.get(op) !== 1) return;
      const w = `backend ${choice.label}: ${where}: ${op} ${why} (counted in unsupported.${op}; further ones not shown)`;
      warnings.push(w);
      o.onWarning?.(w);
    };
    const metrics = new MetricsCollector(machine, config.metrics.pingPongNs);
    const timeline = o.timeline ? new TimelineCollector(machine, metrics, o.timeline) : null;
    return { choice, effective, machine, metrics, timeline, run: new Run(machine, metrics, trace.info.strings, trace.info.path) };
  });
  // Timeline: the state before the first event at or past a bucket end is sampled; without a
  // timeline the boundary is Infinity and the check below never fires.
  const timelines = runs.flatMap((r) => (r.timeline ? [r.timeline] : []));
  let nextBoundary = timelines.length > 0 ? timelines[0].nextBoundary : Infinity;
  if (runs.length) runs[0].run.touched = new PageMap(4096);
  const eventNs = config.timing.eventNs;
  let index = 0;
  let lastTime = 0;
  let accesses = 0;
  for await (const b of trace.batches) {
    for (let i = 0; i < b.count; i++) {
      const t = b.time[i] === b.time[i] ? b.time[i] : index * eventNs;
      index++;
      lastTime = t;
      if (t >= nextBoundary) nextBoundary = advanceTimelines(timelines, t);
      const op = b.op[i];
      if (op === Op.read || op === Op.write || op === Op.fault) accesses += b.weight[i];
      at = b;
      atIndex = i;
      for (let r = 0; r < runs.length; r++) runs[r].run.apply(b, i, t);
    }
    o.onProgress?.(index);
  }
  const pagesTouched = runs[0]?.run.touched?.size ?? 0;
  const report = {
    schema: 'cdm-replay/report@1',
    tool: { name: 'cdm-replay', version: TOOL_VERSION },
    trace: {
      path: o.tracePath === '-' ? '-' : trace.info.path,
      format: trace.info.format,
      events: trace.info.events,
      accesses,
      pages_touched: pagesTouched,
      duration_ns: lastTime,
      sha256: trace.info.sha256,
      start_time: trace.info.startTime,
      skipped: trace.info.skipped,
    },
    machine: {
      preset: o.presetName,
      nodes: config.nodes.map((n) => ({ id: n.id, kind: n.kind, capacity_pages: Math.floor(n.capacity / config.pageSize) })),
    },
    config: config as unknown as Record<string, unknown>,
    backends: runs.map(({ choice, effective, machine, metrics, timeline }) => {
      const s = metrics.finish();
      return {
        label: choice.label,
        name: choice.def.name,
        variant: choice.variant,
        description: choice.def.description,
        config: { variant: choice.variant, kernelModel: machine.spec.kernel.model, ...effective },
        ...s,
        unsupported: Object.fromEntries([...machine.unsupported.entries()].sort()),
        ...(timeline ? { timeline: timeline.finish() } : {}),
        cost: estimateCost(config, { remoteByPair: metrics.remoteByPair(), movedByPair: metrics.movedByPair }),
        ...(o.watch ? { explain: explainSection(machine) } : {}),
      };
    }),
    warnings,
  };
  return parseReport(report);
}
