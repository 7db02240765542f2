// migrate_vma (KERNEL-MODEL §3.3, §2.11 "migrate_vma"; mm/migrate_device.c migrate_vma_setup() =
// collect + unmap, migrate_vma_pages(), migrate_vma_finalize(); 2017: mm/migrate.c migrate_vma()
// of HMM v25 with alloc_and_copy()/finalize_and_map()). The per-page outcome is a pure function of
// what the kernel sees at the address; the driver's `migrate` of a range to its pool or back to
// system RAM uses it. No vmstat counter is touched (§2.10): the migration log (trigger `driver`).
import { allocOnNode, GFP_USER_RECLAIM } from './alloc.js';
import { Out, Trig } from './events.js';
import { ChargeMode, populateAnon } from './fault.js';
import type { Machine } from './machine.js';
import { PTE_NONE, PTE_SWAP, PTE_ZERO } from './machine.js';
import { failPage } from './migrate.js';
import { Mm, Vma, VmaKind } from './mm.js';
import { Lru, PageKind, Placed } from './pages.js';
import { breakHugeZero, regionOf, splitFolio } from './thp.js';
import { isDevicePage, moveToDevice, moveToRam, poolArrived, poolTake } from './zone-device.js';

/** What migrate_vma finds at one address of its range. */
export interface VmaPageFacts {
  /** The PTE: none (a hole), the zero page, a swap entry, a system (RAM) page or a ZONE_DEVICE page. */
  entry: 'none' | 'zero' | 'swap' | 'system' | 'device';
  /** A device page in the destination's own pool (pgmap owner matches). */
  ownPool: boolean;
  /** vma_is_anonymous(). */
  anonVma: boolean;
  /** The page has a mapping that is not anon: page cache or shmem (MAP_SHARED anon is shmem). */
  file: boolean;
  /** Still a large folio after any split attempt. */
  compound: boolean;
  /** page->mapping != NULL. */
  hasMapping: boolean;
  /** folio_trylock() succeeded (migrate_vma never waits). */
  locked: boolean;
  /** An exclusive anon page could be made shared for the unmap. */
  exclusiveShareOk: boolean;
  /** folio_isolate_lru() succeeded (after one lru_add_drain_all()). */
  onLru: boolean;
  /** try_to_migrate() removed every mapping. */
  unmapped: boolean;
  /** refcount - extra > mapcount (a GUP pin). */
  pinned: boolean;
}

/** Outcome of an address already in the destination pool: neither moved nor failed. */
export const SKIP = -1;

/**
 * migrate_vma_setup() for one address: Out.ok when it is selected (MIGRATE_PFN_MIGRATE) and
 * unmapped, SKIP, or the failure reason. Holes are selected in anonymous VMAs only
 * (migrate_vma_collect_hole()); anything not collected has src = 0, which hmm-tests' migrate_shared
 * sees as -ENOENT; MIGRATE_VMA_SELECT_SYSTEM never selects another owner's device page.
 */
export function migrateVmaCollect(f: VmaPageFacts): number {
  if (f.entry === 'none' || f.entry === 'zero') return f.anonVma ? Out.ok : Out.ENOENT;
  if (f.entry === 'swap') return Out.ENOENT;
  if (f.entry === 'device') return f.ownPool ? SKIP : Out.ENOENT;
  if (f.compound) return Out.thp; // split failed, or not attempted (HMM v2x: "FIXME support THP")
  if (!f.hasMapping) return Out['no-mapping'];
  if (!f.locked) return Out.locked;
  if (!f.exclusiveShareOk) return Out['anon-exclusive-share'];
  if (!f.onLru) return Out.isolate; // migrate_vma_unmap()
  if (!f.unmapped) return Out['still-mapped'];
  if (f.pinned) return Out.pinned; // migrate_vma_check_page(): refcount - extra > mapcount
  return Out.ok;
}

/**
 * migrate_vma_pages() for a selected address: the driver gave a destination or not (pool full,
 * dst = 0), only anonymous memory may enter device private/coherent memory (public-2017: "Anything
 * can be migrated to a device cache coherent page", HMM-CDM 1/3), folio_migrate_mapping() rechecks
 * the references.
 */
export function migrateVmaPages(f: VmaPageFacts, dst: boolean, fileToDevice: boolean, refsOk = true): number {
  if (!dst) return Out['no-dst'];
  if (f.file && !fileToDevice) return Out['file-to-device'];
  if (!refsOk) return Out.mapping;
  return Out.ok;
}

/** Both stages, as one pure function (the driver's allocation given as `dst`). */
export function migrateVmaOutcome(f: VmaPageFacts, dst: boolean, fileToDevice: boolean): number {
  const c = migrateVmaCollect(f);
  return c === Out.ok ? migrateVmaPages(f, dst, fileToDevice) : c;
}

const facts: VmaPageFacts = {
  entry: 'none', ownPool: false, anonVma: true, file: false, compound: false, hasMapping: true, locked: true,
  exclusiveShareOk: true, onLru: true, unmapped: true, pinned: false,
};

/**
 * What the simulator knows about (mm, vpn). A replay has no concurrent lock holders or racing
 * references, so trylock, the exclusive-share step, unmapping and the mapping recheck succeed.
 */
function factsAt(m: Machine, vma: Vma, e: number, pool: number): VmaPageFacts {
  const p = m.pages;
  facts.anonVma = vma.kind === VmaKind.ANON;
  facts.entry = e === PTE_NONE ? 'none' : e === PTE_ZERO ? 'zero' : e === PTE_SWAP ? 'swap' : isDevicePage(m, e) ? 'device' : 'system';
  if (e < 0) {
    facts.ownPool = facts.file = facts.compound = facts.pinned = false;
    facts.onLru = true;
    return facts;
  }
  facts.ownPool = p.zone[e] === m.topo.poolZone[pool];
  facts.file = p.kind[e] !== PageKind.ANON;
  facts.compound = p.folio[e] >= 0;
  facts.onLru = p.lru[p.folio[e] >= 0 ? p.folio[e] : e] !== Lru.NONE;
  facts.pinned = p.pincount[e] > 0;
  return facts;
}

/**
 * A driver's charge is not a user fault: 4.x mem_cgroup_oom() only OOM-kills when memcg_may_oom
 * (set in handle_mm_fault()), so it fails with ENOMEM; since 4.19 the charge path OOM-kills.
 */
const driverChargeMode = (m: Machine): number => (m.spec.kernel.model === '4.11' ? ChargeMode.NO_OOM : ChargeMode.NORMAL);

/**
 * A device agent's `migrate` of [start, end) under a ZONE_DEVICE design: to node position `to`'s
 * pool when it is device memory, else back to system RAM on `to`. `cpuNode` runs the driver.
 */
export function migrateVmaRange(m: Machine, mm: Mm, start: number, end: number, to: number, cpuNode: number): void {
  if (m.topo.poolZone[to] >= 0) toDevice(m, mm, start, end, to, cpuNode);
  else toSystem(m, mm, start, end, to, cpuNode);
}

function toDevice(m: Machine, mm: Mm, start: number, end: number, pool: number, cpuNode: number): void {
  const rules = m.design.zoneDevice!;
  const p = m.pages;
  for (let vpn = start; vpn < end; vpn++) {
    if (mm.killed) return;
    const vma = mm.find(vpn);
    if (!vma) { failPage(m, mm, vpn, pool, Trig.driver, Out.EFAULT); continue; }
    let e = m.ptes.get(mm.pid, vpn);
    // 6.12 migrate_vma_collect_pmd(): a PMD THP (or the huge zero page) is split first, each 4 KiB
    // page then goes its own way (thp_split_page/pmd +1); the HMM v2x snapshot collects it as src = 0.
    if (e === PTE_NONE && m.thpRegions.size && m.thpRegions.get(mm.pid, regionOf(m, vpn), -1) === PTE_ZERO) {
      if (rules.thp === 'skip') { failPage(m, mm, vpn, pool, Trig.driver, Out.thp); continue; }
      breakHugeZero(m, mm, regionOf(m, vpn));
      e = m.ptes.get(mm.pid, vpn);
    }
    if (e >= 0 && p.folio[e] >= 0 && rules.thp === 'split') splitFolio(m, p.folio[e]);
    const f = factsAt(m, vma, e, pool);
    let out = migrateVmaCollect(f);
    if (out === SKIP) continue;
    let zone = -1;
    if (out === Out.ok) {
      zone = poolTake(m, pool, cpuNode);
      out = migrateVmaPages(f, zone >= 0, rules.fileToDevice);
    }
    if (out !== Out.ok) {
      if (zone >= 0) m.topo.free[zone]++; // the driver frees its unused destination
      failPage(m, mm, vpn, pool, Trig.driver, out);
      continue;
    }
    if (e >= 0) { moveToDevice(m, e, zone, Trig.driver); continue; }
    // migrate_vma_insert_page(): the hole is populated on the device, charged, MM_ANONPAGES + 1.
    const s = populateAnon(m, mm, vma, vpn, zone, Placed.MIGRATE, cpuNode, driverChargeMode(m));
    if (s < 0) { failPage(m, mm, vpn, pool, Trig.driver, Out.ENOMEM); continue; }
    poolArrived(m, s, pool);
    m.migrations.record(mm.pid, vpn, -1, pool, m.now, Trig.driver, Out.ok, false);
  }
}

/**
 * Migration to system memory (test_hmm dmirror_migrate_to_system(), flags
 * MIGRATE_VMA_SELECT_DEVICE_PRIVATE or _COHERENT): device pages move to node `to`; holes have no
 * source to copy; a system page elsewhere is not selected (ENOENT: only the kernel moves RAM pages).
 */
function toSystem(m: Machine, mm: Mm, start: number, end: number, to: number, cpuNode: number): void {
  const p = m.pages;
  for (let vpn = start; vpn < end; vpn++) {
    if (mm.killed) return;
    if (!mm.find(vpn)) { failPage(m, mm, vpn, to, Trig.driver, Out.EFAULT); continue; }
    const e = m.ptes.get(mm.pid, vpn);
    if (e < 0 || p.node[e] === to) continue;
    if (!isDevicePage(m, e)) { failPage(m, mm, vpn, to, Trig.driver, Out.ENOENT); continue; }
    const zone = allocOnNode(m, to, GFP_USER_RECLAIM, cpuNode, mm.pid);
    if (zone < 0) { failPage(m, mm, vpn, to, Trig.driver, Out.ENOMEM); continue; }
    moveToRam(m, e, zone, Trig.driver);
  }
}

/**
 * A device's first touch of an anon hole when its driver allocates device memory on device faults
 * (hmm.deviceFirstTouch = device; a migrate_vma over the hole). Returns the slot, or -1 when the
 * pool gives no page (the CPU-side path then serves the touch).
 */
export function deviceFirstTouch(m: Machine, mm: Mm, vma: Vma, vpn: number, pool: number, cpuNode: number): number {
  const zone = poolTake(m, pool, cpuNode);
  if (zone < 0) return -1;
  const s = populateAnon(m, mm, vma, vpn, zone, Placed.DEVICE_TOUCH, cpuNode, driverChargeMode(m));
  if (s >= 0) poolArrived(m, s, pool);
  return s;
}
