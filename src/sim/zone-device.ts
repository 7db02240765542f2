// ZONE_DEVICE device memory (KERNEL-MODEL §3.1-3.4): a driver-managed pool of struct pages owned
// by a host CPU node, in no zonelist, never allocated by the buddy allocator, never on an LRU.
// This module holds the pool (the driver's allocation and its optional eviction) and the two page
// moves every HMM path is made of: system RAM -> device (migrate_vma_pages()) and device -> RAM
// (migrate_to_ram(), a driver's migrate back, a long-term pin). None bumps a vmstat counter
// (mm/migrate_device.c has no count_vm_event, §2.10): they are reported through the migration log.
import { allocWithPolicy, Gfp, GFP_USER_RECLAIM } from './alloc.js';
import { Out, Trig } from './events.js';
import type { Machine } from './machine.js';
import { MemPolicy } from './mempolicy.js';
import { Mm, VmFlag } from './mm.js';
import { Lru, PageKind, PF, Placed } from './pages.js';
import { ZoneType } from './spec.js';
import { EV, NS } from './vmstat.js';

/** folio_is_zone_device(). */
export const isDevicePage = (m: Machine, s: number): boolean => m.topo.zoneType[m.pages.zone[s]] === ZoneType.DEVICE;

/**
 * The driver's list of its pages in arrival order. Drivers keep such lists in page->lru, which the
 * kernel leaves to them ("the lru pointer of struct page are use to store device specific
 * informations", HMM-CDM cover); here entries are deleted lazily: one is live while its slot still
 * holds that arrival on that pool.
 */
interface PoolList { slot: number[]; seq: number[]; head: number; last: Map<number, number>; next: number }
const lists = new WeakMap<Machine, PoolList[]>();

function listOf(m: Machine, pos: number): PoolList {
  let all = lists.get(m);
  if (!all) {
    all = m.spec.nodes.map(() => ({ slot: [], seq: [], head: 0, last: new Map(), next: 0 }));
    lists.set(m, all);
  }
  return all[pos];
}

const live = (m: Machine, l: PoolList, i: number, pos: number): boolean =>
  l.last.get(l.slot[i]) === l.seq[i] && m.pages.node[l.slot[i]] === pos && isDevicePage(m, l.slot[i]);

/** Notes that slot `s` arrived in the pool of node position `pos`. */
export function poolArrived(m: Machine, s: number, pos: number): void {
  const l = listOf(m, pos);
  const seq = l.next++;
  l.last.set(s, seq);
  l.slot.push(s);
  l.seq.push(seq);
  // Compact once stale entries dominate, so memory follows the pool, not the trace.
  const z = m.topo.poolZone[pos];
  if (l.slot.length - l.head > 2 * m.topo.managed[z] + 1024) {
    const keep: number[] = [];
    for (let i = l.head; i < l.slot.length; i++) if (live(m, l, i, pos)) keep.push(i);
    l.slot = keep.map((i) => l.slot[i]);
    l.seq = keep.map((i) => l.seq[i]);
    l.head = 0;
  }
}

/**
 * The destination a driver's alloc_and_copy() gives one page: a free page of the pool at node
 * position `pos`, after evicting its oldest page to RAM when the design's driver does that; -1 when
 * it gives none (dst = 0, "no-dst", §3.2). `cpuNode` runs the driver's work.
 */
export function poolTake(m: Machine, pos: number, cpuNode: number): number {
  const z = m.topo.poolZone[pos];
  if (z < 0) return -1;
  if (m.topo.free[z] <= 0 && !(m.design.zoneDevice?.evict === 'lru' && evictOldest(m, pos, cpuNode))) return -1;
  m.topo.free[z]--;
  const used = m.topo.managed[z] - m.topo.free[z];
  if (used > m.peakUsed[pos]) m.peakUsed[pos] = used;
  return z;
}

/** Driver eviction: the oldest page of the pool goes back to RAM under its VMA policy. */
function evictOldest(m: Machine, pos: number, cpuNode: number): boolean {
  const l = listOf(m, pos);
  while (l.head < l.slot.length) {
    const i = l.head++;
    if (!live(m, l, i, pos)) continue;
    const s = l.slot[i];
    const { mm, pol, ilx } = ramPolicy(m, s);
    const pl = allocWithPolicy(m, pol, ilx, cpuNode, ZoneType.MOVABLE, GFP_USER_RECLAIM, mm?.pid ?? -1);
    if (pl.zone < 0) {
      l.head--; // stays the oldest; the page asking for room fails "no-dst"
      return false;
    }
    moveToRam(m, s, pl.zone, Trig.driver);
    return true;
  }
  return false;
}

/** alloc_page_vma()'s policy for page `s`: its VMA's, else its task's (anon); page cache: none. */
function ramPolicy(m: Machine, s: number): { mm: Mm | undefined; pol: MemPolicy | null; ilx: number } {
  const p = m.pages;
  if (p.kind[s] !== PageKind.ANON) return { mm: undefined, pol: null, ilx: -1 };
  const mm = m.mms.get(p.space[s]);
  const vma = mm?.find(p.index[s]);
  if (!mm || !vma) return { mm, pol: null, ilx: -1 };
  return { mm, pol: vma.policy ?? mm.taskPolicy, ilx: vma.pgoff + (p.index[s] - vma.start) };
}

/**
 * A system page moves into pool zone `zone` (migrate_vma_pages() + finalize): off its LRU for good,
 * PG_mlocked dropped (mlock cannot hold device pages, §3.7), charge, rss and MM_* counters kept.
 */
export function moveToDevice(m: Machine, s: number, zone: number, trigger: number): void {
  const p = m.pages;
  const from = p.node[s];
  if (p.flags[s] & PF.MLOCKED) {
    p.flags[s] &= ~PF.MLOCKED;
    m.counters.addNode(NS.nr_mlock, from, -1);
  }
  p.flags[s] &= ~PF.PROTNONE;
  m.movePage(s, zone, Placed.MIGRATE); // lruAdd() never lists a ZONE_DEVICE page
  moveMapped(m, s, from);
  poolArrived(m, s, p.node[s]);
  m.migrations.record(p.space[s], p.index[s], from, p.node[s], m.now, trigger, Out.ok, false);
}

/**
 * A device page moves to RAM zone `zone` (migrate_to_ram(), a driver's migrate to system,
 * migrate_device_coherent_folio()): the old page goes back to the pool through page_free() (no
 * pgfree), the new one joins an LRU, mlocked again under a VM_LOCKED mapping (§3.7).
 */
export function moveToRam(m: Machine, s: number, zone: number, trigger: number): void {
  const p = m.pages;
  const from = p.node[s];
  m.movePage(s, zone, Placed.MIGRATE);
  const to = p.node[s];
  moveMapped(m, s, from);
  const { mm } = ramPolicy(m, s);
  const locked = mm !== undefined && ((mm.find(p.index[s])?.flags ?? 0) & VmFlag.LOCKED) !== 0;
  if (locked) {
    p.flags[s] |= PF.MLOCKED;
    m.counters.addNode(NS.nr_mlock, to, 1);
    m.counters.ev[EV.unevictable_pgs_mlocked]++;
  }
  m.lruAdd(s, locked ? Lru.UNEVICTABLE : p.kind[s] === PageKind.FILE ? Lru.INACTIVE_FILE : Lru.INACTIVE_ANON);
  m.migrations.record(p.space[s], p.index[s], from, to, m.now, trigger, Out.ok, false);
}

function moveMapped(m: Machine, s: number, from: number): void {
  const p = m.pages;
  if (p.kind[s] === PageKind.ANON || p.mapcount[s] === 0) return;
  m.counters.addNode(NS.nr_mapped, from, -1);
  m.counters.addNode(NS.nr_mapped, p.node[s], 1);
}

/**
 * do_swap_page() on a device-private entry -> pgmap->ops->migrate_to_ram() (4.14: page_fault):
 * the driver migrates `faultBackPages` pages of the aligned block around the fault (the faulting
 * one first) with alloc_page_vma(GFP_HIGHUSER_MOVABLE) under `pol` from the faulting CPU's node
 * (test_hmm dmirror_devmem_fault: one page). Counts pgfault (never pgmajfault). Returns the slot,
 * or -1 when no RAM page was found: the page stays on the device and the access is retried.
 */
export function devicePrivateFault(m: Machine, mm: Mm, vpn: number, s: number, cpuNode: number, pol: MemPolicy | null): number {
  m.counters.ev[EV.pgfault]++;
  m.deviceFaultBacks++;
  const vma = mm.find(vpn)!;
  const n = Math.max(1, m.design.zoneDevice?.faultBackPages ?? 1);
  const lo = Math.max(vma.start, Math.floor(vpn / n) * n);
  const hi = Math.min(vma.end, lo + n);
  const pool = m.pages.zone[s];
  for (let i = -1; i < hi - lo; i++) {
    const v = i < 0 ? vpn : lo + i;
    if (i >= 0 && v === vpn) continue;
    const x = m.ptes.get(mm.pid, v);
    if (x < 0 || m.pages.zone[x] !== pool) continue;
    const pl = allocWithPolicy(m, pol, vma.pgoff + (v - vma.start), cpuNode, ZoneType.MOVABLE, GFP_USER_RECLAIM, mm.pid);
    if (pl.zone < 0 || mm.killed) {
      m.migrations.record(m.pages.space[x], m.pages.index[x], m.pages.node[x], -1, m.now, Trig.fault_back, Out.ENOMEM, false);
      if (v === vpn) return -1;
      break;
    }
    moveToRam(m, x, pl.zone, Trig.fault_back);
  }
  return s;
}

/**
 * GUP with FOLL_LONGTERM on a device page (§3.4, hmm-tests hmm_gup_test): a device-private page is
 * faulted back (handle_mm_fault() -> migrate_to_ram(), a CPU fault), a coherent (or public) one is
 * moved by migrate_device_coherent_folio() with alloc_page(GFP_USER): a non-movable RAM zone. False
 * when no RAM page was found (the pin fails).
 */
export function longtermPinDevice(m: Machine, mm: Mm, s: number, cpuNode: number): boolean {
  if (m.devicePrivate) {
    m.counters.ev[EV.pgfault]++;
    m.deviceFaultBacks++;
  }
  const pl = allocWithPolicy(m, null, -1, cpuNode, ZoneType.NORMAL, GFP_USER_RECLAIM | Gfp.RETRY_MAYFAIL, mm.pid);
  if (pl.zone < 0) {
    m.migrations.record(m.pages.space[s], m.pages.index[s], m.pages.node[s], -1, m.now, Trig.longterm_pin, Out.ENOMEM, false);
    return false;
  }
  moveToRam(m, s, pl.zone, Trig.longterm_pin);
  return true;
}
