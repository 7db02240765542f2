// Memory policies (KERNEL-MODEL §2.5; mm/mempolicy.c). A policy is a small object held by a task,
// a thread or a VMA; resolving it for one allocation writes into a reusable request, no garbage.

export const Mode = { DEFAULT: 0, LOCAL: 1, BIND: 2, PREFERRED: 3, PREFERRED_MANY: 4, INTERLEAVE: 5 } as const;
export const MODE_NAMES = ['default', 'local', 'bind', 'preferred', 'preferred_many', 'interleave'] as const;

/** No nodemask: the whole zonelist is eligible. */
export const NO_MASK = -1;

export class MemPolicy {
  /** Interleave round-robin state for allocations without an index (task->il_prev). */
  ilPrev = -1;
  constructor(
    readonly mode: number,
    /** Node bit mask (after mpol_set_nodemask). */
    readonly nodes: number,
    /**
     * MPOL_F_MOF: NUMA balancing may migrate pages of this policy. Only the default per-node
     * policy has it (preferred_node_policy[] with MPOL_F_MOF | MPOL_F_MORON); a policy set by
     * mbind/set_mempolicy does not (no MPOL_F_NUMA_BALANCING in traces).
     */
    readonly mof: boolean,
  ) {}
}

/** The system default: preferred_node_policy[numa_node_id()] — local, with MOF | MORON. */
export const DEFAULT_POLICY = new MemPolicy(Mode.DEFAULT, 0, true);

export const firstNode = (mask: number): number => (mask === 0 ? -1 : 31 - Math.clz32(mask & -mask));
export const popcount = (mask: number): number => {
  let m = mask >>> 0, c = 0;
  while (m) { m &= m - 1; c++; }
  return c;
};
export const hasNode = (mask: number, n: number): boolean => mask !== NO_MASK && ((mask >>> n) & 1) === 1;

/** next_node_in(): the next set node after `prev`, wrapping around. */
export function nextNodeIn(prev: number, mask: number): number {
  for (let i = 1; i <= 32; i++) {
    const n = (prev + i + 32) % 32;
    if ((mask >>> n) & 1) return n;
  }
  return -1;
}

/** interleave_nid(): the (ilx mod weight)-th node of the mask. */
export function interleaveNid(mask: number, ilx: number): number {
  const w = popcount(mask);
  if (w === 0) return -1;
  let target = ilx % w;
  for (let n = 0; n < 32; n++) {
    if ((mask >>> n) & 1) {
      if (target === 0) return n;
      target--;
    }
  }
  return -1;
}

/** interleave_nodes(): per-task round robin for allocations without an interleave index. */
export function interleaveNodes(pol: MemPolicy): number {
  const nid = nextNodeIn(pol.ilPrev < 0 ? 31 : pol.ilPrev, pol.nodes);
  if (nid >= 0) pol.ilPrev = nid;
  return nid;
}

export const maskToList = (mask: number): number[] => {
  const out: number[] = [];
  for (let n = 0; n < 32; n++) if ((mask >>> n) & 1) out.push(n);
  return out;
};
