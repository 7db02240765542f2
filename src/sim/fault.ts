// Accesses and page faults (KERNEL-MODEL §2.4-2.5, §2.9; mm/memory.c handle_mm_fault(),
// do_anonymous_page(), do_read_fault()/do_shared_fault(), do_swap_page(); mm/memcontrol.c
// try_charge_memcg()). The hot path is `access()` on a present page: a hash lookup and counters.
import { allocWithPolicy, Gfp, GFP_USER_RECLAIM } from './alloc.js';
import type { Machine } from './machine.js';
import { PTE_NONE, PTE_SWAP, PTE_ZERO } from './machine.js';
import { DEFAULT_POLICY, hasNode, MemPolicy, Mode, NO_MASK } from './mempolicy.js';
import { Mm, Rss, Vma, VmaKind, VmFlag } from './mm.js';
import { numaHintFault } from './numab.js';
import { outOfMemory } from './oom.js';
import { PageKind, PF, Placed } from './pages.js';
import { memcgReclaim } from './reclaim.js';
import { rssSlot } from './rmap.js';
import { ZoneType } from './spec.js';
import { allocThp, breakHugeZero, folioSlots, installThp, mapHugeZero, regionOf, thpEligible } from './thp.js';
import { EV, NS } from './vmstat.js';
import { MAX_RECLAIM_RETRIES } from './alloc.js';
import { deviceFirstTouch } from './migrate-vma.js';
import { devicePrivateFault, isDevicePage } from './zone-device.js';

/** get_task_policy(): the thread's own policy, else the process's, else none (default). */
export function taskPolicy(mm: Mm, tid: number): MemPolicy | null {
  if (tid >= 0 && mm.threadPolicy.size) {
    const t = mm.threadPolicy.get(tid);
    if (t) return t;
  }
  return mm.taskPolicy;
}

/**
 * try_charge_memcg(): charge `n` pages of `kind` (0 = kernel) to the process's memcg. Over a limit:
 * one `max` event, reclaim up to MAX_RECLAIM_RETRIES times, then the memcg OOM killer. Returns false
 * when the charge fails (the faulting task was the victim or nothing could be killed).
 */
export const ChargeMode = { NORMAL: 0, NO_OOM: 1, NO_RECLAIM: 2 } as const;

export function charge(m: Machine, mm: Mm, n: number, kind: number, cpuNode: number, mode: number = ChargeMode.NORMAL): boolean {
  const list = m.memcgs.list;
  let retries = MAX_RECLAIM_RETRIES;
  for (let guard = 0; guard < 1000; guard++) {
    let over = -1;
    for (let c = mm.memcg; c >= 0; c = list[c].parent) if (list[c].usage + n > list[c].maxPages) { over = c; break; }
    if (over < 0) {
      for (let c = mm.memcg; c >= 0; c = list[c].parent) {
        const g = list[c];
        g.usage += n;
        if (g.usage > g.peak) g.peak = g.usage;
        if (kind === PageKind.ANON) g.anon += n;
        else if (kind === PageKind.FILE) g.file += n;
        else if (kind === PageKind.SHMEM) g.shmem += n;
        else g.kernel += n;
      }
      return true;
    }
    // A charge that may not reclaim (THP without __GFP_DIRECT_RECLAIM) fails at once, no event.
    if (mode === ChargeMode.NO_RECLAIM) return false;
    // memcg_memory_event(MEMCG_MAX) on every pass of the retry loop (try_charge_memcg()).
    list[over].events.max++;
    const reclaimed = memcgReclaim(m, over, n, cpuNode);
    if (list[over].maxPages - list[over].usage >= n) continue;
    if (reclaimed > 0) continue;
    if (retries-- > 0) continue;
    if (mode === ChargeMode.NO_OOM) return false; // costly orders never OOM-kill (order > 3)
    const victim = outOfMemory(m, -1, over);
    if (victim < 0 || victim === mm.pid || mm.killed) return false;
    retries = MAX_RECLAIM_RETRIES;
  }
  return false;
}

/**
 * Page-table pages for `vpn` (KERNEL-MODEL §2.4): a PTE table per 2 MiB, a PMD table per 1 GiB and
 * a PUD table per 512 GiB, allocated under the task policy on the faulting CPU's node, charged.
 */
function allocPageTables(m: Machine, mm: Mm, vpn: number, cpuNode: number, tid: number, mode: number = ChargeMode.NORMAL): boolean {
  // A PTE table maps one PMD-sized region; PMD and PUD tables 512 entries each (x86-64 layout).
  const span = [0, m.hpageNr, m.hpageNr * 512, m.hpageNr * 512 * 512];
  // Fast check: the PTE table exists, so the upper levels do too.
  if (m.pgtables.get(mm.pid, Math.floor(vpn / span[1]) * 4) >= 0) return true;
  for (let level = 3; level >= 1; level--) {
    const key = Math.floor(vpn / span[level]) * 4 + (level - 1);
    if (m.pgtables.get(mm.pid, key) >= 0) continue;
    const pl = allocWithPolicy(m, taskPolicy(mm, tid), -1, cpuNode, ZoneType.NORMAL, GFP_USER_RECLAIM, mm.pid);
    if (pl.zone < 0) return false;
    if (!charge(m, mm, 1, 0, cpuNode, mode)) {
      m.topo.free[pl.zone]++;
      m.counters.ev[EV.pgfree]++;
      return false;
    }
    m.pgtables.set(mm.pid, key, pl.zone);
    const pos = m.topo.zoneNode[pl.zone];
    m.counters.addNode(NS.nr_page_table_pages, pos, 1);
    mm.pageTables[pos]++;
  }
  return true;
}

/**
 * Allocates, charges and installs a page for a fault. `pol`/`ilx` select the node; returns the
 * slot or -1 (allocation or charge failed; the task may have been OOM-killed).
 */
function newPage(
  m: Machine, mm: Mm, vma: Vma, pol: MemPolicy | null, ilx: number, kind: number, space: number, index: number,
  cpuNode: number, devicePlaced: boolean,
): number {
  const pl = allocWithPolicy(m, pol, ilx, cpuNode, ZoneType.MOVABLE, GFP_USER_RECLAIM, mm.pid);
  if (pl.zone < 0) {
    // 4.x mm_fault_error(): VM_FAULT_OOM -> pagefault_out_of_memory() -> an unconstrained
    // out_of_memory(), even when the allocator had no zone to try (later kernels only retry).
    if (m.spec.kernel.model === '4.11' && !mm.killed) outOfMemory(m, NO_MASK, -1);
    return -1;
  }
  // alloc_pages_vma() (anon only: shmem allocates through a pseudo-VMA).
  if (kind === PageKind.ANON) m.design.onVmaAlloc?.(vma, pol, m.topo.ids[m.topo.zoneNode[pl.zone]]);
  const placed = devicePlaced && pl.placed === Placed.REQUESTED ? Placed.DEVICE_TOUCH : pl.placed;
  return chargeAndInstall(m, mm, vma, pl.zone, kind, space, index, placed, cpuNode);
}

/** Charges and installs a page already taken from `zone`; frees it again if the charge fails. */
function chargeAndInstall(
  m: Machine, mm: Mm, vma: Vma, zone: number, kind: number, space: number, index: number, placed: number, cpuNode: number,
  mode: number = ChargeMode.NORMAL,
): number {
  // The kernel allocates first and charges after; a failed charge frees the page again.
  const device = m.topo.zoneType[zone] === ZoneType.DEVICE; // a driver's page (migrate_vma on a hole)
  if (!charge(m, mm, 1, kind, cpuNode, mode)) {
    m.topo.free[zone]++;
    if (!device) m.counters.ev[EV.pgfree]++;
    return -1;
  }
  const locked = (vma.flags & VmFlag.LOCKED) !== 0 && !device; // mlock skips ZONE_DEVICE (§3.6)
  const s = m.installPage(zone, kind, space, index, mm.memcg, placed, locked);
  if (locked) {
    m.pages.flags[s] |= PF.MLOCKED;
    m.counters.addNode(NS.nr_mlock, m.pages.node[s], 1);
    m.counters.ev[EV.unevictable_pgs_mlocked]++;
  }
  return s;
}

function mapPage(m: Machine, mm: Mm, s: number, vpn: number): void {
  const p = m.pages;
  // A page-cache or shmem page is watched through the address it is mapped at (explain).
  if (m.watch !== null && p.kind[s] !== PageKind.ANON && m.watch.watches(mm.pid, vpn) && !m.watch.slots.has(s)) {
    m.watch.slots.add(s);
    m.watch.log(m, 'map', s, { node: m.topo.ids[p.node[s]], note: p.kind[s] === PageKind.FILE ? 'page cache page mapped' : 'shmem page mapped' });
  }
  m.ptes.set(mm.pid, vpn, s);
  if (p.kind[s] !== PageKind.ANON && p.mapcount[s] === 0) m.counters.addNode(NS.nr_mapped, p.node[s], 1);
  p.mapcount[s]++;
  mm.rss[rssSlot(p.kind[s])]++;
}

/**
 * Handles a fault on (mm, vpn): returns the page slot now mapped, PTE_ZERO for a read of
 * never-written anon memory (the shared zero page), or -1 on failure.
 */
export function fault(m: Machine, mm: Mm, vma: Vma, vpn: number, write: boolean, cpuNode: number, tid: number, devicePlaced: boolean): number {
  const c = m.counters.ev;
  c[EV.pgfault]++;
  const entry = m.ptes.get(mm.pid, vpn);
  // A PMD-mapped THP fault deposits its PTE table itself; everything else needs one first.
  if (!(entry === PTE_NONE && vma.kind === VmaKind.ANON && thpEligible(m, mm, vma, vpn)) &&
      !allocPageTables(m, mm, vpn, cpuNode, tid)) return -1;
  if (vma.kind === VmaKind.ANON) {
    // khugepaged_enter_vma(): an mm faulting in a THP-capable VMA joins khugepaged's list.
    if (!mm.khugepaged && !(vma.flags & VmFlag.NOHUGEPAGE) && (m.spec.kernel.thp === 'always' || vma.flags & VmFlag.HUGEPAGE)) {
      mm.khugepaged = true;
      m.khugepaged.register(m, mm);
    }
    if (entry === PTE_NONE && thpEligible(m, mm, vma, vpn)) {
      const t = thpFault(m, mm, vma, vpn, write, cpuNode, tid);
      if (t !== THP_FALLBACK) return t;
      if (!allocPageTables(m, mm, vpn, cpuNode, tid)) return -1;
    }
    if (entry === PTE_NONE && !write) {
      // do_anonymous_page(): a read maps the zero page; nothing is allocated or charged.
      m.ptes.set(mm.pid, vpn, PTE_ZERO);
      return PTE_ZERO;
    }
    if (entry === PTE_SWAP) {
      // do_swap_page(): major fault, the page comes back under the current policy.
      c[EV.pgmajfault]++;
      c[EV.pswpin]++;
      c[EV.pgpgin] += m.pageSize / 1024;
      m.swapUsed--;
      mm.rss[Rss.SWAPENTS]--;
      m.ptes.delete(mm.pid, vpn);
    }
    const pol = vma.policy ?? taskPolicy(mm, tid);
    const s = newPage(m, mm, vma, pol, vma.pgoff + (vpn - vma.start), PageKind.ANON, mm.pid, vpn, cpuNode, devicePlaced);
    if (s < 0) return -1;
    if (entry === PTE_ZERO) m.ptes.delete(mm.pid, vpn); // copy-on-write from the zero page
    mapPage(m, mm, s, vpn);
    return s;
  }
  // File and shmem: the page cache first (filemap_fault() / shmem_fault()).
  const space = -vma.fileId - 1;
  const pgoff = vma.pgoff + (vpn - vma.start);
  let s = m.cache.get(space, pgoff);
  if (s < 0) {
    const kind = vma.kind === VmaKind.FILE ? PageKind.FILE : PageKind.SHMEM;
    if (s === PTE_SWAP) {
      c[EV.pgmajfault]++;
      c[EV.pswpin]++;
      c[EV.pgpgin] += m.pageSize / 1024;
      m.swapUsed--;
      m.cache.delete(space, pgoff);
    } else if (kind === PageKind.FILE) {
      c[EV.pgmajfault]++; // read from the file
      c[EV.pgpgin] += m.pageSize / 1024;
    }
    // Page cache follows the task policy only; shmem honours the mbind (shared) policy.
    const pol = kind === PageKind.FILE ? taskPolicy(mm, tid) : vma.policy ?? taskPolicy(mm, tid);
    s = newPage(m, mm, vma, pol, kind === PageKind.FILE ? -1 : pgoff, kind, space, pgoff, cpuNode, devicePlaced);
    if (s < 0) return -1;
    m.cache.set(space, pgoff, s);
  }
  mapPage(m, mm, s, vpn);
  return s;
}

/**
 * Populates an absent anon page with a page the caller already took from `zone` (a driver's
 * migrate_vma on a hole, migrate_vma_insert_page()). Returns the slot or -1. `mode`: how the
 * memcg charge may fail (4.x: a charge outside a user fault never OOM-kills, memcg_may_oom).
 */
export function populateAnon(
  m: Machine, mm: Mm, vma: Vma, vpn: number, zone: number, placed: number, cpuNode: number, mode: number = ChargeMode.NORMAL,
): number {
  if (!allocPageTables(m, mm, vpn, cpuNode, -1, mode)) { m.topo.free[zone]++; return -1; }
  if (m.ptes.get(mm.pid, vpn) === PTE_ZERO) m.ptes.delete(mm.pid, vpn);
  const s = chargeAndInstall(m, mm, vma, zone, PageKind.ANON, mm.pid, vpn, placed, cpuNode, mode);
  if (s >= 0) mapPage(m, mm, s, vpn);
  return s;
}

const THP_FALLBACK = -9;

/**
 * do_huge_pmd_anonymous_page(): a read maps the huge zero page; a write allocates a THP by policy
 * (GFP_TRANSHUGE when madvised, else GFP_TRANSHUGE_LIGHT: no reclaim, no kswapd) and charges it.
 * Returns the slot for `vpn`, PTE_ZERO, -1 on failure, or THP_FALLBACK for a base-page fault.
 */
function thpFault(m: Machine, mm: Mm, vma: Vma, vpn: number, write: boolean, cpuNode: number, tid: number): number {
  const c = m.counters.ev;
  const r = regionOf(m, vpn);
  if (!allocPageTables(m, mm, vpn, cpuNode, tid)) return -1; // the deposited PTE table included
  if (!write) {
    if (!m.hugeZeroAllocated) { m.hugeZeroAllocated = true; c[EV.thp_zero_page_alloc]++; }
    mapHugeZero(m, mm, r);
    return PTE_ZERO;
  }
  const madvised = (vma.flags & VmFlag.HUGEPAGE) !== 0;
  const gfp = madvised ? Gfp.DIRECT_RECLAIM : 0;
  const pol = vma.policy ?? taskPolicy(mm, tid);
  const zone = allocThp(m, pol, r, cpuNode, gfp, mm.pid);
  if (zone < 0) { c[EV.thp_fault_fallback]++; return THP_FALLBACK; }
  if (!charge(m, mm, m.hpageNr, PageKind.ANON, cpuNode, madvised ? ChargeMode.NO_OOM : ChargeMode.NO_RECLAIM)) {
    m.topo.free[zone] += m.hpageNr;
    c[EV.pgfree] += m.hpageNr;
    c[EV.thp_fault_fallback]++;
    c[EV.thp_fault_fallback_charge]++;
    return THP_FALLBACK;
  }
  const node = m.topo.ids[m.topo.zoneNode[zone]];
  const named = pol && pol.mode !== Mode.LOCAL ? pol.nodes : 0;
  const placed = named ? (hasNode(named, node) ? (pol!.mode === Mode.INTERLEAVE ? Placed.INTERLEAVE : Placed.REQUESTED) : Placed.FALLBACK)
    : m.topo.zoneNode[zone] === cpuNode ? Placed.REQUESTED : Placed.FALLBACK;
  m.design.onVmaAlloc?.(vma, pol, node); // alloc_pages_vma() for the huge page too (mark_vma_cdm())
  const head = installThp(m, mm, vma, r, zone, placed);
  return m.ptes.get(mm.pid, vpn, head);
}

/** Marks an access on a resident page: young, dirty, per-node counts, remote accounting. */
export function touch(m: Machine, s: number, agentPos: number, agentSlot: number, write: boolean, window: number, weight = 1): void {
  const p = m.pages;
  if (m.watch !== null && m.watch.slots.has(s)) m.watch.touched(agentName(m, agentSlot), m.now);
  if (write && p.flags[s] & PF.WRPROTECT) {
    // do_wp_page() on an exclusive anon page: reuse it, make the PTE writable (one minor fault).
    m.counters.ev[EV.pgfault]++;
    if (agentSlot < m.topo.cpuNodeOf.length) m.faultsCpu++;
    const head = p.folio[s];
    if (head >= 0) for (const x of folioSlots(m, head)) { if (x >= 0) p.flags[x] &= ~PF.WRPROTECT; }
    else p.flags[s] &= ~PF.WRPROTECT;
  }
  const flags = p.flags[s];
  p.flags[s] = flags | (write ? PF.YOUNG | PF.DIRTY : PF.YOUNG);
  if (flags & PF.COMPOUND) p.flags[p.folio[s]] |= PF.YOUNG; // one PMD accessed bit for the whole THP
  const node = p.node[s];
  const n = p.nodeCount;
  m.agentAccesses[agentSlot] += weight;
  if (node !== agentPos) m.agentRemote[agentSlot] += weight;
  m.accessMatrix[agentPos * n + node] += weight;
  const rec = s * p.accStride;
  const shift = window - p.accWindow[rec];
  if (shift !== 0) {
    const f = shift > 60 ? 0 : 2 ** -shift;
    for (let i = 1; i <= n; i++) p.acc[rec + i] *= f;
    p.accWindow[rec] = window;
  }
  p.acc[rec + 1 + agentPos] += weight;
}

const agentName = (m: Machine, slot: number): string => {
  const cpus = m.topo.cpuNodeOf.length;
  return slot < cpus ? `cpu${slot}` : `dev${slot - cpus}`;
};

/** One access by `agent` to (mm, vpn). */
/**
 * One access by `agent` to (mm, vpn); `weight` > 1 stands for that many accesses at this moment
 * (a sampled perf mem record): faults and hint faults happen once, the access counts weight times.
 */
export function access(
  m: Machine, mm: Mm, vma: Vma, vpn: number, write: boolean, agent: number, tid: number, window: number, weight = 1,
): void {
  const agentPos = m.agentNode(agent);
  const agentSlot = m.agentSlot(agent);
  const isCpu = agent >= 0;
  let s = m.ptes.get(mm.pid, vpn);
  if (s >= 0) {
    // A device-private page touched by any agent but its own device faults back (§3.4, §3.5).
    if (m.devicePrivate && m.pages.node[s] !== agentPos && isDevicePage(m, s)) {
      if (isCpu) m.faultsCpu++;
      else m.faultsDevice++;
      s = devicePrivateFault(m, mm, vpn, s, isCpu ? agentPos : m.nearestCpuNode(agentPos), vma.policy ?? taskPolicy(mm, tid));
      if (s < 0) return;
    }
    if (isCpu && m.pages.flags[s] & PF.PROTNONE) {
      m.faultsCpu++;
      numaHintFault(m, mm, vma, s, agentPos, taskPolicy(mm, tid));
    }
    touch(m, s, agentPos, agentSlot, write, window, weight);
    return;
  }
  if (s === PTE_ZERO && !write) {
    m.agentAccesses[agentSlot] += weight; // the shared zero page: no node of its own to be remote from
    return;
  }
  if (s === PTE_NONE && m.thpRegions.size) {
    const r = regionOf(m, vpn);
    if (m.thpRegions.get(mm.pid, r, -1) === PTE_ZERO) {
      if (!write) { m.agentAccesses[agentSlot] += weight; return; } // PMD-mapped huge zero page
      breakHugeZero(m, mm, r); // 6.12 do_huge_pmd_wp_page(): split, then COW one page
    }
  }
  // A driver that allocates on device faults populates an anon hole in its pool (§3.2).
  if (!isCpu && vma.kind === VmaKind.ANON && s !== PTE_SWAP && m.design.zoneDevice?.deviceFirstTouch) {
    const got = deviceFirstTouch(m, mm, vma, vpn, agentPos, m.nearestCpuNode(agentPos));
    if (got >= 0) {
      m.faultsDevice++;
      touch(m, got, agentPos, agentSlot, write, window, weight);
      return;
    }
    if (mm.killed) return;
  }
  // A device's first touch is served by a CPU-side fault on the node the design names.
  let cpuNode = agentPos;
  let devicePlaced = false;
  if (!isCpu) {
    const d = m.design.deviceFirstTouchNode(m.topo.ids[agentPos], m.topo.ids[m.nearestCpuNode(agentPos)]);
    cpuNode = m.topo.pos[d.node];
    devicePlaced = d.requested;
  }
  if (isCpu) m.faultsCpu++;
  else m.faultsDevice++;
  s = fault(m, mm, vma, vpn, write, cpuNode, tid, devicePlaced);
  if (s >= 0) touch(m, s, agentPos, agentSlot, write, window, weight);
  else if (s === PTE_ZERO) m.agentAccesses[agentSlot] += weight;
}

export { DEFAULT_POLICY };
