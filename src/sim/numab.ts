// Automatic NUMA balancing (KERNEL-MODEL §2.8): the scanner (kernel/sched/fair.c task_numa_work(),
// update_task_scan_period(); mm/mprotect.c change_prot_numa()) and the hint fault
// (mm/memory.c do_numa_page(), mm/mempolicy.c mpol_misplaced(), fair.c
// should_numa_migrate_memory(), mm/migrate.c migrate_misplaced_folio_prepare()).
import { Gfp } from './alloc.js';
import { Trig } from './events.js';
import type { Machine } from './machine.js';
import { DEFAULT_POLICY, hasNode, MemPolicy, Mode } from './mempolicy.js';
import { migratePage } from './migrate.js';
import { Mm, Vma } from './mm.js';
import { PF } from './pages.js';
import { folioSlots } from './thp.js';
import { wakeKswapd } from './reclaim.js';
import { ZoneType } from './spec.js';
import { EV, NS } from './vmstat.js';

const NUMA_PERIOD_SLOTS = 10;
const NUMA_PERIOD_THRESHOLD = 7;
const MAX_SCAN_WINDOW_MB = 2560;
/** lastNode marker: lastPid holds a scan time in ms, not a pid. */
const ACCESS_TIME = -2;
const HOT_THRESHOLD_MS = 1000;

/** Runs every scan whose time has come (trace time drives the scanner); returns the next one. */
export function runNumaTimers(m: Machine, now: number): number {
  let next = Infinity;
  for (const mm of m.mms.values()) {
    if (mm.killed || mm.exited) continue;
    while (mm.numaNextScanNs <= now) {
      const at = mm.numaNextScanNs;
      m.now = at;
      taskNumaWork(m, mm);
      mm.numaNextScanNs = at + mm.numaScanPeriodMs * 1e6;
    }
    next = Math.min(next, mm.numaNextScanNs);
  }
  m.now = now;
  return next;
}

function scanWindows(m: Machine, mm: Mm): number {
  const rss = mm.rss[0] + mm.rss[1] + mm.rss[3];
  const scanPages = (m.spec.kernel.numaScanSizeMb * 2 ** 20) / m.pageSize;
  return Math.max(1, Math.ceil(rss / scanPages));
}

/** task_scan_min() / task_scan_max() for a private task. */
function scanBounds(m: Machine, mm: Mm): [number, number] {
  const k = m.spec.kernel;
  const windows = scanWindows(m, mm);
  const floor = 1000 / (MAX_SCAN_WINDOW_MB / k.numaScanSizeMb);
  const smin = Math.max(floor, k.numaScanPeriodMinMs / windows);
  const smax = Math.max(smin, k.numaScanPeriodMaxMs / windows);
  return [smin, smax];
}

/** update_task_scan_period(): slow down when faults are local or private, speed up otherwise. */
function updateScanPeriod(m: Machine, mm: Mm): void {
  const [smin, smax] = scanBounds(m, mm);
  const local = mm.numaFaultsLocal, remote = mm.numaFaultsRemote;
  let period = mm.numaScanPeriodMs;
  if (local + remote === 0) {
    period = Math.min(smax, period * 2);
  } else {
    const periodSlot = Math.ceil(period / NUMA_PERIOD_SLOTS);
    const lrRatio = Math.floor((local * NUMA_PERIOD_SLOTS) / (local + remote));
    // Traces replay one task per pid, so every fault the task takes on its own pages is private.
    const psRatio = NUMA_PERIOD_SLOTS;
    let diff: number;
    if (psRatio >= NUMA_PERIOD_THRESHOLD) diff = Math.max(1, psRatio - NUMA_PERIOD_THRESHOLD) * periodSlot;
    else if (lrRatio >= NUMA_PERIOD_THRESHOLD) diff = Math.max(1, lrRatio - NUMA_PERIOD_THRESHOLD) * periodSlot;
    else diff = -(NUMA_PERIOD_THRESHOLD - Math.max(lrRatio, psRatio)) * periodSlot;
    period = Math.min(smax, Math.max(smin, period + diff));
  }
  mm.numaScanPeriodMs = period;
  mm.numaFaultsLocal = 0;
  mm.numaFaultsRemote = 0;
}

/** vma_policy_mof(): only policies carrying MPOL_F_MOF (the default) let the scanner in. */
function policyMof(mm: Mm, vma: Vma): boolean {
  const pol = vma.policy ?? mm.taskPolicy ?? DEFAULT_POLICY;
  return pol.mof;
}

/** task_numa_work(): mark up to scan_size MB of present pages PROT_NONE from the scan offset. */
function taskNumaWork(m: Machine, mm: Mm): void {
  const mode = m.spec.kernel.numaBalancing;
  if (mode === 0) return;
  updateScanPeriod(m, mm);
  let pages = (m.spec.kernel.numaScanSizeMb * 2 ** 20) / m.pageSize;
  let virtpages = pages * 8;
  const p = m.pages;
  const singleThreaded = mm.threads.size <= 1;
  let wrapped = true;
  for (const vma of mm.vmas) {
    if (vma.end <= mm.numaScanOffset) continue;
    if (!policyMof(mm, vma) || !m.design.numaScanVma(vma)) continue;
    const start = Math.max(vma.start, mm.numaScanOffset);
    let vpn = start;
    for (; vpn < vma.end && pages > 0 && virtpages > 0; vpn++) {
      virtpages--;
      const s = m.ptes.get(mm.pid, vpn);
      if (s < 0) continue;
      pages--;
      if (p.flags[s] & PF.PROTNONE) continue;
      if (!m.design.numaScanPage(p.node[s], p.zone[s])) continue; // e.g. ZONE_DEVICE
      // change_pte_range(): a single-threaded task skips pages already on its node.
      if (singleThreaded && p.node[s] === mm.cpuNode) continue;
      // Tiering mode without the NORMAL bit only scans pages outside the top tier.
      if (!(mode & 1) && m.isTopTier(p.node[s])) continue;
      // Tiering mode keeps the scan time of slow-tier pages in last_cpupid (folio_xchg_access_time()).
      const stamp = mode & 2 && !m.isTopTier(p.node[s]);
      if (p.folio[s] >= 0) {
        // A PMD-mapped THP: one huge PTE update covering HPAGE_PMD_NR pages (change_huge_pmd()).
        for (const x of folioSlots(m, p.folio[s])) p.flags[x] |= PF.PROTNONE;
        m.counters.ev[EV.numa_pte_updates] += m.hpageNr;
        m.counters.ev[EV.numa_huge_pte_updates]++;
        if (stamp) { p.lastPid[p.folio[s]] = Math.floor(m.now / 1e6); p.lastNode[p.folio[s]] = ACCESS_TIME; }
        vpn = Math.floor(vpn / m.hpageNr) * m.hpageNr + m.hpageNr - 1;
        continue;
      }
      p.flags[s] |= PF.PROTNONE;
      m.counters.ev[EV.numa_pte_updates]++;
      if (m.watch !== null && m.watch.slots.has(s)) m.watch.log(m, 'numa-scan', s, { node: m.topo.ids[p.node[s]], note: 'PTE made PROT_NONE by task_numa_work()' });
      if (stamp) { p.lastPid[s] = Math.floor(m.now / 1e6); p.lastNode[s] = ACCESS_TIME; }
    }
    mm.numaScanOffset = vpn;
    if (pages <= 0 || virtpages <= 0) { wrapped = vpn >= mm.vmas[mm.vmas.length - 1].end; break; }
  }
  if (wrapped) {
    mm.numaScanOffset = 0;
    mm.numaScanSeq++;
  }
}

/**
 * A CPU access hit a PROT_NONE page: count the hint fault, decide, maybe migrate. Returns the
 * page's node position afterwards.
 */
export function numaHintFault(m: Machine, mm: Mm, vma: Vma, slot: number, cpuNode: number, tidPolicy: MemPolicy | null): void {
  const p = m.pages;
  const c = m.counters.ev;
  // A THP takes one hint fault for the PMD (do_huge_pmd_numa_page()); its head carries the state.
  const huge = p.folio[slot] >= 0;
  const s = huge ? p.folio[slot] : slot;
  if (huge) for (const x of folioSlots(m, s)) p.flags[x] &= ~PF.PROTNONE;
  else p.flags[s] &= ~PF.PROTNONE;
  const nr = huge ? m.hpageNr : 1;
  c[EV.pgfault]++;
  c[EV.numa_hint_faults]++;
  const cur = p.node[s];
  if (cur === cpuNode) c[EV.numa_hint_faults_local]++;
  const target = mpolMisplaced(m, mm, vma, s, cpuNode, tidPolicy);
  if (m.watch !== null && m.watch.slots.has(slot)) {
    m.watch.log(m, 'hint-fault', slot, { node: m.topo.ids[cur], cpuNode: m.topo.ids[cpuNode], misplacedTarget: target >= 0 ? m.topo.ids[target] : 'none (mpol_misplaced: stays)' });
  }
  const balanced = target >= 0 && migrateBalanced(m, target, nr);
  // Tiering mode wakes the target's kswapd so promotion finds room next time (demoting there).
  if (target >= 0 && !balanced && m.spec.kernel.numaBalancing & 2) wakeKswapd(m, m.topo.nodeZones[target], ZoneType.MOVABLE);
  if (balanced) {
    const out = migratePage(m, s, target, {
      trigger: Trig.numa_balancing, gfp: Gfp.THISNODE | Gfp.NORETRY, counted: true, cpuNode, pid: mm.pid,
    });
    if (out === 0) {
      c[EV.numa_pages_migrated] += nr;
      if (m.spec.kernel.numaBalancing & 2 && !m.isTopTier(cur) && m.isTopTier(target)) m.counters.addNode(NS.pgpromote_success, target, nr);
      // The hint PTE carried no write bit, so remove_migration_pte() maps the new page read-only:
      // the task's next write takes a do_wp_page() fault (kernel-check numa-balancing-write:
      // 3077 pgfault vs 2054 for the read-only loop; KERNEL-CHECK Q2's +16388 came from writes).
      for (const x of huge ? folioSlots(m, s) : [s]) if (x >= 0) p.flags[x] |= PF.WRPROTECT;
    }
  }
  // task_numa_fault(): locality statistics feed the scan period and the preferred node.
  const memNode = p.node[s];
  if (memNode === cpuNode) mm.numaFaultsLocal++;
  else mm.numaFaultsRemote++;
  mm.numaFaultsByNode[memNode]++;
  let best = -1;
  for (let n = 0; n < m.topo.nodeCount; n++) if (best < 0 || mm.numaFaultsByNode[n] > mm.numaFaultsByNode[best]) best = n;
  // 6.12 clamps the preferred node to a node with CPUs (numa_nearest_node(max_nid, N_CPU)).
  mm.numaPreferredNid = m.spec.kernel.model === '6.12' ? m.nearestCpuNode(best) : best;
}

/** mpol_misplaced(): the node the page should move to, or -1. */
function mpolMisplaced(m: Machine, mm: Mm, vma: Vma, s: number, cpuNode: number, tidPolicy: MemPolicy | null): number {
  const pol = vma.policy ?? tidPolicy ?? mm.taskPolicy ?? DEFAULT_POLICY;
  if (!pol.mof) return -1;
  const cur = m.pages.node[s];
  const t = m.topo;
  if (pol.mode === Mode.DEFAULT || pol.mode === Mode.LOCAL) {
    // preferred_node_policy[numa_node_id()]: PREFERRED{cpu node} with MPOL_F_MORON.
    if (cur === cpuNode) return -1;
  } else if (pol.mode === Mode.PREFERRED && hasNode(pol.nodes, t.ids[cur])) {
    return -1;
  }
  if (!shouldNumaMigrateMemory(m, mm, s, cur, cpuNode)) return -1;
  return cpuNode === cur ? -1 : cpuNode;
}

/** should_numa_migrate_memory() for a task without a numa_group. */
function shouldNumaMigrateMemory(m: Machine, mm: Mm, s: number, src: number, dst: number): boolean {
  const p = m.pages;
  if (!m.topo.inNMemory[dst]) return false; // cannot migrate to memoryless nodes
  if (m.spec.kernel.numaBalancing & 2 && !m.isTopTier(src)) {
    // Slow-tier pages promote by hotness instead (memory tiering): always when the target has
    // plenty free above its promo mark, else when the fault came soon after the scan. The
    // promotion rate limit (65536 MB/s by default) is not modelled.
    if (freeSpaceEnough(m, dst)) return true;
    const latency = p.lastNode[s] === ACCESS_TIME ? Math.floor(m.now / 1e6) - p.lastPid[s] : Infinity;
    if (latency >= HOT_THRESHOLD_MS) return false;
    m.counters.addNode(NS.pgpromote_candidate, dst, 1);
    return true;
  }
  const lastPid = p.lastPid[s];
  const lastNode = p.lastNode[s];
  p.lastPid[s] = mm.pid;
  p.lastNode[s] = dst;
  const unset = lastPid < 0;
  if (!(m.spec.kernel.numaBalancing & 2) && !m.isTopTier(src) && unset) return false;
  // First faults and private faults migrate at once early in the task's life.
  if ((mm.numaPreferredNid < 0 || mm.numaScanSeq <= 4) && (unset || lastPid === mm.pid)) return true;
  // Two-stage filter: the previous fault must have come from the destination node.
  if (!unset && lastNode !== dst) return false;
  return true; // private fault (or shared without a numa_group)
}

/** pgdat_free_space_enough(): a zone above promo + max(1 GiB, present / 16). */
function freeSpaceEnough(m: Machine, pos: number): boolean {
  const t = m.topo;
  const present = t.nodeZones[pos].reduce((a, z) => a + t.managed[z], 0);
  const enough = Math.max(2 ** 30 / m.pageSize, Math.floor(present / 16));
  return t.nodeZones[pos].some((z) => t.managed[z] > 0 && t.free[z] > t.wm.promo[z] + enough);
}

/** migrate_balanced_pgdat(): some zone stays above high + nr pages after the move. */
function migrateBalanced(m: Machine, pos: number, nr: number): boolean {
  const t = m.topo;
  for (const z of t.nodeZones[pos]) {
    if (t.managed[z] === 0) continue;
    if (t.free[z] > t.wm.high[z] + nr + t.wm.lowmemReserve[z][3]) return true;
  }
  return false;
}
