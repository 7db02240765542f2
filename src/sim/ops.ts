// Range and process operations of trace@1 (DESIGN §3): mmap, munmap, mbind, set_mempolicy,
// migrate, mlock/munlock, madvise, pin/unpin, exit. Each cites the kernel path it models.
import { allocOnNode, allocWithPolicy, Gfp, GFP_USER_RECLAIM } from './alloc.js';
import { Out, Trig } from './events.js';
import { fault, populateAnon, taskPolicy } from './fault.js';
import type { Machine } from './machine.js';
import { PTE_SWAP, PTE_ZERO } from './machine.js';
import { hasNode, MemPolicy, Mode, NO_MASK } from './mempolicy.js';
import { failPage, migratePage, MigrateMode, movePages } from './migrate.js';
import { Mm, Vma, VmaKind, VmFlag } from './mm.js';
import { killProcess, releasePageTable, releaseRange } from './oom.js';
import { Lru, PageKind, PF, Placed } from './pages.js';
import { ZoneType } from './spec.js';
import { splitPartial } from './thp.js';
import { EV, NS } from './vmstat.js';
import { migrateVmaRange } from './migrate-vma.js';
import { devicePrivateFault, isDevicePage, longtermPinDevice } from './zone-device.js';

/** Why a policy naming ZONE_DEVICE memory cannot be expressed (DESIGN §3, KERNEL-MODEL §3.2). */
const POLICY_NAMES_DEVICE = 'names device memory that is not a NUMA node (ZONE_DEVICE): the node is dropped from the mask as mpol_set_nodemask() does, EINVAL when none is left';

/** Pages per implicit mapping: one PMD-sized region, merged with neighbours (DESIGN §3). */
const implicitSpan = (m: Machine) => Math.max(1, (2 * 2 ** 20) / m.pageSize);

export function mmap(m: Machine, mm: Mm, start: number, end: number, kind: number, file: string | null): void {
  releaseRange(m, mm, start, end); // MAP_FIXED semantics: a new mapping replaces the old one
  mm.remove(start, end);
  let fileId = -1;
  if (kind !== VmaKind.ANON) {
    fileId = m.fileId(file ?? `\0anon-${kind}-${mm.pid}-${start}`);
    m.fileMappers[fileId].add(mm);
  }
  mm.insert(new Vma(start, end, kind, fileId, kind === VmaKind.ANON ? start : 0, 0));
}

/** The VMA covering vpn, creating an implicit private anon mapping when none does. */
export function vmaFor(m: Machine, mm: Mm, vpn: number): Vma {
  const v = mm.find(vpn);
  if (v) return v;
  const span = implicitSpan(m);
  let start = Math.floor(vpn / span) * span;
  let end = start + span;
  // Do not overlap explicit neighbours; merge with implicit ones.
  for (const o of mm.vmas) {
    if (o.end <= vpn && o.end > start) start = o.end;
    if (o.start > vpn && o.start < end) end = o.start;
  }
  const prev = mm.find(start - 1);
  if (prev && prev.flags & VmFlag.IMPLICIT && prev.end === start && !prev.policy) {
    prev.end = end;
    return prev;
  }
  const vma = new Vma(start, end, VmaKind.ANON, -1, start, VmFlag.IMPLICIT);
  mm.insert(vma);
  return vma;
}

/** Fills the holes of [start, end) with implicit anon VMAs, so range ops work on access traces. */
export function coverRange(mm: Mm, start: number, end: number): void {
  let at = start;
  for (const v of mm.range(start, end, false)) {
    if (v.start > at) mm.insert(new Vma(at, v.start, VmaKind.ANON, -1, at, VmFlag.IMPLICIT));
    at = Math.max(at, v.end);
  }
  if (at < end) mm.insert(new Vma(at, end, VmaKind.ANON, -1, at, VmFlag.IMPLICIT));
}

export function munmap(m: Machine, mm: Mm, start: number, end: number): void {
  m.freeReason = 'munmap';
  splitPartial(m, mm, start, end);
  releaseRange(m, mm, start, end);
  mm.remove(start, end);
  freePgtables(m, mm, start, end);
}

/**
 * free_pgtables() after an unmap: a page-table page whose whole span no VMA covers any more goes
 * back (kernel-check munmap-free: 3 PTE tables freed by munmap). PTE tables span a PMD region,
 * PMD tables 512 of those, PUD tables 512 PMD tables.
 */
function freePgtables(m: Machine, mm: Mm, start: number, end: number): void {
  const spans = [m.hpageNr, m.hpageNr * 512, m.hpageNr * 512 * 512];
  for (let level = 0; level < 3; level++) {
    const span = spans[level];
    const candidates: number[] = [];
    if ((end - start) / span > 4096) {
      // A huge range: look only at the tables the process has.
      m.pgtables.forEach((space, key) => { if (space === mm.pid && key % 4 === level && (key - level) / 4 * span < end && ((key - level) / 4 + 1) * span > start) candidates.push((key - level) / 4); });
    } else {
      for (let t = Math.floor(start / span); t * span < end; t++) candidates.push(t);
    }
    for (const t of candidates) {
      if (mm.range(t * span, (t + 1) * span, false).length) continue;
      releasePageTable(m, mm, t * 4 + level);
    }
  }
}

/** Builds a policy as mpol_new() + mpol_set_nodemask() would; null policy = default; undefined = EINVAL. */
export function makePolicy(m: Machine, mode: number, nodes: number): MemPolicy | null | undefined {
  if (mode === Mode.DEFAULT) return null;
  if (mode === Mode.LOCAL) return new MemPolicy(Mode.LOCAL, 0, false);
  const allowed = m.design.policyAllowedMask(m.topo.nMemoryMask) >>> 0;
  let mask = (nodes & allowed) >>> 0;
  if (mask === 0) return undefined; // nodes outside the allowed set are dropped; none left: -EINVAL
  if (mode === Mode.PREFERRED) mask = (mask & -mask) >>> 0; // MPOL_PREFERRED keeps its first node
  return new MemPolicy(mode, mask, false);
}

/** mbind(2): set the VMA policy of [start, end); MPOL_MF_MOVE(_ALL) migrates misplaced pages. */
export function mbind(m: Machine, mm: Mm, start: number, end: number, mode: number, nodes: number, move: boolean, moveAll: boolean, cpuNode: number): void {
  if (mode > Mode.LOCAL && nodes & m.topo.zoneDeviceMask) m.countUnsupported('mbind', POLICY_NAMES_DEVICE);
  const pol = makePolicy(m, mode, nodes);
  if (pol === undefined) { m.countSyscallError('mbind', 'EINVAL'); return; }
  coverRange(mm, start, end);
  const vmas = mm.range(start, end, true);
  // do_mbind(): queue_pages_test_walk() checks vma_migratable() before mbind_range() sets the policy.
  const queued = vmas.filter((v) => m.design.vmaMigratable?.(v) ?? true);
  for (const v of vmas) v.policy = pol;
  m.design.onMbind?.(vmas, pol);
  if (!(move || moveAll) || !pol || pol.mode === Mode.LOCAL) return;
  // queue_pages_range(): pages not on a node of the new policy's mask are migrated, each target
  // allocated by the new policy (alloc_migration_target_by_mpol()).
  const mode_: MigrateMode = { trigger: Trig.mbind, gfp: GFP_USER_RECLAIM | Gfp.RETRY_MAYFAIL, counted: true, cpuNode, pid: mm.pid };
  for (const v of queued) {
    for (let vpn = v.start; vpn < v.end; vpn++) {
      const s = m.ptes.get(mm.pid, vpn);
      if (s < 0 || isDevicePage(m, s)) continue; // queue_pages_pte_range() skips zone-device folios
      if (hasNode(pol.nodes, m.topo.ids[m.pages.node[s]])) continue;
      if (m.pages.mapcount[s] > 1 && !moveAll) continue; // shared pages need MPOL_MF_MOVE_ALL
      const ilx = v.pgoff + (vpn - v.start);
      const pl = allocWithPolicy(m, pol, ilx, cpuNode, ZoneType.MOVABLE, mode_.gfp, mm.pid);
      if (pl.zone < 0) {
        m.counters.ev[EV.pgmigrate_fail]++;
        m.migrations.record(m.pages.space[s], m.pages.index[s], m.pages.node[s], -1, m.now, Trig.mbind, Out.ENOMEM, true);
        continue;
      }
      const out = migratePage(m, s, m.topo.zoneNode[pl.zone], mode_, pl.zone);
      if (out !== Out.ok) m.topo.free[pl.zone]++; // the target page goes back
    }
  }
}

/** set_mempolicy(2) for a thread (tid >= 0) or the whole process. */
export function setMempolicy(m: Machine, mm: Mm, tid: number, mode: number, nodes: number): void {
  if (mode > Mode.LOCAL && nodes & m.topo.zoneDeviceMask) m.countUnsupported('set_mempolicy', POLICY_NAMES_DEVICE);
  const pol = makePolicy(m, mode, nodes);
  if (pol === undefined) { m.countSyscallError('set_mempolicy', 'EINVAL'); return; }
  if (tid >= 0) {
    if (pol) mm.threadPolicy.set(tid, pol);
    else mm.threadPolicy.delete(tid);
  } else {
    mm.taskPolicy = pol;
  }
}

/**
 * `migrate` op: from a CPU agent, move_pages(2) of the range; from a device agent, the driver's
 * migration as the design does it (migrate_pages() with counters, or migrate_vma without).
 */
export function migrate(m: Machine, mm: Mm, start: number, end: number, to: number, fromDevice: boolean, moveAll: boolean, cpuNode: number): void {
  if (!fromDevice) {
    if (hasNode(m.topo.zoneDeviceMask, m.topo.ids[to])) {
      m.countUnsupported('migrate', 'moves pages to device memory that is not a NUMA node (ZONE_DEVICE; only its driver can): move_pages fails every page with ENODEV');
    }
    movePages(m, mm, start, end, to, moveAll, cpuNode);
    return;
  }
  if (m.design.zoneDevice) { migrateVmaRange(m, mm, start, end, to, cpuNode); return; }
  const counted = m.design.driverMigrate === 'migrate_pages';
  const mode: MigrateMode = { trigger: Trig.driver, gfp: GFP_USER_RECLAIM | Gfp.THISNODE, counted, cpuNode, pid: mm.pid };
  for (let vpn = start; vpn < end; vpn++) {
    const vma = mm.find(vpn);
    if (!vma) { failPage(m, mm, vpn, to, Trig.driver, Out.EFAULT); continue; }
    const s = m.ptes.get(mm.pid, vpn);
    if (s >= 0) { migratePage(m, s, to, mode); continue; }
    // migrate_vma_collect_hole(): a hole in an anonymous VMA is populated on the target;
    // migrate_pages() only moves resident pages.
    if (counted || vma.kind !== VmaKind.ANON || s === PTE_SWAP) continue;
    const zone = allocOnNode(m, to, mode.gfp, cpuNode, mm.pid);
    if (zone < 0) { failPage(m, mm, vpn, to, Trig.driver, Out['no-dst']); continue; }
    const slot = populateAnon(m, mm, vma, vpn, zone, Placed.MIGRATE, cpuNode);
    if (slot >= 0) m.migrations.record(mm.pid, vpn, -1, m.pages.node[slot], m.now, Trig.driver, Out.ok, false);
  }
}

/** mlock(2): VM_LOCKED, populate the range (__mm_populate), pages onto the unevictable list. */
export function mlock(m: Machine, mm: Mm, start: number, end: number, cpuNode: number, tid: number): void {
  coverRange(mm, start, end);
  splitPartial(m, mm, start, end);
  const vmas = mm.range(start, end, true);
  for (const v of vmas) {
    v.flags |= VmFlag.LOCKED;
    const write = v.kind === VmaKind.ANON; // FOLL_WRITE for private writable mappings
    for (let vpn = v.start; vpn < v.end; vpn++) {
      if (mm.killed) return;
      let s = m.ptes.get(mm.pid, vpn);
      if (s < 0 || s === PTE_ZERO) s = fault(m, mm, v, vpn, write, cpuNode, tid, false);
      // populate_vma_page_range()'s GUP faults a device-private page back (migrate_to_ram()).
      else if (m.devicePrivate && isDevicePage(m, s)) s = devicePrivateFault(m, mm, vpn, s, cpuNode, v.policy ?? taskPolicy(mm, tid));
      if (s >= 0) lockPage(m, s);
    }
  }
}

function lockPage(m: Machine, s: number): void {
  const p = m.pages;
  if (p.flags[s] & PF.MLOCKED || m.topo.zoneType[p.zone[s]] === ZoneType.DEVICE) return;
  p.flags[s] |= PF.MLOCKED;
  const head = p.folio[s] >= 0 ? p.folio[s] : s; // a THP moves as one LRU entry
  if (p.lru[head] !== Lru.UNEVICTABLE) { m.lruDel(head); m.lruAdd(head, Lru.UNEVICTABLE); }
  m.counters.addNode(NS.nr_mlock, p.node[s], 1);
  m.counters.ev[EV.unevictable_pgs_mlocked]++;
}

export function munlock(m: Machine, mm: Mm, start: number, end: number): void {
  const p = m.pages;
  splitPartial(m, mm, start, end);
  for (const v of mm.range(start, end, true)) {
    v.flags &= ~VmFlag.LOCKED;
    for (let vpn = v.start; vpn < v.end; vpn++) {
      const s = m.ptes.get(mm.pid, vpn);
      if (s < 0 || !(p.flags[s] & PF.MLOCKED)) continue;
      p.flags[s] &= ~PF.MLOCKED;
      const head = p.folio[s] >= 0 ? p.folio[s] : s;
      if (p.lru[head] === Lru.UNEVICTABLE) { m.lruDel(head); m.lruAdd(head, p.kind[s] === PageKind.FILE ? Lru.INACTIVE_FILE : Lru.INACTIVE_ANON); }
      m.counters.addNode(NS.nr_mlock, p.node[s], -1);
      m.counters.ev[EV.unevictable_pgs_munlocked]++;
    }
  }
}

export function madvise(m: Machine, mm: Mm, start: number, end: number, hugepage: boolean, nohugepage: boolean): void {
  coverRange(mm, start, end);
  splitPartial(m, mm, start, end);
  // MADV_HUGEPAGE registers the mm with khugepaged (khugepaged_enter_vma()).
  if (hugepage && !mm.khugepaged && m.spec.kernel.thp !== 'never') { mm.khugepaged = true; m.khugepaged.register(m, mm); }
  for (const v of mm.range(start, end, true)) {
    if (hugepage) v.flags = (v.flags | VmFlag.HUGEPAGE) & ~VmFlag.NOHUGEPAGE;
    if (nohugepage) v.flags = (v.flags | VmFlag.NOHUGEPAGE) & ~VmFlag.HUGEPAGE;
  }
}

/**
 * pin (FOLL_LONGTERM): fault the page in, migrate it off ZONE_MOVABLE / device memory first
 * (check_and_migrate_movable_pages(): GFP_USER target, so non-movable zones only), then pin.
 */
export function pin(m: Machine, mm: Mm, start: number, end: number, cpuNode: number, tid: number): void {
  const p = m.pages;
  for (let vpn = start; vpn < end; vpn++) {
    if (mm.killed) return;
    const vma = vmaFor(m, mm, vpn);
    let s = m.ptes.get(mm.pid, vpn);
    if (s < 0 || s === PTE_ZERO) s = fault(m, mm, vma, vpn, true, cpuNode, tid, false);
    if (s < 0) continue;
    const zt = m.topo.zoneType[p.zone[s]];
    if (zt === ZoneType.DEVICE) {
      if (!longtermPinDevice(m, mm, s, cpuNode)) continue; // the pin fails
    } else if (zt === ZoneType.MOVABLE) {
      const pl = allocWithPolicy(m, null, -1, p.node[s], ZoneType.NORMAL, GFP_USER_RECLAIM | Gfp.RETRY_MAYFAIL, mm.pid);
      const mode: MigrateMode = { trigger: Trig.longterm_pin, gfp: GFP_USER_RECLAIM, counted: true, cpuNode, pid: mm.pid };
      if (pl.zone < 0) {
        m.counters.ev[EV.pgmigrate_fail]++;
        m.migrations.record(p.space[s], p.index[s], p.node[s], -1, m.now, Trig.longterm_pin, Out.ENOMEM, true);
        continue; // the pin fails
      }
      if (migratePage(m, s, m.topo.zoneNode[pl.zone], mode, pl.zone) !== Out.ok) { m.topo.free[pl.zone]++; continue; }
    }
    p.pincount[s]++;
  }
}

export function unpin(m: Machine, mm: Mm, start: number, end: number): void {
  for (let vpn = start; vpn < end; vpn++) {
    const s = m.ptes.get(mm.pid, vpn);
    if (s >= 0 && m.pages.pincount[s] > 0) m.pages.pincount[s]--;
  }
}

export function exit(m: Machine, mm: Mm, snapshot: () => void): void {
  snapshot();
  mm.exited = true;
  killProcess(m, mm, true);
}

export { NO_MASK };
