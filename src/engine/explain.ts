// `explain`: the life of watched pages under one backend, from the core's watch log, the migration
// log and the final page state with each kernel observable's view of it (DESIGN §4, issue: reports).
import { OUTCOMES, TRIGGERS } from '../sim/events.js';
import type { Machine } from '../sim/machine.js';
import { PTE_SWAP, PTE_ZERO } from '../sim/machine.js';
import { PF } from '../sim/pages.js';
import { PageWatch } from '../sim/watch.js';

export interface WatchRange {
  pid: number;
  /** First and past-last page number. */
  lo: number;
  hi: number;
}

/** Starts watching `range` on machine `m`: the core logs into m.watch, migrations via the log tap. */
export function startWatch(m: Machine, range: WatchRange): void {
  const w = new PageWatch(range.pid, range.lo, range.hi, m.pageSize);
  m.watch = w;
  m.migrations.tap = (space, index, from, to, trigger, outcome, counted) => {
    if (!w.watches(space, index)) {
      // A file page is watched through the slot mapped at a watched address.
      const s = space < 0 ? m.cache.get(space, index) : -1;
      if (s < 0 || !w.slots.has(s)) return;
    }
    w.events.push({
      t: m.now, what: outcome === 0 ? 'migrate' : 'migrate-failed', page: w.addr(space === w.pid ? index : w.lo),
      detail: {
        from: from >= 0 ? m.topo.ids[from] : 'hole', to: to >= 0 ? m.topo.ids[to] : '-', trigger: TRIGGERS[trigger],
        ...(outcome === 0 ? { vmstat: counted ? 'pgmigrate_*' : 'none (migrate_vma)' } : { reason: OUTCOMES[outcome] }),
      },
    });
  };
}

const LRU_NAMES = ['none', 'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable'];

/** The explain section of a backend report: events, touches and final state per watched page. */
export function explainSection(m: Machine): Record<string, unknown> {
  const w = m.watch!;
  const final: Record<string, unknown>[] = [];
  for (let vpn = w.lo; vpn < w.hi && final.length < 64; vpn++) {
    const e = m.ptes.get(w.pid, vpn);
    const page = w.addr(vpn);
    if (e === PTE_ZERO) { final.push({ page, state: 'zero page (read, never written): nothing allocated' }); continue; }
    if (e === PTE_SWAP) { final.push({ page, state: 'swapped out', vmrss: false, vmswap: true }); continue; }
    if (e < 0) { final.push({ page, state: 'not mapped' }); continue; }
    const p = m.pages;
    const node = p.node[e];
    const inN = m.topo.inNMemory[node];
    const flags = [PF.YOUNG, PF.DIRTY, PF.MLOCKED, PF.PROTNONE].filter((f) => p.flags[e] & f)
      .map((f) => ({ [PF.YOUNG]: 'young', [PF.DIRTY]: 'dirty', [PF.MLOCKED]: 'mlocked', [PF.PROTNONE]: 'prot_none' })[f]);
    final.push({
      page, state: 'resident', node: m.topo.ids[node], nodeKind: m.spec.nodes[node].kind,
      zone: ['DMA', 'DMA32', 'NORMAL', 'MOVABLE', 'DEVICE'][m.topo.zoneType[p.zone[e]]],
      lru: LRU_NAMES[p.lru[p.folio[e] >= 0 ? p.folio[e] : e]], thp: p.folio[e] >= 0, flags: flags.join(',') || '-',
      mapcount: p.mapcount[e], pinned: p.pincount[e],
      memcg: p.memcg[e] >= 0 ? m.memcgs.list[p.memcg[e]].path : '-',
      observables: {
        vmrss: true,
        smaps: m.design.smapsSees?.(node, p.zone[e]) ?? true,
        numa_maps: m.design.numaMapsSees(m.topo.ids[node], inN),
        'memory.current': p.memcg[e] >= 0,
      },
    });
  }
  return {
    range: { pid: w.pid, from: w.addr(w.lo), to: w.addr(w.hi) },
    touches: Object.fromEntries([...w.touches.entries()].sort()),
    first_touch_ns: w.firstTouchNs,
    last_touch_ns: w.lastTouchNs,
    events: w.events,
    final,
  };
}
