// Generic page migration (KERNEL-MODEL §2.7; mm/migrate.c migrate_pages(), do_pages_move()) and
// the mechanism of a driver's migrate_vma-style move, which bumps no vmstat counter (§2.10).
import { allocOnNode, Gfp, GFP_USER_RECLAIM } from './alloc.js';
import { Out, Trig } from './events.js';
import type { Machine } from './machine.js';
import { PTE_SWAP, PTE_ZERO } from './machine.js';
import { Mm } from './mm.js';
import { PageKind, PF, Placed } from './pages.js';
import { ZoneType } from './spec.js';
import { folioSlots, splitFolio } from './thp.js';
import { EV, NS } from './vmstat.js';

const PLACED_BY_TRIGGER: Record<number, number> = {
  [Trig.numa_balancing]: Placed.NUMA_BALANCING,
  [Trig.demotion]: Placed.DEMOTION,
  [Trig.longterm_pin]: Placed.LONGTERM_PIN,
  [Trig.khugepaged]: Placed.KHUGEPAGED,
};

/** Why a migrate_pages() target allocation is made the way it is. */
export interface MigrateMode {
  trigger: number;
  /** gfp of the target allocation (always single-node here). */
  gfp: number;
  /** Counts pgmigrate_success / pgmigrate_fail (migrate_pages) or nothing (migrate_vma). */
  counted: boolean;
  /** Node position of the CPU doing the work (numa_local / numa_other of the target page). */
  cpuNode: number;
  pid: number;
}

/**
 * Moves one resident page to node position `to`. Returns 0 (Out.ok) or a failure outcome. A page
 * already on `to` is neither moved nor failed (returns -1).
 */
export function migratePage(m: Machine, s: number, to: number, mode: MigrateMode, allocZone?: number): number {
  const p = m.pages;
  const from = p.node[s];
  if (from === to && allocZone === undefined) return -1;
  if (p.folio[s] >= 0) return migrateThp(m, p.folio[s], s, to, mode);
  let outcome: number = Out.ok;
  let zone = -1;
  if (p.pincount[s] > 0) outcome = Out.pinned; // folio_expected_refs() mismatch: -EAGAIN until it gives up
  else {
    zone = allocZone ?? allocOnNode(m, to, mode.gfp, mode.cpuNode, mode.pid);
    if (zone < 0) outcome = Out.ENOMEM;
  }
  const c = m.counters.ev;
  if (outcome !== Out.ok) {
    if (mode.counted) c[EV.pgmigrate_fail]++;
    m.migrations.record(p.space[s], p.index[s], from, to, m.now, mode.trigger, outcome, mode.counted);
    return outcome;
  }
  const mlocked = (p.flags[s] & PF.MLOCKED) !== 0;
  if (mlocked) m.counters.addNode(NS.nr_mlock, from, -1);
  m.movePage(s, zone, PLACED_BY_TRIGGER[mode.trigger] ?? Placed.MIGRATE);
  if (mlocked) m.counters.addNode(NS.nr_mlock, m.topo.zoneNode[zone], 1);
  if (p.kind[s] !== PageKind.ANON && p.mapcount[s] > 0) {
    m.counters.addNode(NS.nr_mapped, from, -1);
    m.counters.addNode(NS.nr_mapped, m.topo.zoneNode[zone], 1);
  }
  // remove_migration_ptes() maps the new page with the VMA's normal protection.
  p.flags[s] &= ~PF.PROTNONE;
  if (mode.counted) c[EV.pgmigrate_success]++;
  m.migrations.record(p.space[s], p.index[s], from, m.topo.zoneNode[zone], m.now, mode.trigger, Out.ok, mode.counted);
  return Out.ok;
}

/**
 * A page of a THP (KERNEL-MODEL §2.11 "Migration"). 6.12 moves the folio whole when an order-9
 * page is free on the target; otherwise NUMA balancing leaves it (pgmigrate_fail += 512) and the
 * others split it and try each base page. 4.11 splits first for explicit migrations and moves only
 * the named page; its NUMA hint fault moves the THP whole (migrate_misplaced_transhuge_page()).
 */
function migrateThp(m: Machine, head: number, s: number, to: number, mode: MigrateMode): number {
  const p = m.pages;
  const c = m.counters.ev;
  const numa = mode.trigger === Trig.numa_balancing;
  if (m.spec.kernel.model === '4.11' && !numa) {
    splitFolio(m, head);
    return migratePage(m, s, to, mode);
  }
  const slots = folioSlots(m, head);
  const pinned = slots.some((x) => x >= 0 && p.pincount[x] > 0);
  const zone = pinned ? -1 : allocOnNode(m, to, mode.gfp, mode.cpuNode, mode.pid, m.hpageNr);
  if (zone < 0) {
    c[EV.thp_migration_fail]++;
    if (numa || pinned) {
      const why = pinned ? Out.pinned : Out.ENOMEM;
      for (const x of slots) {
        if (mode.counted) c[EV.pgmigrate_fail]++;
        m.migrations.record(p.space[x], p.index[x], p.node[x], to, m.now, mode.trigger, why, mode.counted);
      }
      return why;
    }
    splitFolio(m, head);
    c[EV.thp_migration_split]++;
    return migratePage(m, s, to, mode);
  }
  // The order-9 page is taken; each base page then moves into it (pgfree per base page).
  const from = p.node[head];
  m.topo.free[zone] += m.hpageNr;
  for (const x of slots) {
    m.topo.free[zone]--;
    const mlocked = (p.flags[x] & PF.MLOCKED) !== 0;
    if (mlocked) m.counters.addNode(NS.nr_mlock, from, -1);
    m.movePage(x, zone, PLACED_BY_TRIGGER[mode.trigger] ?? Placed.MIGRATE);
    if (mlocked) m.counters.addNode(NS.nr_mlock, m.topo.zoneNode[zone], 1);
    p.flags[x] &= ~PF.PROTNONE;
    if (mode.counted) c[EV.pgmigrate_success]++;
    m.migrations.record(p.space[x], p.index[x], from, m.topo.zoneNode[zone], m.now, mode.trigger, Out.ok, mode.counted);
  }
  m.counters.addNode(NS.nr_anon_transparent_hugepages, from, -1);
  m.counters.addNode(NS.nr_anon_transparent_hugepages, m.topo.zoneNode[zone], 1);
  if (mode.counted) c[EV.thp_migration_success]++;
  return Out.ok;
}

/**
 * move_pages(2) over [start, end) of `mm` to node position `to` (do_pages_move()). The call-level
 * check comes first: when the design refuses the node, every page fails with that errno.
 */
export function movePages(m: Machine, mm: Mm, start: number, end: number, to: number, moveAll: boolean, cpuNode: number): void {
  const topo = m.topo;
  const errno = m.design.moveTargetError(topo.ids[to], topo.inNMemory[to]);
  const mode: MigrateMode = { trigger: Trig.move_pages, gfp: GFP_USER_RECLAIM | Gfp.THISNODE, counted: true, cpuNode, pid: mm.pid };
  for (let vpn = start; vpn < end; vpn++) {
    if (errno) { failPage(m, mm, vpn, to, Trig.move_pages, Out[errno as keyof typeof Out] ?? Out.EINVAL); continue; }
    const vma = mm.find(vpn);
    // add_page_for_migration(): no VMA or !vma_migratable() -> status -EFAULT.
    if (!vma || !(m.design.vmaMigratable?.(vma) ?? true)) { failPage(m, mm, vpn, to, Trig.move_pages, Out.EFAULT); continue; }
    const e = m.ptes.get(mm.pid, vpn);
    if (e === PTE_ZERO) { failPage(m, mm, vpn, to, Trig.move_pages, Out.EFAULT); continue; }
    if (e < 0 || e === PTE_SWAP) { failPage(m, mm, vpn, to, Trig.move_pages, Out.ENOENT); continue; }
    // A ZONE_DEVICE page: 6.12 add_page_for_migration() skips zone-device folios (-ENOENT); 4.14
    // found a public page but could not isolate it from an LRU (-EBUSY) (KERNEL-MODEL §8 row 6).
    if (m.topo.zoneType[m.pages.zone[e]] === ZoneType.DEVICE) {
      failPage(m, mm, vpn, to, Trig.move_pages, Out[m.design.zoneDevice?.movePagesErrno ?? 'ENOENT']);
      continue;
    }
    if (m.pages.mapcount[e] > 1 && !moveAll) { failPage(m, mm, vpn, to, Trig.move_pages, Out.EACCES); continue; }
    migratePage(m, e, to, mode);
  }
}

/** Records a page that a migration request could not even try (call- or status-level errno). */
export function failPage(m: Machine, mm: Mm, vpn: number, to: number, trigger: number, outcome: number): void {
  const e = m.ptes.get(mm.pid, vpn);
  const from = e >= 0 ? m.pages.node[e] : -1;
  const space = e >= 0 ? m.pages.space[e] : mm.pid;
  const index = e >= 0 ? m.pages.index[e] : vpn;
  m.migrations.record(space, index, from, to, m.now, trigger, outcome, false);
}
