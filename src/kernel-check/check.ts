// `cdm-replay kernel-check` as a library call: the same trace and config through the `mainline`
// simulator and through Debian's 6.12 under qemu, then the comparison of every shared observable.
import { parseBackendList } from '../backends/registry.js';
import type { Config } from '../config/index.js';
import { UsageError } from '../errors.js';
import { replay } from '../engine/replay.js';
import type { BackendReport, Report } from '../report/schema.js';
import { TOOL_VERSION } from '../version.js';
import { type CheckRow, compareRuns, type Mechanisms, mechanisms, summarise, type Summary } from './compare.js';
import { GuestCrashError } from './errors.js';
import { readTraceBytes } from './initramfs.js';
import { type DriverPages, driverPages } from './hmm-observables.js';
import { hmmGuestSetup, type HmmVariant } from './hmm-machine.js';
import { type Plan, planHmmTrace } from './hmm-plan.js';
import { guestSetup } from './machine.js';
import { HMM_KERNEL, resolveHmmKernel } from './paths.js';
import type { KernelObservation } from './observation.js';
import { runKernelReplay, type KernelReplayOptions } from './run.js';

export const KERNEL_CHECK_SCHEMA = 'cdm-replay/kernel-check@1';
/** The kernel the guest runs is mainline 6.12, so that is the backend it checks. */
const BACKEND = 'mainline';

export interface KernelCheckOptions {
  tracePath: string;
  config: Config;
  presetName?: string;
  /** --kernel: "debian-6.12" (default), a cached version, a path, or "hmm" (needs hmmVariant). */
  kernel?: string;
  /** --kernel hmm: the hmm backend variant test_hmm's devices stand for (one boot each). */
  hmmVariant?: HmmVariant;
  /** Pace the guest by the trace's time column; default: when NUMA balancing is on. */
  pace?: boolean;
  /** Observable id -> reason: known divergences, reported as "known" instead of failing. */
  known?: Record<string, string>;
  /** Compare against this saved observation instead of booting a guest. */
  observation?: KernelObservation;
  ignoreColumns?: boolean;
  warnings?: string[];
  /** Extra options for the guest run (console hook, timeout, work folder). */
  guest?: Partial<KernelReplayOptions>;
}

export interface KernelCheckResult {
  schema: typeof KERNEL_CHECK_SCHEMA;
  tool: { name: string; version: string };
  trace: { path: string; events: number; sha256: string; duration_ns: number };
  backend: string;
  kernel: { version: string | null; release: string; wall_ms: number | null; qemu_args: string[]; settings: Record<string, string> };
  machine: { nodes: { id: number; kind: string; capacity_mib: number; cpus: number }[] };
  mechanisms: Mechanisms;
  /** --kernel hmm: which devices, what the trace became in the guest, test_hmm's own pages. */
  hmm?: { variant: HmmVariant; devices: string[]; plan: Plan; driver: DriverPages; build: Record<string, string> };
  summary: Summary;
  rows: CheckRow[];
  warnings: string[];
  /** The kernel's raw observation, for --save-observation (not part of the JSON output). */
  observation: KernelObservation;
}

/** The guest gets the trace unpacked: a .gz counts at its real size against node 0. */
function traceBytes(path: string): number {
  try {
    return readTraceBytes(path).length;
  } catch (e) {
    throw new UsageError(`kernel-check: cannot read the trace ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export async function runKernelCheck(o: KernelCheckOptions): Promise<KernelCheckResult> {
  const warnings = [...(o.warnings ?? [])];
  const isHmm = o.kernel === HMM_KERNEL;
  if (isHmm && !o.hmmVariant) throw new UsageError('kernel-check --kernel hmm: no hmm variant given (private or coherent-6x)');
  const bytes = traceBytes(o.tracePath);
  const hmm = isHmm ? hmmGuestSetup(o.config, o.hmmVariant!, bytes) : null;
  const setup = hmm ?? guestSetup(o.config, bytes);
  warnings.push(...setup.warnings);
  // The simulator first: it validates the trace (exit 3 with a location) before any boot.
  const backend = hmm ? `hmm:${hmm.variant}` : BACKEND;
  const [choice] = parseBackendList(backend);
  const report: Report = await replay({
    tracePath: o.tracePath,
    config: o.config,
    presetName: o.presetName ?? o.config.preset ?? 'custom',
    backends: [choice],
    ignoreColumns: o.ignoreColumns,
  });
  const sim = report.backends[0] as BackendReport;
  // Then what the guest makes of each event: one it cannot express is exit 2 before the boot.
  const plan = hmm ? await planHmmTrace(o.tracePath, hmm.topology, o.ignoreColumns) : null;
  const pace = o.pace ?? o.config.kernel.numaBalancing !== 0;
  const durationMs = report.trace.duration_ns / 1e6;
  const obs =
    o.observation ??
    (await runKernelReplay(o.tracePath, setup.machine, {
      ...setup.options,
      kernel: o.kernel,
      pace,
      ignoreColumns: o.ignoreColumns,
      ...(hmm ? { hmmArgs: hmm.replayerArgs, append: hmm.append } : {}),
      // A paced replay takes the trace's own duration on top of the boot.
      timeoutMs: 300_000 + (pace ? Math.ceil(durationMs * 2) : 0),
      ...o.guest,
    }));
  const hmmCompare = hmm ? { variant: hmm.variant, deviceNodes: hmm.topology.deviceNodes, driverNode: hmm.driverNode } : undefined;
  const kernelModel = choice.def.kernelModelFor?.(choice.variant, (o.config.backends[choice.def.name] ?? {}) as Record<string, unknown>) ?? choice.def.kernelModel;
  const rows = compareRuns(obs, sim, { config: o.config, kernelModel, known: o.known, ...(hmmCompare ? { hmm: hmmCompare } : {}) });
  for (const r of rows) if (r.knownButAgrees) warnings.push(`${r.id} is listed as a known divergence but now agrees (kernel ${r.kernel}, simulator ${r.expected}): remove it from the list`);
  return {
    schema: KERNEL_CHECK_SCHEMA,
    tool: { name: 'cdm-replay', version: TOOL_VERSION },
    trace: { path: report.trace.path, events: report.trace.events, sha256: report.trace.sha256, duration_ns: report.trace.duration_ns },
    backend: backend,
    kernel: {
      version: obs.host?.kernelVersion ?? null,
      release: obs.kernel,
      wall_ms: obs.host?.wallMs ?? null,
      qemu_args: obs.host?.qemuArgs ?? [],
      settings: obs.settings,
    },
    machine: { nodes: o.config.nodes.map((n) => ({ id: n.id, kind: n.kind, capacity_mib: n.capacity / 2 ** 20, cpus: n.cpus })) },
    mechanisms: mechanisms(obs, sim),
    ...(hmm && plan && hmmCompare
      ? { hmm: { variant: hmm.variant, devices: hmm.topology.deviceNodes.map((id, k) => `node ${id} = /dev/hmm_dmirror${(hmm.variant === 'private' ? 0 : 2) + k}`), plan, driver: driverPages(obs, hmmCompare), build: hmmBuildInfo(o.guest?.env) } }
      : {}),
    summary: summarise(rows),
    rows,
    warnings,
    observation: obs,
  };
}

/**
 * The fidelity suite's rule: a run with a value outside its tolerance, or whose guest crashed,
 * boots once more, and only the last boot counts. A simulator divergence reproduces; what does not
 * reproduce is the kernel's own noise in the window (a slab page refilled under the task's policy,
 * a deferred free), and TCG on a loaded host (one kernel panic in about 40 boots).
 */
export async function runKernelCheckConfirmed(o: KernelCheckOptions, attempts = 2): Promise<KernelCheckResult> {
  const notes: string[] = [];
  for (let i = 1; ; i++) {
    const last = i >= attempts || o.observation !== undefined;
    let res: KernelCheckResult;
    try {
      res = await runKernelCheck(o);
    } catch (e) {
      if (last || !(e instanceof GuestCrashError)) throw e;
      notes.push(`attempt ${i}: the guest crashed (${e.message.split('\n')[0]}); booted again`);
      continue;
    }
    if (res.summary.failed === 0 || last) return { ...res, warnings: [...notes, ...res.warnings] };
    const ids = res.rows.filter((r) => r.status === 'FAIL').map((r) => `${r.id} (kernel ${r.kernel}, expected ${r.expected} ${r.allowed})`);
    notes.push(`attempt ${i}: ${ids.join(', ')} outside tolerance; booted again`);
  }
}

/** BUILD-INFO of the cached hmm kernel (source version, config hash, build time), for the JSON result. */
function hmmBuildInfo(env?: NodeJS.ProcessEnv): Record<string, string> {
  const found = resolveHmmKernel(env);
  return 'kernel' in found ? found.kernel.info : {};
}
