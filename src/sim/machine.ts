// One simulated machine: the state every mechanism shares (KERNEL-MODEL §2.1). Mechanisms live in
// their own modules (alloc, reclaim, migrate, numab, oom, fault, ops); this file holds state and
// the page life-cycle helpers they all use, so each rule is written once.
import type { Design } from './design.js';
import { LruLists } from './lru.js';
import { Memcgs } from './memcg.js';
import { Mm } from './mm.js';
import { PageMap } from './pagemap.js';
import { PageTable } from './pagetable.js';
import { Lru, PageKind, PageStore, PF, Placed } from './pages.js';
import { MachineSpec, ZoneType } from './spec.js';
import { Topology } from './topology.js';
import { Counters, EV, NS } from './vmstat.js';
import { MigrationLog } from './events.js';
import { Khugepaged } from './khugepaged.js';
import type { PageWatch } from './watch.js';

/** Page-table entry values besides a page slot. */
export const PTE_ZERO = -2;
export const PTE_SWAP = -3;
export const PTE_NONE = -1;

export interface MachineOptions {
  /** Window for the per-page dominant-accessor counts (metrics.windowNs). */
  windowNs: number;
}

export class Machine {
  readonly topo: Topology;
  readonly pages: PageStore;
  readonly lru: LruLists;
  /** (pid, vpn) -> page slot, PTE_ZERO or PTE_SWAP. */
  readonly ptes = new PageTable();
  /** (-(file + 1), pgoff) -> page slot: the page cache and shmem objects. */
  readonly cache = new PageMap(256);
  /** (pid, table id * 4 + level) -> node position of a page-table page. */
  readonly pgtables = new PageMap(256);
  readonly counters: Counters;
  readonly memcgs = new Memcgs();
  readonly mms = new Map<number, Mm>();
  /** Processes that exited and whose pid was reused since. */
  readonly exitedMms: Mm[] = [];
  readonly files = new Map<string, number>();
  /** Per file id: the processes mapping it (the reverse map of file pages, like i_mmap). */
  readonly fileMappers: Set<Mm>[] = [];
  readonly migrations = new MigrationLog();
  readonly khugepaged = new Khugepaged();
  /** Set by `explain` only: the pages whose life is logged. */
  watch: PageWatch | null = null;
  /** How the last allocation was satisfied (ALLOC_PATHS index) and the node the policy preferred. */
  allocPath = 0;
  allocPreferred = -1;
  /** Why the page being freed goes (read by the watcher). */
  freeReason = 'freed';
  now = 0;
  swapUsed = 0;
  /** Time of the next timer (NUMA scan) due; the hot path only compares against it. */
  nextTimerNs = Infinity;
  /** kswapd wake-ups not yet run, by node position. */
  kswapdPending: boolean[];
  kswapdFailures: number[];
  kswapdWakeups = 0;
  faultsCpu = 0;
  faultsDevice = 0;
  /** CPU faults on device-private pages that migrated them back (HMM private). */
  deviceFaultBacks = 0;
  /** Highest pages in use per node position. */
  readonly peakUsed: number[];
  directReclaims = 0;
  oomKills = 0;
  skippedAfterKill = 0;
  /** Syscall-level failures by "op:errno", e.g. "mbind:EINVAL". */
  readonly syscallErrors = new Map<string, number>();
  /** Trace ops this design cannot express, by op (report `unsupported`, DESIGN §3). */
  readonly unsupported = new Map<string, number>();
  /** Told of each unsupported op (the engine warns once, or stops under --strict). */
  onUnsupported: ((op: string, why: string) => void) | null = null;
  /** ZONE_DEVICE pages are device-private: a CPU touch faults (KERNEL-MODEL §3.4). */
  readonly devicePrivate: boolean;
  // Access accounting per agent slot (cpus first, then devices).
  readonly agentAccesses: Float64Array;
  readonly agentRemote: Float64Array;
  /** Accesses by (agent node position * nodes + page node position). */
  readonly accessMatrix: Float64Array;
  readonly deviceNodes: number[];
  readonly windowNs: number;
  readonly pageSize: number;
  /** Entries per page-table page (x86-64: 512 with 4 KiB pages). */
  readonly ptrsPerTable: number;
  /** Base pages per PMD-sized huge page (HPAGE_PMD_NR; 512 with 4 KiB pages). */
  readonly hpageNr: number;
  /** (pid, 2 MiB region) -> THP head slot, or PTE_ZERO for the huge zero page (KERNEL-MODEL §2.11). */
  readonly thpRegions = new PageMap(64);

  constructor(readonly spec: MachineSpec, readonly design: Design, opts: MachineOptions) {
    this.topo = new Topology(spec, design);
    const n = this.topo.nodeCount;
    // Every resident page is a slot, so the machine's total pages bound the slots in use.
    this.pages = new PageStore(n, spec.nodes.reduce((sum, nd) => sum + nd.zones.reduce((z, zone) => z + zone.pages, 0), 0) + 1);
    this.hpageNr = Math.max(1, (2 * 2 ** 20) / spec.pageSize);
    this.lru = new LruLists(this.pages, n * 8, this.hpageNr);
    this.counters = new Counters(n);
    this.kswapdPending = new Array<boolean>(n).fill(false);
    this.kswapdFailures = new Array<number>(n).fill(0);
    this.peakUsed = new Array<number>(n).fill(0);
    this.deviceNodes = spec.nodes.map((nd, i) => (nd.kind === 'device' ? i : -1)).filter((i) => i >= 0);
    const agents = this.topo.cpuNodeOf.length + this.deviceNodes.length;
    this.agentAccesses = new Float64Array(agents);
    this.agentRemote = new Float64Array(agents);
    this.accessMatrix = new Float64Array(n * n);
    this.windowNs = opts.windowNs;
    this.pageSize = spec.pageSize;
    this.ptrsPerTable = spec.pageSize / 8;
    for (const mc of spec.memcgs) this.memcgs.list[this.memcgs.lookup(mc.path)].maxPages = mc.maxPages;
    this.devicePrivate = design.zoneDevice?.type === 'private';
    this.syncFreeCounters();
  }

  get nodeCount(): number {
    return this.topo.nodeCount;
  }

  /** lruvec of (node position, memcg); memcgs are appended, so ids stay stable as they grow. */
  lruvec(pos: number, memcg: number): number {
    const id = memcg * this.topo.nodeCount + pos;
    if (id >= this.lru.lruvecs) this.lru.grow(Math.max(id + 1, this.lru.lruvecs * 2));
    return id;
  }

  mm(pid: number): Mm {
    let mm = this.mms.get(pid);
    if (!mm) {
      mm = new Mm(pid, this.topo.nodeCount);
      // init_numa_balancing(): first scan after numa_balancing_scan_delay.
      mm.numaScanPeriodMs = this.spec.kernel.numaScanDelayMs;
      mm.numaNextScanNs = this.now + this.spec.kernel.numaScanDelayMs * 1e6;
      if (this.spec.kernel.numaBalancing !== 0) this.nextTimerNs = Math.min(this.nextTimerNs, mm.numaNextScanNs);
      this.mms.set(pid, mm);
    }
    return mm;
  }

  fileId(name: string): number {
    let id = this.files.get(name);
    if (id === undefined) {
      id = this.files.size;
      this.files.set(name, id);
      this.fileMappers.push(new Set());
    }
    return id;
  }

  /** Node position of an agent: cpuN -> its node, devN -> the N-th device node; -1 if absent. */
  agentNode(agent: number): number {
    return agent >= 0 ? this.topo.nodeOfCpu(agent) : (this.deviceNodes[-agent - 1] ?? -1);
  }

  agentSlot(agent: number): number {
    return agent >= 0 ? agent : this.topo.cpuNodeOf.length + (-agent - 1);
  }

  // ---- page life cycle -------------------------------------------------------------------

  /** Installs a freshly allocated page from zone `zone` (the allocator already took it). */
  installPage(zone: number, kind: number, space: number, index: number, memcg: number, placed: number, locked: boolean, head = -1): number {
    const p = this.pages;
    const s = p.alloc();
    const pos = this.topo.zoneNode[zone];
    p.node[s] = pos;
    p.zone[s] = zone;
    p.kind[s] = kind;
    p.space[s] = space;
    p.index[s] = index;
    p.memcg[s] = memcg;
    p.placed[s] = placed;
    p.setFolio(s, head);
    p.window(s, Math.floor(this.now / this.windowNs));
    if (kind !== PageKind.FILE) p.flags[s] |= PF.SWAPBACKED;
    this.addNodeStat(s, pos, 1);
    if (this.watch !== null && this.watch.watches(space, index)) this.watchInstall(s);
    if (head === -1) this.lruAdd(s, locked ? Lru.UNEVICTABLE : this.newPageLru(kind));
    return s;
  }

  private watchInstall(s: number): void {
    const w = this.watch!;
    const p = this.pages;
    w.slots.add(s);
    w.log(this, 'alloc', s, {
      node: this.topo.ids[p.node[s]], zone: ['DMA', 'DMA32', 'NORMAL', 'MOVABLE', 'DEVICE'][this.topo.zoneType[p.zone[s]]],
      why: ['requested by policy/locality', 'zonelist fallback', 'interleave', 'migration', 'NUMA balancing', 'demotion', 'khugepaged', 'long-term pin', 'device first touch'][p.placed[s]],
      preferredNode: this.allocPreferred >= 0 ? this.topo.ids[this.allocPreferred] : -1,
      path: ['fast path, above the low watermark', 'slow path, after waking kswapd (min watermark)', 'slow path, after direct reclaim', 'slow path, after an OOM kill'][this.allocPath],
      zonelist: this.topo.fallbackNodes[this.allocPreferred >= 0 ? this.allocPreferred : p.node[s]].map((n) => this.topo.ids[n]).join(' > '),
    });
  }

  /** The LRU list a newly faulted page joins (for THP heads installed after their tails). */
  newLru(kind: number, locked: boolean): number {
    return locked ? Lru.UNEVICTABLE : this.newPageLru(kind);
  }

  /** Which list a new page joins: 2017 kernels put anon on the active list, >= 5.9 inactive. */
  private newPageLru(kind: number): number {
    if (kind === PageKind.FILE) return Lru.INACTIVE_FILE;
    return this.spec.kernel.model === '4.11' ? Lru.ACTIVE_ANON : Lru.INACTIVE_ANON;
  }

  lruAdd(s: number, lru: number): void {
    if (this.pages.isTail(s)) return; // a THP is one LRU entry, its head
    if (this.topo.zoneType[this.pages.zone[s]] === ZoneType.DEVICE) return; // ZONE_DEVICE is never on an LRU
    this.lru.add(s, this.lruvec(this.pages.node[s], Math.max(0, this.pages.memcg[s])), lru);
  }

  lruDel(s: number): void {
    if (this.pages.lru[s] !== Lru.NONE) this.lru.remove(s, this.lruvec(this.pages.node[s], Math.max(0, this.pages.memcg[s])));
  }

  private addNodeStat(s: number, at: number, d: number): void {
    const kind = this.pages.kind[s];
    const c = this.counters;
    const pos = this.topo.statNode[at]; // ZONE_DEVICE pages count on their host node (§2.9)
    if (kind === PageKind.ANON) c.addNode(NS.nr_anon_pages, pos, d);
    else {
      c.addNode(NS.nr_file_pages, pos, d);
      if (kind === PageKind.SHMEM) c.addNode(NS.nr_shmem, pos, d);
    }
  }

  /** Moves a page's node-owned state to another zone (migration keeps slot, LRU type, memcg). */
  movePage(s: number, zone: number, placed: number): void {
    const p = this.pages;
    const lru = p.lru[s];
    this.lruDel(s);
    const from = p.node[s];
    const oldZone = p.zone[s];
    this.addNodeStat(s, from, -1);
    this.topo.free[oldZone]++;
    if (this.topo.zoneType[oldZone] !== ZoneType.DEVICE) this.counters.ev[EV.pgfree]++; // page_free(), no pgfree
    const to = this.topo.zoneNode[zone];
    p.node[s] = to;
    p.zone[s] = zone;
    p.placed[s] = placed;
    this.addNodeStat(s, to, 1);
    if (lru !== Lru.NONE) this.lruAdd(s, lru);
  }

  /** Frees a page: off its LRU, uncharged, back to its zone (pgfree). */
  freePage(s: number): void {
    const p = this.pages;
    if (this.watch !== null && this.watch.slots.delete(s)) this.watch.log(this, 'free', s, { reason: this.freeReason, node: this.topo.ids[p.node[s]] });
    if (p.folio[s] === s) {
      // Freeing a THP head frees the folio's accounting; its tails are freed one by one.
      this.counters.addNode(NS.nr_anon_transparent_hugepages, p.node[s], -1);
      this.thpRegions.delete(p.space[s], Math.floor(p.index[s] / this.hpageNr));
    }
    this.lruDel(s);
    this.addNodeStat(s, p.node[s], -1);
    if (p.flags[s] & PF.MLOCKED) this.counters.addNode(NS.nr_mlock, p.node[s], -1);
    if (p.memcg[s] >= 0) this.uncharge(p.memcg[s], 1, p.kind[s]);
    if (p.kind[s] !== PageKind.ANON) this.cache.delete(p.space[s], p.index[s]);
    this.topo.free[p.zone[s]]++;
    if (this.topo.zoneType[p.zone[s]] !== ZoneType.DEVICE) this.counters.ev[EV.pgfree]++;
    p.free(s);
  }

  uncharge(memcg: number, n: number, kind: number): void {
    for (let c = memcg; c >= 0; c = this.memcgs.list[c].parent) {
      const m = this.memcgs.list[c];
      m.usage -= n;
      if (kind === PageKind.ANON) m.anon -= n;
      else if (kind === PageKind.FILE) m.file -= n;
      else if (kind === PageKind.SHMEM) m.shmem -= n;
      else m.kernel -= n;
    }
  }

  /** nr_free_pages is derived from the zones whenever it is read. */
  syncFreeCounters(): void {
    const c = this.counters;
    for (let pos = 0; pos < this.topo.nodeCount; pos++) c.node[c.at(NS.nr_free_pages, pos)] = 0;
    this.topo.free.forEach((f, z) => { if (this.topo.zoneType[z] !== ZoneType.DEVICE) c.addNode(NS.nr_free_pages, this.topo.zoneNode[z], f); });
  }

  countSyscallError(op: string, errno: string): void {
    const k = `${op}:${errno}`;
    this.syscallErrors.set(k, (this.syscallErrors.get(k) ?? 0) + 1);
  }

  /** A trace op the design cannot express; the caller then does what the design's kernel does. */
  countUnsupported(op: string, why: string): void {
    this.unsupported.set(op, (this.unsupported.get(op) ?? 0) + 1);
    this.onUnsupported?.(op, why);
  }

  /** The huge zero page is allocated once, system-wide, at the first eligible read fault. */
  hugeZeroAllocated = false;

  /** Memory tiers (mm/memory-tiers.c): a node is top tier when its tier is no slower than the CPUs'. */
  isTopTier(pos: number): boolean {
    const tier = (p: number) => Math.floor(this.spec.nodes[p].adistance / 128); // MEMTIER_CHUNK_BITS = 7
    let top = -1;
    this.spec.nodes.forEach((n, i) => { if (n.cpus > 0) top = Math.max(top, tier(i)); });
    return tier(pos) <= top;
  }

  /** numa_nearest_node(pos, N_CPU). */
  nearestCpuNode(pos: number): number {
    if (this.topo.hasCpu[pos]) return pos;
    let best = -1;
    for (let n = 0; n < this.topo.nodeCount; n++) {
      if (this.topo.hasCpu[n] && (best < 0 || this.topo.distance(pos, n) < this.topo.distance(pos, best))) best = n;
    }
    return best < 0 ? pos : best;
  }
}

export { Placed };
