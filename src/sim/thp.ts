// Transparent huge pages, PMD-sized anonymous only (KERNEL-MODEL §2.11): fault eligibility, the
// huge zero page, order-9 allocation by policy in both kernel generations, whole-folio migration,
// and splitting. A THP is HPAGE_PMD_NR page slots sharing a head; only the head is on an LRU.
// [S612 mm/memory.c __handle_mm_fault, mm/huge_memory.c do_huge_pmd_anonymous_page,
// mm/mempolicy.c alloc_pages_mpol_noprof; S411 alloc_pages_vma(hugepage=true)]
import { allocZone, Gfp } from './alloc.js';
import type { AllocRequest } from './design.js';
import type { Machine } from './machine.js';
import { PTE_ZERO } from './machine.js';
import { firstNode, hasNode, interleaveNid, MemPolicy, Mode, NO_MASK } from './mempolicy.js';
import { Mm, Rss, Vma, VmaKind, VmFlag } from './mm.js';
import { Lru, PageKind, PF, Placed } from './pages.js';
import { ZoneType } from './spec.js';
import { EV, NS } from './vmstat.js';

export const regionOf = (m: Machine, vpn: number): number => Math.floor(vpn / m.hpageNr);

/** thp_vma_allowable_orders() + the region test of KERNEL-MODEL §2.11 "Fault eligibility". */
export function thpEligible(m: Machine, mm: Mm, vma: Vma, vpn: number): boolean {
  const mode = m.spec.kernel.thp;
  if (mode === 'never' || m.hpageNr < 2 || vma.kind !== VmaKind.ANON) return false;
  if (vma.flags & VmFlag.NOHUGEPAGE) return false;
  if (mode === 'madvise' && !(vma.flags & VmFlag.HUGEPAGE)) return false;
  const r = regionOf(m, vpn);
  const start = r * m.hpageNr;
  if (start < vma.start || start + m.hpageNr > vma.end) return false;
  // Any earlier base-page fault in the region made a PTE table: no THP there any more.
  return m.pgtables.get(mm.pid, r * 4) < 0 && m.thpRegions.get(mm.pid, r, -1) === -1;
}

const req: AllocRequest = { gfp: 0, nid: 0, nodemask: NO_MASK, highestZone: ZoneType.MOVABLE, cpuNode: 0, cpusetMask: false };

function alloc9(m: Machine, gfp: number, nid: number, mask: number, cpuNode: number, pid: number): number {
  req.gfp = gfp;
  req.nid = nid;
  req.nodemask = mask;
  req.highestZone = ZoneType.MOVABLE;
  req.cpuNode = cpuNode;
  req.cpusetMask = false;
  return allocZone(m, req, pid, m.hpageNr);
}

/** Order-9 allocation for a fault under `pol` (both generations). Returns the zone or -1. */
export function allocThp(m: Machine, pol: MemPolicy | null, region: number, cpuNode: number, gfp: number, pid: number): number {
  const t = m.topo;
  const mode = pol?.mode ?? Mode.DEFAULT;
  const nodes = pol?.nodes ?? 0;
  if (mode === Mode.INTERLEAVE) {
    // The interleave index counts 2 MiB units; remote fallback allowed.
    const id = interleaveNid(nodes, region);
    return alloc9(m, gfp, id >= 0 ? t.pos[id] : cpuNode, NO_MASK, cpuNode, pid);
  }
  let nid = cpuNode;
  let mask = NO_MASK;
  if (mode === Mode.PREFERRED) nid = t.pos[firstNode(nodes)];
  if (mode === Mode.BIND || mode === Mode.PREFERRED_MANY) mask = nodes;
  if (m.spec.kernel.model === '4.11') {
    // 4.11: THISNODE on the preferred (or local) node unless a BIND mask excludes it.
    if (mask === NO_MASK || hasNode(mask, t.ids[nid])) return alloc9(m, gfp | Gfp.THISNODE, nid, NO_MASK, cpuNode, pid);
    const zl = t.pos[m.design.policyZonelistNode(pol!, t.ids[nid], mask, t.ids[cpuNode])];
    return alloc9(m, gfp, zl, mask, cpuNode, pid);
  }
  if (mode === Mode.PREFERRED_MANY) {
    const z = alloc9(m, gfp & ~Gfp.DIRECT_RECLAIM, nid, mask, cpuNode, pid);
    return z >= 0 ? z : alloc9(m, gfp, nid, NO_MASK, cpuNode, pid);
  }
  if (mask === NO_MASK || hasNode(mask, t.ids[nid])) {
    // Local node first without reclaim; a non-madvised VMA never goes remote.
    const z = alloc9(m, (gfp | Gfp.THISNODE | Gfp.NORETRY) & ~Gfp.DIRECT_RECLAIM, nid, NO_MASK, cpuNode, pid);
    if (z >= 0 || !(gfp & Gfp.DIRECT_RECLAIM)) return z;
  }
  const zl = t.pos[m.design.policyZonelistNode(pol ?? new MemPolicy(Mode.DEFAULT, 0, true), t.ids[nid], mask, t.ids[cpuNode])];
  return alloc9(m, gfp | Gfp.NORETRY, zl, mask, cpuNode, pid);
}

/** Installs a THP taken from `zone` at region `r` of `mm`: HPAGE_PMD_NR slots, the head on an LRU. */
export function installThp(m: Machine, mm: Mm, vma: Vma, r: number, zone: number, placed: number): number {
  const n = m.hpageNr;
  const base = r * n;
  const locked = (vma.flags & VmFlag.LOCKED) !== 0;
  const head = m.installPage(zone, PageKind.ANON, mm.pid, base, mm.memcg, placed, locked, -2);
  m.pages.setFolio(head, head);
  for (let i = 0; i < n; i++) {
    const s = i === 0 ? head : m.installPage(zone, PageKind.ANON, mm.pid, base + i, mm.memcg, placed, locked, head);
    m.ptes.set(mm.pid, base + i, s);
    m.pages.mapcount[s] = 1;
    if (locked) m.pages.flags[s] |= PF.MLOCKED;
  }
  m.lruAdd(head, m.newLru(PageKind.ANON, locked));
  mm.rss[Rss.ANON] += n;
  m.thpRegions.set(mm.pid, r, head);
  m.counters.addNode(NS.nr_anon_transparent_hugepages, m.pages.node[head], 1);
  if (locked) {
    m.counters.addNode(NS.nr_mlock, m.pages.node[head], n);
    m.counters.ev[EV.unevictable_pgs_mlocked] += n;
  }
  m.counters.ev[EV.thp_fault_alloc]++;
  return head;
}

/** Maps the huge zero page over region `r` (a read fault in an eligible region). */
export function mapHugeZero(m: Machine, mm: Mm, r: number): void {
  m.thpRegions.set(mm.pid, r, PTE_ZERO);
}

/**
 * A write to a region mapped by the huge zero page. 6.12 splits the PMD into zero-page PTEs and
 * COWs one page (the caller then faults the page normally); 4.11 tries a fresh THP first.
 */
export function breakHugeZero(m: Machine, mm: Mm, r: number): void {
  m.thpRegions.delete(mm.pid, r, -1);
  m.counters.ev[EV.thp_split_pmd]++;
  for (let i = 0; i < m.hpageNr; i++) if (m.ptes.get(mm.pid, r * m.hpageNr + i) === -1) m.ptes.set(mm.pid, r * m.hpageNr + i, PTE_ZERO);
}

/** The slots of the folio headed by `head`, in address order. */
export function folioSlots(m: Machine, head: number): number[] {
  const p = m.pages;
  const out: number[] = [];
  const base = p.index[head];
  for (let i = 0; i < m.hpageNr; i++) out.push(m.ptes.get(p.space[head], base + i));
  return out;
}

/**
 * split_huge_page(): the folio becomes HPAGE_PMD_NR base pages, each on the head's LRU list.
 * (The kernel splits the PMD first and the folio later through the deferred-split shrinker; the
 * simulator does both at once.)
 */
export function splitFolio(m: Machine, head: number): void {
  const p = m.pages;
  if (p.folio[head] !== head) return;
  const slots = folioSlots(m, head);
  const lru = p.lru[head];
  m.lruDel(head);
  for (const s of slots) {
    if (s < 0) continue;
    p.setFolio(s, -1);
    if (lru !== Lru.NONE) m.lruAdd(s, lru);
  }
  m.thpRegions.delete(p.space[head], regionOf(m, p.index[head]), -1);
  m.counters.addNode(NS.nr_anon_transparent_hugepages, p.node[head], -1);
  m.counters.ev[EV.thp_split_page]++;
  m.counters.ev[EV.thp_split_pmd]++;
}

/** Splits any THP of `mm` that [start, end) covers only in part (partial munmap, VMA split). */
export function splitPartial(m: Machine, mm: Mm, start: number, end: number): void {
  for (const vpn of [start, end - 1]) {
    const r = regionOf(m, vpn);
    const head = m.thpRegions.get(mm.pid, r, -1);
    if (head === PTE_ZERO) {
      if (vpn !== r * m.hpageNr || end - start < m.hpageNr) breakHugeZero(m, mm, r);
      continue;
    }
    if (head < 0) continue;
    const rs = r * m.hpageNr, re = rs + m.hpageNr;
    if (start > rs || end < re) splitFolio(m, head);
  }
}

export { Placed };
