// The page allocator (KERNEL-MODEL §2.4; mm/page_alloc.c __alloc_pages_noprof(),
// get_page_from_freelist(), __alloc_pages_slowpath(), zone_statistics()) and policy resolution
// for one allocation (§2.5; mm/mempolicy.c policy_nodemask(), alloc_pages_mpol_noprof()).
import type { AllocRequest } from './design.js';
import type { Machine } from './machine.js';
import { DEFAULT_POLICY, firstNode, hasNode, interleaveNid, interleaveNodes, MemPolicy, Mode, NO_MASK } from './mempolicy.js';
import { outOfMemory } from './oom.js';
import { Placed } from './pages.js';
import { directReclaim, wakeKswapd } from './reclaim.js';
import { ZoneType } from './spec.js';
import { EV, NS } from './vmstat.js';

export const Gfp = {
  THISNODE: 1,
  NORETRY: 2,
  DIRECT_RECLAIM: 4,
  KSWAPD_RECLAIM: 8,
  RETRY_MAYFAIL: 16,
} as const;
export const GFP_USER_RECLAIM = Gfp.DIRECT_RECLAIM | Gfp.KSWAPD_RECLAIM;

/** MAX_RECLAIM_RETRIES (mm/internal.h). */
export const MAX_RECLAIM_RETRIES = 16;

const Mark = { MIN: 0, LOW: 1, HIGH: 2 } as const;
const PGALLOC = [EV.pgalloc_dma, EV.pgalloc_dma32, EV.pgalloc_normal, EV.pgalloc_movable, EV.pgalloc_device];
export const ALLOCSTALL = [EV.allocstall_dma, EV.allocstall_dma32, EV.allocstall_normal, EV.allocstall_movable, EV.allocstall_device];

const req: AllocRequest = { gfp: 0, nid: 0, nodemask: NO_MASK, highestZone: ZoneType.MOVABLE, cpuNode: 0, cpusetMask: false };

/** The zones an allocation may use, in zonelist order (for_each_zone_zonelist_nodemask). */
export function eligibleZones(m: Machine, r: AllocRequest): number[] {
  const t = m.topo;
  const list = r.gfp & Gfp.THISNODE ? t.thisnodeZones[r.nid] : t.fallbackZones[r.nid];
  const out: number[] = [];
  for (let i = 0; i < list.length; i++) {
    const z = list[i];
    if (t.zoneType[z] > r.highestZone) continue;
    if (r.nodemask !== NO_MASK && !hasNode(r.nodemask, t.ids[t.zoneNode[z]])) continue;
    out.push(z);
  }
  return out;
}

/** __zone_watermark_ok(): free - (nr - 1) > mark + lowmem_reserve (no fragmentation modelled). */
function watermarkOk(m: Machine, z: number, mark: number, highestZone: number, nr: number): boolean {
  const wm = m.topo.wm;
  const level = mark === Mark.MIN ? wm.min[z] : mark === Mark.LOW ? wm.low[z] : wm.high[z];
  return m.topo.free[z] - (nr - 1) > level + wm.lowmemReserve[z][highestZone];
}

function fromFreelist(m: Machine, zones: number[], r: AllocRequest, mark: number, order: number): number {
  for (const z of zones) {
    if (m.topo.managed[z] === 0) continue;
    if (!m.design.zoneAllowed(m.topo.zoneNode[z], r)) continue;
    if (watermarkOk(m, z, mark, r.highestZone, order)) return z;
  }
  return -1;
}

/** Takes the pages from zone `z` and counts them (rmqueue + zone_statistics(): one numa event). */
function take(m: Machine, z: number, preferredNode: number, cpuNode: number, order: number): number {
  const t = m.topo;
  const c = m.counters;
  t.free[z] -= order;
  c.ev[PGALLOC[t.zoneType[z]]] += order;
  const node = t.zoneNode[z];
  if (node === preferredNode) c.addNode(NS.numa_hit, node, 1);
  else {
    c.addNode(NS.numa_miss, node, 1);
    c.addNode(NS.numa_foreign, preferredNode, 1);
  }
  c.addNode(node === cpuNode ? NS.numa_local : NS.numa_other, node, 1);
  let used = 0;
  for (const zz of t.nodeZones[node]) used += t.managed[zz] - t.free[zz];
  if (used > m.peakUsed[node]) m.peakUsed[node] = used;
  return z;
}

/**
 * __alloc_pages(): returns a zone id with one page taken, or -1. `onBehalfOf` is the pid whose
 * fault this is: when the OOM killer picks it, the allocation gives up.
 */
export function allocZone(m: Machine, r: AllocRequest, onBehalfOf: number, nr = 1): number {
  const zones = eligibleZones(m, r);
  if (zones.length === 0) return -1;
  // preferred_zoneref: the first zone of the zonelist that fits the request (numa_hit / miss).
  const preferredNode = m.topo.zoneNode[zones[0]];
  m.allocPreferred = preferredNode;
  m.allocPath = 0;
  let z = fromFreelist(m, zones, r, Mark.LOW, nr);
  if (z >= 0) return take(m, z, preferredNode, r.cpuNode, nr);

  // Slow path: wake every kswapd of the zonelist, retry at the min mark, then reclaim.
  if (r.gfp & Gfp.KSWAPD_RECLAIM) wakeKswapd(m, zones, r.highestZone);
  m.allocPath = 1;
  z = fromFreelist(m, zones, r, Mark.MIN, nr);
  if (z >= 0) return take(m, z, preferredNode, r.cpuNode, nr);
  if (!(r.gfp & Gfp.DIRECT_RECLAIM)) return -1;

  for (let oomRounds = 0; oomRounds < 64; oomRounds++) {
    let noProgress = 0;
    for (;;) {
      const reclaimed = directReclaim(m, zones, r.highestZone);
      m.allocPath = oomRounds > 0 ? 3 : 2;
      m.allocPreferred = preferredNode;
      z = fromFreelist(m, zones, r, Mark.MIN, nr);
      if (z >= 0) return take(m, z, preferredNode, r.cpuNode, nr);
      if (reclaimed === 0) noProgress++;
      // should_reclaim_retry(): give up when no zone could reach its min mark even if every
      // reclaimable page were freed, or after MAX_RECLAIM_RETRIES rounds without progress.
      if (noProgress > MAX_RECLAIM_RETRIES || !couldReachMin(m, zones, r)) break;
    }
    // No OOM for THISNODE, NORETRY, RETRY_MAYFAIL or costly orders (order > 3).
    if (r.gfp & (Gfp.THISNODE | Gfp.NORETRY | Gfp.RETRY_MAYFAIL) || nr > 8) return -1;
    // __alloc_pages_may_oom(): one last try at the high mark, then the OOM killer.
    z = fromFreelist(m, zones, r, Mark.HIGH, nr);
    if (z >= 0) return take(m, z, preferredNode, r.cpuNode, nr);
    const victim = outOfMemory(m, r.nodemask, -1);
    if (victim < 0 || victim === onBehalfOf) return -1;
  }
  return -1;
}

function couldReachMin(m: Machine, zones: number[], r: AllocRequest): boolean {
  const wm = m.topo.wm;
  for (const z of zones) {
    if (!m.design.zoneAllowed(m.topo.zoneNode[z], r)) continue;
    const available = m.topo.free[z] + reclaimablePages(m, m.topo.zoneNode[z]);
    if (available > wm.min[z] + wm.lowmemReserve[z][r.highestZone]) return true;
  }
  return false;
}

/** zone_reclaimable_pages(): file LRU pages, plus anon when swap has room. */
export function reclaimablePages(m: Machine, pos: number): number {
  let n = 0;
  const swap = m.spec.swapPages - m.swapUsed > 0;
  for (let mc = 0; mc < m.memcgs.count; mc++) {
    const v = m.lruvec(pos, mc);
    n += m.lru.count(v, 3) + m.lru.count(v, 4);
    if (swap) n += m.lru.count(v, 1) + m.lru.count(v, 2);
  }
  return n;
}

/** Result of a policy allocation: the zone (or -1) and how the page got there. */
export interface Placement {
  zone: number;
  placed: number;
}
const placement: Placement = { zone: -1, placed: Placed.REQUESTED };

/**
 * alloc_pages_mpol(): resolves `pol` for one allocation from a CPU on node position `cpuNode`
 * and allocates. `ilx` is the interleave index (page offset in the VMA's object), or -1 for
 * allocations without one (page cache: interleave_nodes() round robin).
 */
export function allocWithPolicy(
  m: Machine, pol: MemPolicy | null, ilx: number, cpuNode: number, highestZone: number, gfp: number, pid: number,
): Placement {
  const t = m.topo;
  const p = pol ?? DEFAULT_POLICY;
  let nid = cpuNode;
  let mask = NO_MASK;
  let named: number | null = null; // the nodes the policy names
  switch (p.mode) {
    case Mode.PREFERRED:
      nid = t.pos[firstNode(p.nodes)];
      named = p.nodes;
      break;
    case Mode.BIND:
    case Mode.PREFERRED_MANY: {
      // apply_policy_zone(): a BIND mask of only movable nodes does not bind kernel allocations.
      const onlyMovable = t.ids.every((id, i) => !hasNode(p.nodes, id) || t.nodeZones[i].every((z) => t.zoneType[z] >= ZoneType.MOVABLE));
      const policyZone = onlyMovable ? ZoneType.MOVABLE : t.policyZone;
      if (p.mode === Mode.PREFERRED_MANY || highestZone >= policyZone) mask = p.nodes;
      named = p.nodes;
      break;
    }
    case Mode.INTERLEAVE: {
      const id = ilx >= 0 ? interleaveNid(p.nodes, ilx) : interleaveNodes(p);
      nid = id >= 0 ? t.pos[id] : cpuNode;
      named = p.nodes;
      break;
    }
    default:
      break; // DEFAULT / LOCAL: the local node's zonelist, no mask
  }
  nid = t.pos[m.design.policyZonelistNode(p, t.ids[nid], mask, t.ids[cpuNode])];
  req.gfp = gfp;
  req.nid = nid;
  req.nodemask = mask;
  req.highestZone = highestZone;
  req.cpuNode = cpuNode;
  req.cpusetMask = false;
  let zone: number;
  if (p.mode === Mode.PREFERRED_MANY) {
    // alloc_pages_preferred_many(): the set without direct reclaim, then anywhere.
    req.gfp = gfp & ~Gfp.DIRECT_RECLAIM;
    zone = allocZone(m, req, pid);
    if (zone < 0) {
      req.gfp = gfp;
      req.nodemask = NO_MASK;
      zone = allocZone(m, req, pid);
    }
  } else {
    zone = allocZone(m, req, pid);
  }
  placement.zone = zone;
  if (zone < 0) return placement;
  const node = t.zoneNode[zone];
  if (p.mode === Mode.INTERLEAVE) {
    // numa_interleave counts a page that landed on the interleave target.
    if (node === nid) m.counters.addNode(NS.numa_interleave, node, 1);
    placement.placed = Placed.INTERLEAVE;
  } else if (named !== null ? hasNode(named, t.ids[node]) : node === nid) {
    placement.placed = Placed.REQUESTED;
  } else {
    placement.placed = Placed.FALLBACK;
  }
  return placement;
}

/** A single-node allocation (migration targets: alloc_migration_target and friends). */
export function allocOnNode(m: Machine, pos: number, gfp: number, cpuNode: number, pid: number, nr = 1): number {
  req.gfp = gfp | Gfp.THISNODE;
  req.nid = pos;
  req.nodemask = NO_MASK;
  req.highestZone = ZoneType.MOVABLE;
  req.cpuNode = cpuNode;
  req.cpusetMask = false;
  return allocZone(m, req, pid, nr);
}

export { ALLOCSTALL as ALLOCSTALL_EVENTS };
