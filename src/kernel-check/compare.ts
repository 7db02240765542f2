// Kernel vs simulator, observable by observable: the expected kernel value is the simulator's plus
// documented adjustments, judged with the tolerance of the path that produced it (tolerance.ts).
import type { Config } from '../config/index.js';
import type { BackendReport } from '../report/schema.js';
import type { KernelModel } from '../sim/spec.js';
import { analyseFallback } from './fallback.js';
import { applyHmm, type HmmCompare } from './hmm-observables.js';
import type { KernelObservation } from './observation.js';
import {
  accountingObservables,
  type Group,
  memcgObservables,
  numastatObservables,
  type Observable,
  placementObservables,
  vmstatObservables,
} from './observables.js';
import { COUNT, describeTolerance, EXACT, INFO, TIMING, type Tolerance, widen, within } from './tolerance.js';

export type Status = 'ok' | 'FAIL' | 'known' | 'info';

export interface CheckRow {
  id: string;
  group: Group;
  kernel: number;
  simulator: number;
  /** simulator + Σ adjustments: what the kernel value is judged against. */
  expected: number;
  adjustments: { pages: number; why: string }[];
  tolerance: Tolerance;
  /** Human form of the tolerance, e.g. "±2" or "±25% (min 8)". */
  allowed: string;
  /** Which rule picked the tolerance: syscall, timing, fallback or info. */
  basis: 'syscall' | 'timing' | 'fallback' | 'info';
  status: Status;
  /** For status "known": why the simulator differs (a known divergence, docs/fidelity.md). */
  reason?: string;
  /** A listed known divergence that now agrees: the list entry can go. */
  knownButAgrees?: boolean;
}

export interface CompareOptions {
  config: Config;
  kernelModel: KernelModel;
  /** Observable id -> reason: values expected to differ until the simulator changes. */
  known?: Record<string, string>;
  /** --kernel hmm: test_hmm plays the devices (hmm-observables.ts). */
  hmm?: HmmCompare;
}

export interface Mechanisms {
  numaBalancing: boolean;
  kswapd: boolean;
  fallback: boolean;
}

/** Which timing-driven mechanisms ran, on either side. */
export function mechanisms(obs: KernelObservation, b: BackendReport): Mechanisms {
  const any = (...names: string[]): boolean => names.some((n) => (obs.vmstat_delta[n] ?? 0) > 0 || (b.vmstat[n] ?? 0) > 0);
  return {
    numaBalancing: any('numa_pte_updates', 'numa_hint_faults'),
    kswapd: any('pgscan_kswapd', 'pgsteal_kswapd', 'pgdemote_kswapd', 'pgscan_direct'),
    fallback: any('numa_foreign'),
  };
}

export function compareRuns(obs: KernelObservation, b: BackendReport, o: CompareOptions): CheckRow[] {
  const kinds = new Map(o.config.nodes.map((n) => [n.id, n.kind] as const));
  const all: Observable[] = [
    ...vmstatObservables(obs, b),
    ...numastatObservables(obs, b),
    ...placementObservables(obs, b, kinds),
    ...accountingObservables(obs, b),
    ...memcgObservables(obs, b),
  ];
  const observables = o.hmm ? applyHmm(all, obs, b, o.hmm) : all;
  const mech = mechanisms(obs, b);
  const timed = mech.numaBalancing || mech.kswapd;
  const fb = analyseFallback(obs, b, o.config, o.kernelModel);
  const rows = observables.map((ob): CheckRow => {
    const adjustments = [...(ob.adjust ?? [])];
    let tolerance = ob.count ? COUNT : ob.slack ? widen(EXACT, ob.slack) : EXACT;
    let basis: CheckRow['basis'] = 'syscall';
    if (ob.spill && fb.spill) {
      const { from, to, cpuNode, shift, slack } = fb.spill;
      const coef = ob.spill(from, to, cpuNode);
      if (coef !== 0) {
        const when = shift >= 0 ? `${shift} pages earlier` : `${-shift} pages later`;
        if (shift !== 0) adjustments.push({ pages: coef * shift, why: `the kernel falls back ${when} from node ${from} (boot-time allocations; fallback.node${from}.usable_pages)` });
        tolerance = widen(tolerance, slack);
        basis = 'fallback';
      }
    } else if (ob.spill && fb.widen) {
      tolerance = widen(tolerance, fb.widen);
      basis = 'fallback';
    }
    if (timed && ob.timing) {
      // keep any fallback slack as the floor of the outcome range
      const floor = tolerance.kind === 'pages' ? tolerance.pages : 0;
      tolerance = TIMING.kind === 'relative' ? { ...TIMING, pages: Math.max(floor, TIMING.pages) } : TIMING;
      basis = 'timing';
    }
    return judge(ob, adjustments, tolerance, basis, o.known);
  });
  return [...rows, ...fb.info.map((ob) => judge(ob, [], INFO, 'info', undefined))];
}

function judge(ob: Observable, adjustments: CheckRow['adjustments'], tolerance: Tolerance, basis: CheckRow['basis'], known?: Record<string, string>): CheckRow {
  const expected = ob.sim + adjustments.reduce((s, a) => s + a.pages, 0);
  const ok = within(tolerance, ob.kernel, expected);
  const reason = known?.[ob.id];
  const row: CheckRow = {
    id: ob.id,
    group: ob.group,
    kernel: ob.kernel,
    simulator: ob.sim,
    expected,
    adjustments,
    tolerance,
    allowed: describeTolerance(tolerance),
    basis,
    status: tolerance.kind === 'info' ? 'info' : ok ? 'ok' : reason ? 'known' : 'FAIL',
  };
  if (reason) row.reason = reason;
  if (reason && ok && tolerance.kind !== 'info') row.knownButAgrees = true;
  return row;
}

export interface Summary {
  ok: number;
  failed: number;
  known: number;
  info: number;
}

export function summarise(rows: readonly CheckRow[]): Summary {
  const count = (s: Status): number => rows.filter((r) => r.status === s).length;
  return { ok: count('ok'), failed: count('FAIL'), known: count('known'), info: count('info') };
}
