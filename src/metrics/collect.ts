// Metrics (DESIGN §4 definitions): read the core's counters and page arrays at the end of a run
// and the migration log as it is flushed. Observers only: nothing here changes the simulation.
import { OUTCOMES, TRIGGERS, MigrationLog } from '../sim/events.js';
import type { Machine } from '../sim/machine.js';
import { Mm, Rss } from '../sim/mm.js';
import { PageMap } from '../sim/pagemap.js';
import { Lru, PageKind, Placed, PLACED_NAMES } from '../sim/pages.js';
import { NOT_IN_2017 } from '../sim/vmstat.js';

/** Page-level facts of a set of pages (the live machine, or one process just before exit). */
interface PageFacts {
  resident: number;
  ram: number;
  device: number;
  misplaced: number;
  unrequested: number;
  unrequestedBy: Record<string, number>;
}

const emptyFacts = (): PageFacts => ({
  resident: 0, ram: 0, device: 0, misplaced: 0, unrequested: 0,
  unrequestedBy: { fallback: 0, interleave: 0, khugepaged: 0, demotion: 0, numa_balancing: 0 },
});

/** Placements that count as "the workload asked for it" (DESIGN §4 unrequested device pages). */
const REQUESTED = new Set<number>([Placed.REQUESTED, Placed.MIGRATE, Placed.DEVICE_TOUCH, Placed.LONGTERM_PIN]);

export class MetricsCollector {
  private exited: PageFacts = emptyFacts();
  private exitedViews = { vmrss: 0, smaps: 0, numaMaps: 0 };
  // Migration outcome tallies and ping-pong state (per page: the node it last left, and when).
  private moved = 0;
  private toDevice = 0;
  private toHost = 0;
  private pingPong = 0;
  private byTrigger: Record<string, number> = {};
  private failedBy: Record<string, number> = {};
  private failed = 0;
  /** Successful moves by "fromId>toId" (the cost model's input). */
  readonly movedByPair = new Map<string, number>();
  private readonly left = new PageMap(256);
  private leftAt = new Float64Array(256);
  private leftCount = 0;
  /** Told of each migration record as it is consumed (the timeline); null when nobody listens. */
  onMigration: ((time: number, trigger: number, failed: boolean, pingPong: boolean) => void) | null = null;

  constructor(private readonly m: Machine, private readonly pingPongNs: number) {
    m.migrations.onFlush = (log) => this.consume(log);
  }

  private consume(log: MigrationLog): void {
    const isDevice = (pos: number) => pos >= 0 && this.m.spec.nodes[pos].kind === 'device';
    for (let i = 0; i < log.count; i++) {
      const trigger = TRIGGERS[log.trigger[i]];
      if (log.outcome[i] !== 0) {
        const reason = OUTCOMES[log.outcome[i]];
        this.failedBy[reason] = (this.failedBy[reason] ?? 0) + 1;
        this.failed++;
        this.onMigration?.(log.time[i], log.trigger[i], true, false);
        continue;
      }
      this.moved++;
      this.byTrigger[trigger] = (this.byTrigger[trigger] ?? 0) + 1;
      const from = log.from[i], to = log.to[i];
      const ids = this.m.topo.ids;
      const pair = `${from < 0 ? ids[to] : ids[from]}>${ids[to]}`;
      this.movedByPair.set(pair, (this.movedByPair.get(pair) ?? 0) + 1);
      if (isDevice(to) && !isDevice(from)) this.toDevice++;
      else if (isDevice(from) && !isDevice(to)) this.toHost++;
      // Ping-pong: the page returns to the node it last left within pingPongNs.
      const key = this.left.get(log.space[i], log.index[i]);
      const pingPong = key >= 0 && (key & 0xff) === to && log.time[i] - this.leftAt[key >> 8] <= this.pingPongNs;
      if (pingPong) this.pingPong++;
      this.onMigration?.(log.time[i], log.trigger[i], false, pingPong);
      if (from >= 0) this.noteLeft(log.space[i], log.index[i], from, log.time[i], key);
    }
  }

  private noteLeft(space: number, index: number, from: number, time: number, key: number): void {
    const slot = key >= 0 ? key >> 8 : this.leftCount++;
    if (slot >= this.leftAt.length) {
      const a = new Float64Array(this.leftAt.length * 2);
      a.set(this.leftAt);
      this.leftAt = a;
    }
    this.leftAt[slot] = time;
    this.left.set(space, index, (slot << 8) | from);
  }

  /** Facts about page slots selected by `want` (all live pages when omitted). */
  private pageFacts(want?: (s: number) => boolean): PageFacts {
    const m = this.m;
    const p = m.pages;
    const f = emptyFacts();
    const n = p.nodeCount;
    const window = Math.floor(m.now / m.windowNs);
    for (let s = 0; s < p.high; s++) {
      if (p.node[s] < 0 || (want && !want(s))) continue;
      const node = p.node[s];
      const device = m.spec.nodes[node].kind === 'device';
      f.resident++;
      if (device) f.device++;
      else f.ram++;
      // Dominant accessor after decaying to the current window; ties go to the page's own node.
      const rec = s * p.accStride;
      const shift = window - p.accWindow[rec];
      const decay = shift > 60 ? 0 : 2 ** -shift;
      let best = node, bestCount = p.acc[rec + 1 + node] * decay;
      for (let i = 0; i < n; i++) {
        const c = p.acc[rec + 1 + i] * decay;
        if (c > bestCount) { best = i; bestCount = c; }
      }
      if (best !== node) f.misplaced++;
      if (device && !REQUESTED.has(p.placed[s])) {
        f.unrequested++;
        const name = PLACED_NAMES[p.placed[s]];
        f.unrequestedBy[name] = (f.unrequestedBy[name] ?? 0) + 1;
      }
    }
    return f;
  }

  /** The kernel's views of one process: VmRSS, smaps Rss, numa_maps pages. */
  private views(mm: Mm): { vmrss: number; smaps: number; numaMaps: number } {
    const m = this.m;
    const vmrss = mm.rss[Rss.ANON] + mm.rss[Rss.FILE] + mm.rss[Rss.SHMEM];
    let smaps = 0, numaMaps = 0;
    m.ptes.forEach((space, _vpn, s) => {
      if (space !== mm.pid || s < 0) return;
      const node = m.pages.node[s];
      if (m.design.smapsSees?.(node, m.pages.zone[s]) ?? true) smaps++;
      if (m.design.numaMapsSees(m.topo.ids[node], m.topo.inNMemory[node])) numaMaps++;
    });
    return { vmrss, smaps, numaMaps };
  }

  /** Called just before a process exits: DESIGN §4 reports it as it was then. */
  beforeExit(mm: Mm): void {
    const f = this.pageFacts((s) => this.m.pages.kind[s] === PageKind.ANON && this.m.pages.space[s] === mm.pid);
    const e = this.exited;
    e.resident += f.resident; e.ram += f.ram; e.device += f.device; e.misplaced += f.misplaced; e.unrequested += f.unrequested;
    for (const [k, v] of Object.entries(f.unrequestedBy)) e.unrequestedBy[k] = (e.unrequestedBy[k] ?? 0) + v;
    const v = this.views(mm);
    this.exitedViews.vmrss += v.vmrss;
    this.exitedViews.smaps += v.smaps;
    this.exitedViews.numaMaps += v.numaMaps;
  }

  /** Remote accesses by "agentNodeId>pageNodeId". */
  remoteByPair(): Map<string, number> {
    const m = this.m, n = m.topo.nodeCount, ids = m.topo.ids;
    const out = new Map<string, number>();
    for (let a = 0; a < n; a++) for (let p = 0; p < n; p++) {
      const v = m.accessMatrix[a * n + p];
      if (v > 0 && a !== p) out.set(`${ids[a]}>${ids[p]}`, v);
    }
    return out;
  }

  /** The backend sections of report@1 computed from this run. */
  finish(): BackendSections {
    const m = this.m;
    m.migrations.flush();
    m.syncFreeCounters();
    const live = this.pageFacts();
    const e = this.exited;
    const facts: PageFacts = {
      resident: live.resident + e.resident, ram: live.ram + e.ram, device: live.device + e.device,
      misplaced: live.misplaced + e.misplaced, unrequested: live.unrequested + e.unrequested,
      unrequestedBy: Object.fromEntries(Object.keys({ ...live.unrequestedBy, ...e.unrequestedBy })
        .map((k) => [k, (live.unrequestedBy[k] ?? 0) + (e.unrequestedBy[k] ?? 0)])),
    };
    let vmrss = this.exitedViews.vmrss, smaps = this.exitedViews.smaps, numaMaps = this.exitedViews.numaMaps;
    for (const mm of m.mms.values()) {
      if (mm.exited) continue;
      const v = this.views(mm);
      vmrss += v.vmrss; smaps += v.smaps; numaMaps += v.numaMaps;
    }
    const accesses = m.agentAccesses.reduce((a, b) => a + b, 0);
    const remote = m.agentRemote.reduce((a, b) => a + b, 0);
    const byAgent: Record<string, { accesses: number; remote: number }> = {};
    const cpus = m.topo.cpuNodeOf.length;
    m.agentAccesses.forEach((a, i) => {
      if (a === 0) return;
      byAgent[i < cpus ? `cpu${i}` : `dev${i - cpus}`] = { accesses: a, remote: m.agentRemote[i] };
    });
    const c = m.counters;
    const ev = (name: string) => c.vmstat((n) => n === name)[name] ?? 0;
    const swapOk = m.spec.swapPages > m.swapUsed;
    const memcg = m.memcgs.list.map((g, i) => {
      let reclaimable = 0;
      for (let pos = 0; pos < m.topo.nodeCount; pos++) {
        if (!m.design.memcgReclaimReaches(m.topo.ids[pos])) continue;
        for (let mc = 0; mc < m.memcgs.count; mc++) {
          if (!m.memcgs.within(mc, i)) continue;
          const v = m.lruvec(pos, mc);
          reclaimable += m.lru.count(v, Lru.INACTIVE_FILE) + m.lru.count(v, Lru.ACTIVE_FILE);
          if (swapOk) reclaimable += m.lru.count(v, Lru.INACTIVE_ANON) + m.lru.count(v, Lru.ACTIVE_ANON);
        }
      }
      return {
        path: g.path,
        current_pages: g.usage,
        resident_pages: g.usage - g.kernel,
        max_pages: Number.isFinite(g.maxPages) ? g.maxPages : null,
        unreclaimable_pages: Math.max(0, g.usage - reclaimable),
        max_events: g.events.max,
        oom_events: g.events.oom_kill,
        peak_pages: g.peak,
        anon_pages: g.anon,
        file_pages: g.file + g.shmem,
        kernel_pages: g.kernel,
      };
    }).filter((g, i) => i > 0 || m.memcgs.count === 1 || g.current_pages > 0);
    const is2017 = m.spec.kernel.model === '4.11';
    return {
      placement: {
        accesses,
        remote_accesses: remote,
        misplacement_ratio: accesses === 0 ? 0 : remote / accesses,
        misplaced_pages_end: facts.misplaced,
        unrequested_device_pages: facts.unrequested,
        unrequested_by_trigger: facts.unrequestedBy,
        remote_accesses_by_agent: byAgent,
      },
      migrations: {
        total: this.moved,
        to_device: this.toDevice,
        to_host: this.toHost,
        failed: this.failed,
        bytes: this.moved * m.pageSize,
        ping_pong: this.pingPong,
        by_trigger: this.byTrigger,
        failed_by_reason: this.failedBy,
      },
      accounting: {
        resident_pages: facts.resident,
        resident_ram_pages: facts.ram,
        resident_device_pages: facts.device,
        vmrss_pages: vmrss,
        smaps_rss_pages: smaps,
        numa_maps_pages: numaMaps,
        rss_drift_pages: vmrss - facts.resident,
        memcg,
      },
      reclaim: {
        kswapd_wakeups: m.kswapdWakeups,
        direct_reclaims: m.directReclaims,
        pages_scanned: ev('pgscan_kswapd') + ev('pgscan_direct'),
        pages_reclaimed: ev('pgsteal_kswapd') + ev('pgsteal_direct'),
      },
      faults: { cpu: m.faultsCpu, device: m.faultsDevice, device_private_cpu_faults: m.deviceFaultBacks },
      vmstat: c.vmstat((name) => !is2017 || !NOT_IN_2017.has(name)),
      nodes: m.spec.nodes.map((nd, pos) => {
        const zones = m.topo.nodeZones[pos];
        const managed = zones.reduce((s, z) => s + m.topo.managed[z], 0);
        const free = zones.reduce((s, z) => s + m.topo.free[z], 0);
        return { id: nd.id, used_pages_end: managed - free, peak_used_pages: m.peakUsed[pos], numastat: c.numastat(pos) };
      }),
      oom_kills: m.oomKills,
      skipped_after_kill: m.skippedAfterKill,
      syscall_errors: Object.fromEntries([...m.syscallErrors.entries()].sort()),
    };
  }
}

export interface BackendSections {
  placement: Record<string, unknown> & { accesses: number; remote_accesses: number };
  migrations: Record<string, unknown> & { total: number; bytes: number };
  accounting: Record<string, unknown>;
  reclaim: Record<string, number>;
  faults: Record<string, number>;
  vmstat: Record<string, number>;
  nodes: { id: number; used_pages_end: number; peak_used_pages: number; numastat: Record<string, number> }[];
  oom_kills: number;
  skipped_after_kill: number;
  syscall_errors: Record<string, number>;
}
