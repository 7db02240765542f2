// khugepaged (KERNEL-MODEL §2.11 "khugepaged"; mm/khugepaged.c khugepaged_scan_mm_slot(),
// hpage_collapse_scan_pmd(), collapse_huge_page(), hpage_collapse_find_target_node();
// 4.14-era khugepaged_scan_pmd(), khugepaged_find_target_node()). Woken by trace time every
// scan_sleep_millisecs; each wake scans pages_to_scan PTEs from a cursor over registered mms.
import { allocZone, Gfp } from './alloc.js';
import type { AllocRequest } from './design.js';
import { charge, ChargeMode } from './fault.js';
import type { Machine } from './machine.js';
import { PTE_SWAP, PTE_ZERO } from './machine.js';
import { NO_MASK } from './mempolicy.js';
import { Mm, Rss, VmaKind, VmFlag } from './mm.js';
import { PageKind, PF, Placed } from './pages.js';
import { ZoneType } from './spec.js';
import { isDevicePage, moveToRam } from './zone-device.js';
import { Trig } from './events.js';
import { EV, NS } from './vmstat.js';

export class Khugepaged {
  /** mm_slots in registration order. */
  readonly mms: Mm[] = [];
  private cursorMm = 0;
  private cursorVpn = 0;
  nextWakeNs = Infinity;
  /** 4.x rotates max-load ties to the next tied node after the last target. */
  private lastTarget = -1;
  collapses = 0;

  register(m: Machine, mm: Mm): void {
    if (this.mms.includes(mm) || m.spec.kernel.thp === 'never') return;
    this.mms.push(mm);
    if (this.nextWakeNs === Infinity) {
      this.nextWakeNs = m.now + m.spec.kernel.khugepaged.scanSleepMs * 1e6;
      m.nextTimerNs = Math.min(m.nextTimerNs, this.nextWakeNs);
    }
  }

  /** Runs every wake due by `now`; returns the next wake time. */
  run(m: Machine, now: number): number {
    const k = m.spec.kernel.khugepaged;
    while (this.nextWakeNs <= now) {
      m.now = this.nextWakeNs;
      const failed = this.scan(m);
      this.nextWakeNs += (failed ? k.allocSleepMs : k.scanSleepMs) * 1e6;
    }
    return this.nextWakeNs;
  }

  /** One wake: spend pages_to_scan over the registered mms from the cursor. Returns true on an allocation failure. */
  private scan(m: Machine): boolean {
    const k = m.spec.kernel.khugepaged;
    const n = m.hpageNr;
    let budget = k.pagesToScan;
    let failures = 0;
    for (let visited = 0; budget > 0 && this.mms.length && visited <= this.mms.length; visited++) {
      const mm = this.mms[this.cursorMm % this.mms.length];
      if (mm.killed || mm.exited) { this.mms.splice(this.cursorMm % this.mms.length, 1); this.cursorVpn = 0; continue; }
      for (const v of mm.vmas) {
        if (budget <= 0) break;
        if (v.end <= this.cursorVpn) continue;
        if (!eligibleVma(m, v.kind, v.flags)) { budget--; continue; }
        for (let r = Math.ceil(Math.max(v.start, this.cursorVpn) / n); (r + 1) * n <= v.end && budget > 0; r++) {
          budget -= n;
          this.cursorVpn = (r + 1) * n;
          const out = this.collapseRegion(m, mm, r, (v.flags & VmFlag.LOCKED) !== 0, v.policy?.nodes ?? 0);
          if (out === 'alloc-failed' && ++failures >= 2) return true;
        }
      }
      if (budget > 0) { this.cursorMm++; this.cursorVpn = 0; }
    }
    return failures > 0;
  }

  /** hpage_collapse_scan_pmd() then collapse_huge_page() for one PMD-sized region. */
  private collapseRegion(m: Machine, mm: Mm, r: number, locked: boolean, policyNodes: number): string {
    const k = m.spec.kernel.khugepaged;
    const n = m.hpageNr;
    const p = m.pages;
    const is612 = m.spec.kernel.model === '6.12';
    if (m.thpRegions.get(mm.pid, r, -1) !== -1 || m.pgtables.get(mm.pid, r * 4) < 0) return 'not-pte';
    let none = 0, unmapped = 0, shared = 0, referenced = 0, writable = false;
    const load = new Float64Array(m.topo.nodeCount);
    for (let i = 0; i < n; i++) {
      const e = m.ptes.get(mm.pid, r * n + i);
      if (e === PTE_SWAP) {
        if (++unmapped > k.maxPtesSwap) { m.counters.ev[EV.thp_scan_exceed_swap_pte]++; return 'swap'; }
        continue;
      }
      if (e < 0 || e === PTE_ZERO) {
        if (++none > k.maxPtesNone) { m.counters.ev[EV.thp_scan_exceed_none_pte]++; return 'none'; }
        continue;
      }
      // A device-private page is a swap entry to the CPU's page table (non-present): it counts
      // against max_ptes_swap and a collapse faults it back (swapin -> migrate_to_ram()).
      if (m.devicePrivate && isDevicePage(m, e)) {
        if (++unmapped > k.maxPtesSwap) { m.counters.ev[EV.thp_scan_exceed_swap_pte]++; return 'swap'; }
        continue;
      }
      if (p.kind[e] !== PageKind.ANON || !m.design.numaScanPage(p.node[e], p.zone[e]) ||
          m.topo.zoneType[p.zone[e]] === ZoneType.DEVICE || p.pincount[e] > 0 || p.folio[e] >= 0) return 'page';
      if (p.mapcount[e] > 1) {
        if (!is612 || ++shared > k.maxPtesShared) { m.counters.ev[EV.thp_scan_exceed_share_pte]++; return 'shared'; }
      }
      load[p.node[e]]++;
      writable = true; // private anon mappings are writable
      if (p.flags[e] & (PF.YOUNG | PF.REFERENCED)) referenced++;
    }
    const collapse = is612 ? writable && referenced >= 1 && (unmapped === 0 || referenced >= n / 2)
      : writable && referenced >= n / 2;
    if (!collapse) return 'cold';
    const target = this.targetNode(m, load, is612);
    const zone = this.allocTarget(m, target, load, is612, mm.pid);
    if (zone < 0) { m.counters.ev[EV.thp_collapse_alloc_failed]++; return 'alloc-failed'; }
    // The new folio is charged; the old pages' charges go with them, so the net is the holes.
    const swapped = unmapped - this.devicePages(m, mm, r);
    if (!charge(m, mm, none + swapped, PageKind.ANON, mm.cpuNode, ChargeMode.NO_OOM)) {
      m.topo.free[zone] += n;
      m.counters.ev[EV.pgfree] += n;
      return 'charge';
    }
    m.counters.ev[EV.thp_collapse_alloc]++;
    // Pages the VMA policy asked for on that node stay "requested"; others were put there by khugepaged.
    const named = ((policyNodes >>> m.topo.ids[m.topo.zoneNode[zone]]) & 1) === 1;
    this.install(m, mm, r, zone, locked, named ? Placed.REQUESTED : Placed.KHUGEPAGED);
    this.collapses++;
    return 'collapsed';
  }

  private devicePages(m: Machine, mm: Mm, r: number): number {
    let n = 0;
    for (let i = 0; i < m.hpageNr; i++) {
      const e = m.ptes.get(mm.pid, r * m.hpageNr + i);
      if (e >= 0 && isDevicePage(m, e)) n++;
    }
    return n;
  }

  /** 6.12: the lowest node id with the most pages; 4.x: ties rotate after the last target. */
  private targetNode(m: Machine, load: Float64Array, is612: boolean): number {
    let max = 0;
    for (const l of load) max = Math.max(max, l);
    const tied: number[] = [];
    load.forEach((l, i) => { if (l === max) tied.push(i); });
    if (is612 || tied.length === 1) return tied[0];
    const next = tied.find((i) => i > this.lastTarget) ?? tied[0];
    this.lastTarget = next;
    return next;
  }

  /** GFP_TRANSHUGE (one direct-reclaim pass, no kswapd, no OOM): 6.12 FALLBACK(t) ∩ max-load nodes, 4.x THISNODE. */
  private allocTarget(m: Machine, target: number, load: Float64Array, is612: boolean, pid: number): number {
    let mask = 0;
    if (is612) {
      const max = Math.max(...load);
      load.forEach((l, i) => { if (l === max) mask = (mask | (1 << m.topo.ids[i])) >>> 0; });
    }
    const r: AllocRequest = {
      gfp: Gfp.DIRECT_RECLAIM | Gfp.NORETRY | (is612 ? 0 : Gfp.THISNODE), nid: target,
      nodemask: is612 ? mask : NO_MASK, highestZone: ZoneType.MOVABLE, cpuNode: target, cpusetMask: false,
    };
    return allocZone(m, r, pid, m.hpageNr);
  }

  /** Copies the region into the new THP: old pages freed, holes filled, swap entries read back. */
  private install(m: Machine, mm: Mm, r: number, zone: number, locked: boolean, newPlaced: number): void {
    const n = m.hpageNr;
    const p = m.pages;
    const to = m.topo.zoneNode[zone];
    const slots: number[] = [];
    for (let i = 0; i < n; i++) {
      const vpn = r * n + i;
      let e = m.ptes.get(mm.pid, vpn);
      if (e >= 0 && isDevicePage(m, e)) {
        m.topo.free[zone]++; // device-private: faulted back into the new folio
        moveToRam(m, e, zone, Trig.khugepaged);
        m.topo.free[zone]--;
        m.lruDel(e);
      } else if (e >= 0) {
        m.topo.free[zone]++; // the page moves into the new folio: movePage() frees its old frame
        const placed = p.node[e] === to ? p.placed[e] : newPlaced;
        m.movePage(e, zone, placed);
        m.topo.free[zone]--;
        m.lruDel(e);
      } else {
        if (e === PTE_SWAP) {
          m.counters.ev[EV.pswpin]++;
          m.swapUsed--;
          mm.rss[Rss.SWAPENTS]--;
        }
        m.ptes.delete(mm.pid, vpn);
        e = m.installPage(zone, PageKind.ANON, mm.pid, vpn, mm.memcg, newPlaced, locked, -2);
        m.ptes.set(mm.pid, vpn, e);
        p.mapcount[e] = 1;
        mm.rss[Rss.ANON]++;
      }
      slots.push(e);
    }
    const head = slots[0];
    for (const s of slots) p.setFolio(s, head);
    m.lruAdd(head, m.newLru(PageKind.ANON, locked));
    m.thpRegions.set(mm.pid, r, head);
    m.counters.addNode(NS.nr_anon_transparent_hugepages, to, 1);
  }
}

function eligibleVma(m: Machine, kind: number, flags: number): boolean {
  const mode = m.spec.kernel.thp;
  if (kind !== VmaKind.ANON || flags & VmFlag.NOHUGEPAGE) return false;
  return mode === 'always' || (mode === 'madvise' && (flags & VmFlag.HUGEPAGE) !== 0);
}
