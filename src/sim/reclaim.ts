// LRU reclaim (KERNEL-MODEL §2.6; mm/vmscan.c shrink_lruvec(), get_scan_count(),
// shrink_inactive_list(), shrink_active_list(), folio_check_references(), balance_pgdat(),
// wakeup_kswapd(), try_to_free_pages(), try_to_free_mem_cgroup_pages()).
// Simplification, stated once: kswapd runs to completion at the moment it is woken, so trace
// time never has to interleave with it; everything else follows the kernel's order.
import { ALLOCSTALL_EVENTS, MAX_RECLAIM_RETRIES } from './alloc.js';
import type { Machine } from './machine.js';
import { PTE_SWAP } from './machine.js';
import { Gfp } from './alloc.js';
import { Out, Trig } from './events.js';
import { migratePage } from './migrate.js';
import { Lru, PageKind, PF } from './pages.js';
import { unmapAll } from './rmap.js';
import { folioSlots, splitFolio } from './thp.js';
import { ZoneType } from './spec.js';
import { EV, NS } from './vmstat.js';

const DEF_PRIORITY = 12;
const SWAP_CLUSTER_MAX = 32;

interface ScanStats {
  kswapd: boolean;
  reclaimed: number;
}

const intSqrt = (x: number) => Math.floor(Math.sqrt(x));

/** inactive_is_low(): inactive * int_sqrt(10 * GB) < active. */
function inactiveIsLow(m: Machine, vec: number, inactiveLru: number): boolean {
  const inactive = m.lru.count(vec, inactiveLru);
  const active = m.lru.count(vec, inactiveLru + 1);
  const gb = Math.floor(((inactive + active) * m.pageSize) / 2 ** 30);
  const ratio = gb ? intSqrt(10 * gb) : 1;
  return inactive * ratio < active;
}

/** shrink_active_list(): deactivate up to `nr` pages from the tail; clears their young bits. */
function shrinkActive(m: Machine, vec: number, activeLru: number, nr: number): void {
  const p = m.pages;
  const c = m.counters.ev;
  for (let i = 0; i < nr; i++) {
    const s = m.lru.tailOf(vec, activeLru);
    if (s < 0) break;
    c[EV.pgrefill]++;
    p.flags[s] &= ~PF.YOUNG;
    m.lru.remove(s, vec);
    m.lru.add(s, vec, activeLru - 1);
    c[EV.pgdeactivate]++;
  }
}

/** shrink_inactive_list(): scan up to `nr` pages from the tail, activate, keep or reclaim. */
function shrinkInactive(m: Machine, vec: number, lru: number, nr: number, st: ScanStats): void {
  const p = m.pages;
  const c = m.counters.ev;
  const anon = lru === Lru.INACTIVE_ANON;
  // Isolate first, as the kernel does, so rotated pages are not rescanned in this batch.
  const batch: number[] = [];
  let scanned = 0; // base pages: a THP head stands for its whole folio (isolate_lru_folios())
  while (scanned < nr) {
    const s = m.lru.tailOf(vec, lru);
    if (s < 0) break;
    scanned += m.lru.weight(s);
    m.lru.remove(s, vec);
    batch.push(s);
  }
  c[st.kswapd ? EV.pgscan_kswapd : EV.pgscan_direct] += scanned;
  const demoteTarget = batch.length ? nextDemotionNode(m, p.node[batch[0]]) : -1;
  const demoteList: number[] = [];
  c[anon ? EV.pgscan_anon : EV.pgscan_file] += scanned;
  for (const s of batch) {
    const young = (p.flags[s] & PF.YOUNG) !== 0 && p.mapcount[s] > 0;
    const referenced = (p.flags[s] & PF.REFERENCED) !== 0;
    p.flags[s] &= ~(PF.YOUNG | PF.REFERENCED);
    const swapBacked = (p.flags[s] & PF.SWAPBACKED) !== 0;
    let activate = false;
    let keep = false;
    if (p.pincount[s] > 0) keep = true; // extra references: cannot be freed
    else if (young) {
      if (swapBacked || referenced) activate = true;
      else { p.flags[s] |= PF.REFERENCED; keep = true; }
    }
    const demote = !activate && !keep && demoteTarget >= 0;
    if (!activate && !keep && swapBacked && !demote) {
      // add_to_swap(): needs a free swap slot; otherwise the page is activated.
      if (m.swapUsed >= m.spec.swapPages) activate = true;
    }
    if (activate) {
      m.lru.add(s, vec, lru + 1);
      c[EV.pgactivate]++;
      continue;
    }
    if (keep) {
      m.lru.add(s, vec, lru);
      continue;
    }
    if (demote) { demoteList.push(s); continue; }
    reclaimPage(m, s, st);
  }
  if (demoteList.length) demotePages(m, demoteList, demoteTarget, vec, lru, st);
}

/**
 * demote_folio_list(): migrate reclaim candidates to the next demotion node instead of freeing
 * them (GFP_NOWAIT target, no reclaim there); demoted pages count as reclaimed (pgsteal_*) and in
 * pgdemote_kswapd|direct on the source node. A page that cannot be demoted is reclaimed normally.
 */
function demotePages(m: Machine, list: number[], target: number, vec: number, lru: number, st: ScanStats): void {
  const c = m.counters.ev;
  const src = m.pages.node[list[0]];
  for (const s of list) {
    const kind = m.pages.kind[s];
    const nr = m.lru.weight(s); // a THP demotes whole (or splits, 4.11)
    m.lru.add(s, vec, lru); // migratePage() takes it off its list and onto the target's
    const out = migratePage(m, s, target, { trigger: Trig.demotion, gfp: Gfp.THISNODE | Gfp.KSWAPD_RECLAIM, counted: true, cpuNode: src, pid: -1 });
    if (out === Out.ok) {
      const moved = m.pages.folio[s] === s ? nr : 1;
      m.counters.addNode(st.kswapd ? NS.pgdemote_kswapd : NS.pgdemote_direct, src, moved);
      c[st.kswapd ? EV.pgsteal_kswapd : EV.pgsteal_direct] += moved;
      c[kind === PageKind.FILE ? EV.pgsteal_file : EV.pgsteal_anon] += moved;
      st.reclaimed += moved;
      continue;
    }
    m.lruDel(s);
    if ((m.pages.flags[s] & PF.SWAPBACKED) && m.swapUsed >= m.spec.swapPages) {
      m.lru.add(s, vec, lru + 1);
      c[EV.pgactivate]++;
    } else {
      reclaimPage(m, s, st);
    }
  }
}

/**
 * next_demotion_node() (mm/memory-tiers.c): the nearest N_MEMORY node of the next slower memory
 * tier, when demotion is enabled; -1 otherwise.
 */
export function nextDemotionNode(m: Machine, pos: number): number {
  // Demotion and memory tiers arrived in 5.15/6.1: the 2017 designs have none (KERNEL-MODEL §8 row 17).
  if (!m.spec.kernel.demotion || m.spec.kernel.model === '4.11') return -1;
  const tier = (p: number) => Math.floor(m.spec.nodes[p].adistance / 128); // MEMTIER_CHUNK_BITS = 7
  let nextTier = Infinity;
  for (let n = 0; n < m.topo.nodeCount; n++) if (m.topo.inNMemory[n] && tier(n) > tier(pos)) nextTier = Math.min(nextTier, tier(n));
  let best = -1;
  for (let n = 0; n < m.topo.nodeCount; n++) {
    if (!m.topo.inNMemory[n] || tier(n) !== nextTier) continue;
    if (best < 0 || m.topo.distance(pos, n) < m.topo.distance(pos, best)) best = n;
  }
  return best;
}

/** Frees one isolated page: swap-out for swap-backed pages, writeback then free for file pages. */
function reclaimPage(m: Machine, s: number, st: ScanStats): void {
  const p = m.pages;
  const c = m.counters.ev;
  const kind = p.kind[s];
  if (p.folio[s] === s) {
    // A THP: 4.11 add_to_swap() splits it first (the tails go back to the LRU); 6.12 swaps the
    // folio out whole (thp_swpout, KERNEL-MODEL §2.11 "Reclaim").
    if (m.spec.kernel.model === '4.11' || m.spec.swapPages - m.swapUsed < m.hpageNr) {
      if (m.spec.kernel.model !== '4.11') c[EV.thp_swpout_fallback]++;
      splitFolio(m, s);
      m.lruDel(s);
    } else {
      c[EV.thp_swpout]++;
      const slots = folioSlots(m, s);
      m.counters.addNode(NS.nr_anon_transparent_hugepages, p.node[s], -1);
      m.thpRegions.delete(p.space[s], Math.floor(p.index[s] / m.hpageNr));
      for (const x of slots) if (x >= 0) p.setFolio(x, -1);
      for (const x of slots) if (x >= 0) reclaimPage(m, x, st);
      return;
    }
  }
  if (m.watch !== null) m.freeReason = p.flags[s] & PF.SWAPBACKED ? `reclaimed by ${st.kswapd ? 'kswapd' : 'direct reclaim'}: swapped out` : `reclaimed by ${st.kswapd ? 'kswapd' : 'direct reclaim'}: page cache dropped`;
  if (p.flags[s] & PF.SWAPBACKED) {
    m.swapUsed++;
    c[EV.pswpout]++;
    c[EV.pgpgout] += m.pageSize / 1024;
    unmapAll(m, s, true);
    if (kind === PageKind.SHMEM) {
      // A swapped shmem page stays findable in its object as a swap entry.
      const space = p.space[s], index = p.index[s];
      c[st.kswapd ? EV.pgsteal_kswapd : EV.pgsteal_direct]++;
      c[EV.pgsteal_anon]++;
      st.reclaimed++;
      m.freePage(s);
      m.cache.set(space, index, PTE_SWAP);
      return;
    }
  } else {
    if (p.flags[s] & PF.DIRTY) c[EV.pgpgout] += m.pageSize / 1024; // written back first
    unmapAll(m, s, false);
  }
  c[st.kswapd ? EV.pgsteal_kswapd : EV.pgsteal_direct]++;
  c[kind === PageKind.FILE ? EV.pgsteal_file : EV.pgsteal_anon]++;
  st.reclaimed++;
  m.freePage(s);
}

/** shrink_lruvec() with get_scan_count(): returns pages reclaimed. */
export function shrinkLruvec(m: Machine, vec: number, priority: number, target: number, st: ScanStats): void {
  // can_reclaim_anon_pages(): swap space, or a node to demote to.
  const swapOk = m.spec.swapPages - m.swapUsed > 0 || nextDemotionNode(m, vec % m.topo.nodeCount) >= 0;
  const swappiness = m.spec.kernel.swappiness;
  const size = (l: number) => m.lru.count(vec, l);
  const anonSize = size(Lru.INACTIVE_ANON) + size(Lru.ACTIVE_ANON);
  const fileSize = size(Lru.INACTIVE_FILE) + size(Lru.ACTIVE_FILE);
  // Scan balance: no swap => file only; no file => anon only; else split by swappiness.
  let anonFrac = 0, fileFrac = 1;
  if (swapOk && swappiness > 0) {
    if (fileSize === 0) { anonFrac = 1; fileFrac = 0; }
    else if (priority === 0) { anonFrac = 1; fileFrac = 1; }
    else { anonFrac = swappiness / 200; fileFrac = (200 - swappiness) / 200; }
  }
  const scanOf = (l: number, frac: number) => {
    if (frac === 0) return 0;
    const s = priority === 0 ? size(l) : size(l) >> priority;
    return Math.ceil(s * frac);
  };
  let nrInactiveAnon = scanOf(Lru.INACTIVE_ANON, anonFrac);
  let nrActiveAnon = scanOf(Lru.ACTIVE_ANON, anonFrac);
  let nrInactiveFile = scanOf(Lru.INACTIVE_FILE, fileFrac);
  let nrActiveFile = scanOf(Lru.ACTIVE_FILE, fileFrac);
  const start = st.reclaimed;
  while (nrInactiveAnon > 0 || nrActiveFile > 0 || nrInactiveFile > 0) {
    const chunk = (n: number) => Math.min(n, SWAP_CLUSTER_MAX);
    if (nrActiveAnon > 0 || nrInactiveAnon > 0) {
      const a = chunk(nrActiveAnon); nrActiveAnon -= a;
      if (a && inactiveIsLow(m, vec, Lru.INACTIVE_ANON)) shrinkActive(m, vec, Lru.ACTIVE_ANON, a);
      const i = chunk(nrInactiveAnon); nrInactiveAnon -= i;
      if (i) shrinkInactive(m, vec, Lru.INACTIVE_ANON, i, st);
    }
    const af = chunk(nrActiveFile); nrActiveFile -= af;
    if (af && inactiveIsLow(m, vec, Lru.INACTIVE_FILE)) shrinkActive(m, vec, Lru.ACTIVE_FILE, af);
    const f = chunk(nrInactiveFile); nrInactiveFile -= f;
    if (f) shrinkInactive(m, vec, Lru.INACTIVE_FILE, f, st);
    if (st.reclaimed - start >= target) break;
  }
  // Keep the anon lists aged even when only file was scanned (shrink_lruvec() tail).
  if (anonSize > 0 && swapOk && inactiveIsLow(m, vec, Lru.INACTIVE_ANON)) {
    shrinkActive(m, vec, Lru.ACTIVE_ANON, SWAP_CLUSTER_MAX);
  }
}

/** shrink_node() for global reclaim: every memcg's lruvec on the node. */
function shrinkNode(m: Machine, pos: number, priority: number, target: number, st: ScanStats): void {
  for (let mc = 0; mc < m.memcgs.count && st.reclaimed < target; mc++) {
    shrinkLruvec(m, m.lruvec(pos, mc), priority, target - st.reclaimed, st);
  }
}

/** pgdat_balanced(): some managed zone of the node is above its high mark. */
export function nodeBalanced(m: Machine, pos: number, highestZone: number): boolean {
  const t = m.topo;
  let any = false;
  for (const z of t.nodeZones[pos]) {
    if (t.managed[z] === 0 || t.zoneType[z] === ZoneType.DEVICE || t.zoneType[z] > highestZone) continue;
    any = true;
    // Memory-tiering mode balances top-tier nodes to the promo mark (pgdat_balanced()).
    const mark = m.spec.kernel.numaBalancing & 2 ? t.wm.promo[z] : t.wm.high[z];
    if (t.free[z] > mark + t.wm.lowmemReserve[z][highestZone]) return true;
  }
  return !any;
}

/** wake_all_kswapds(): wakes (and here runs) kswapd of each node the zonelist touches. */
export function wakeKswapd(m: Machine, zones: number[], highestZone: number): void {
  const seen = new Set<number>();
  for (const z of zones) {
    const pos = m.topo.zoneNode[z];
    if (seen.has(pos)) continue;
    seen.add(pos);
    if (!m.topo.hasKswapd[pos]) continue;
    if (m.kswapdFailures[pos] >= MAX_RECLAIM_RETRIES) continue; // hopeless node
    if (nodeBalanced(m, pos, highestZone)) continue;
    m.kswapdWakeups++;
    balanceNode(m, pos, highestZone);
  }
}

/** balance_pgdat(): reclaim until the node is balanced or priority runs out. */
function balanceNode(m: Machine, pos: number, highestZone: number): void {
  m.counters.ev[EV.pageoutrun]++;
  const st: ScanStats = { kswapd: true, reclaimed: 0 };
  const t = m.topo;
  let priority = DEF_PRIORITY;
  for (let rounds = 0; priority >= 1 && rounds < 4096; rounds++) {
    if (nodeBalanced(m, pos, highestZone)) break;
    let target = 0;
    for (const z of t.nodeZones[pos]) if (t.managed[z] > 0) target += Math.max(t.wm.high[z], SWAP_CLUSTER_MAX);
    const before = st.reclaimed;
    shrinkNode(m, pos, priority, target, st);
    if (st.reclaimed === before) priority--;
  }
  if (st.reclaimed === 0) m.kswapdFailures[pos]++;
  else m.kswapdFailures[pos] = 0;
}

/** try_to_free_pages(): direct reclaim over the allocation's zones; returns pages reclaimed. */
export function directReclaim(m: Machine, zones: number[], highestZone: number): number {
  m.directReclaims++;
  m.counters.ev[ALLOCSTALL_EVENTS[highestZone]]++;
  const st: ScanStats = { kswapd: false, reclaimed: 0 };
  const nodes: number[] = [];
  // shrink_zones(): global reclaim skips nodes outside the task's cpuset (cpuset_zone_allowed()).
  for (const z of zones) { const pos = m.topo.zoneNode[z]; if (!nodes.includes(pos) && (m.design.cpusetNodeAllowed?.(m.topo.ids[pos]) ?? true)) nodes.push(pos); }
  for (let priority = DEF_PRIORITY; priority >= 0 && st.reclaimed < SWAP_CLUSTER_MAX; priority--) {
    for (const pos of nodes) shrinkNode(m, pos, priority, SWAP_CLUSTER_MAX, st);
  }
  if (st.reclaimed > 0) for (const pos of nodes) m.kswapdFailures[pos] = 0;
  return st.reclaimed;
}

/**
 * try_to_free_mem_cgroup_pages(): reclaim `memcg`'s subtree on the nodes of the current CPU's
 * FALLBACK zonelist that the design lets memcg reclaim reach.
 */
export function memcgReclaim(m: Machine, memcg: number, nrPages: number, cpuNode: number): number {
  const st: ScanStats = { kswapd: false, reclaimed: 0 };
  const target = Math.max(nrPages, SWAP_CLUSTER_MAX);
  // 4.x mem_cgroup_select_victim_node() rotates over N_MEMORY, each victim walking its own FALLBACK
  // zonelist: an N_MEMORY node left out of the local zonelist is still reached (KERNEL-MODEL §5.5).
  const local = m.topo.fallbackNodes[cpuNode];
  const victims = local.concat(m.topo.inNMemory.flatMap((inMem, pos) => (inMem && !local.includes(pos) ? [pos] : [])));
  const nodes = victims.filter((pos) => m.design.memcgReclaimReaches(m.topo.ids[pos]));
  for (let priority = DEF_PRIORITY; priority >= 0 && st.reclaimed < target; priority--) {
    for (const pos of nodes) {
      for (let mc = 0; mc < m.memcgs.count && st.reclaimed < target; mc++) {
        if (m.memcgs.within(mc, memcg)) shrinkLruvec(m, m.lruvec(pos, mc), priority, target - st.reclaimed, st);
      }
    }
  }
  return st.reclaimed;
}

/** Pages on the node's LRUs of `memcg`'s subtree that reclaim could free (for reports). */
export function memcgReclaimablePages(m: Machine, memcg: number, swap: boolean): number {
  let n = 0;
  for (let pos = 0; pos < m.topo.nodeCount; pos++) {
    for (let mc = 0; mc < m.memcgs.count; mc++) {
      if (!m.memcgs.within(mc, memcg)) continue;
      const v = m.lruvec(pos, mc);
      n += m.lru.count(v, Lru.INACTIVE_FILE) + m.lru.count(v, Lru.ACTIVE_FILE);
      if (swap) n += m.lru.count(v, Lru.INACTIVE_ANON) + m.lru.count(v, Lru.ACTIVE_ANON);
    }
  }
  return n;
}
