// The OOM killer (mm/oom_kill.c out_of_memory(), select_bad_process(), oom_badness(),
// constrained_alloc(), mempolicy_in_oom_domain(); memcg: mem_cgroup_out_of_memory()).
import type { Machine } from './machine.js';
import { PTE_SWAP, PTE_ZERO } from './machine.js';
import { Mode, NO_MASK } from './mempolicy.js';
import { Mm, Rss } from './mm.js';
import { PageKind } from './pages.js';
import { unmapOne } from './rmap.js';
import { EV, NS } from './vmstat.js';

/** oom_badness(): rss + swap entries + page-table pages (oom_score_adj 0). */
export const badness = (mm: Mm): number =>
  mm.rss[Rss.ANON] + mm.rss[Rss.FILE] + mm.rss[Rss.SHMEM] + mm.rss[Rss.SWAPENTS] + mm.pageTables.reduce((a, b) => a + b, 0);

/**
 * Picks and kills a victim; returns its pid or -1 when none is eligible. `nodemask` constrains a
 * global OOM to tasks whose BIND policy intersects it (CONSTRAINT_MEMORY_POLICY); `memcg` >= 0
 * restricts victims to that memcg's subtree (memcg OOM).
 */
export function outOfMemory(m: Machine, nodemask: number, memcg: number): number {
  const constrained = nodemask !== NO_MASK && (m.topo.nMemoryMask & ~nodemask) !== 0;
  let victim: Mm | null = null;
  let best = -1;
  // for_each_process() in creation order; a later task with equal points replaces the earlier.
  for (const mm of m.mms.values()) {
    if (mm.killed || mm.exited) continue;
    if (memcg >= 0 && !m.memcgs.within(mm.memcg, memcg)) continue;
    if (constrained && mm.taskPolicy && mm.taskPolicy.mode === Mode.BIND && (mm.taskPolicy.nodes & nodemask) === 0) continue;
    const points = badness(mm);
    if (points >= best) { best = points; victim = mm; }
  }
  if (!victim) return -1;
  m.counters.ev[EV.oom_kill]++;
  if (memcg >= 0) {
    m.memcgs.list[memcg].events.oom++;
    for (let c = victim.memcg; c >= 0; c = m.memcgs.list[c].parent) {
      m.memcgs.list[c].events.oom_kill++;
      if (c === memcg) break;
    }
  } else {
    m.oomKills++;
  }
  killProcess(m, victim);
  return victim.pid;
}

/** Tears down a process: the OOM reaper's or exit's work (exit_mmap()). */
export function killProcess(m: Machine, mm: Mm, exiting = false): void {
  if (!exiting) mm.killed = true;
  m.freeReason = exiting ? 'process exit' : 'OOM kill of its process';
  releaseRange(m, mm, -Infinity, Infinity);
  mm.vmas = [];
  // free_pgtables(): every page-table page goes back.
  const pgt: number[] = [];
  m.pgtables.forEach((space, index) => { if (space === mm.pid) pgt.push(index); });
  for (const idx of pgt) releasePageTable(m, mm, idx);
}

/** Frees a page-table page recorded at (mm.pid, idx). */
export function releasePageTable(m: Machine, mm: Mm, idx: number): void {
  const zone = m.pgtables.delete(mm.pid, idx);
  if (zone < 0) return;
  const pos = m.topo.zoneNode[zone];
  m.topo.free[zone]++;
  m.counters.ev[EV.pgfree]++;
  m.counters.addNode(NS.nr_page_table_pages, pos, -1);
  mm.pageTables[pos]--;
  m.uncharge(mm.memcg, 1, 0);
}

/**
 * Unmaps [start, end) of `mm` (zap_page_range): anon pages and swap entries are freed, file and
 * shmem pages are unmapped and stay in the page cache.
 */
export function releaseRange(m: Machine, mm: Mm, start: number, end: number): void {
  const victims: number[] = [];
  for (const v of mm.vmas) {
    const lo = Math.max(v.start, start), hi = Math.min(v.end, end);
    if (lo >= hi) continue;
    if (hi - lo > m.ptes.size * 2) {
      // Sparse huge range: walk the table instead of every page number.
      m.ptes.forEach((space, vpn) => { if (space === mm.pid && vpn >= lo && vpn < hi) victims.push(vpn); });
    } else {
      for (let vpn = lo; vpn < hi; vpn++) if (m.ptes.get(mm.pid, vpn) !== -1) victims.push(vpn);
    }
  }
  victims.sort((a, b) => a - b);
  // Huge-zero PMD mappings in the range go with it.
  const zeroRegions: number[] = [];
  m.thpRegions.forEach((space, r, v) => {
    if (space === mm.pid && v === PTE_ZERO && r * m.hpageNr >= start && (r + 1) * m.hpageNr <= end) zeroRegions.push(r);
  });
  for (const r of zeroRegions) m.thpRegions.delete(mm.pid, r);
  for (const vpn of victims) {
    const e = m.ptes.get(mm.pid, vpn);
    if (e === PTE_SWAP) {
      m.ptes.delete(mm.pid, vpn);
      mm.rss[Rss.SWAPENTS]--;
      m.swapUsed--;
    } else if (e >= 0) {
      const anon = m.pages.kind[e] === PageKind.ANON;
      unmapOne(m, e, mm.pid, vpn, false);
      if (anon) m.freePage(e);
    } else {
      m.ptes.delete(mm.pid, vpn); // zero-page mapping
    }
  }
}
