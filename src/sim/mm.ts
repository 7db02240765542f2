// Processes (mm_struct) and their VMAs (KERNEL-MODEL §2.1 "Mm", "Vma").
import { MemPolicy } from './mempolicy.js';

export const VmFlag = {
  LOCKED: 1,
  HUGEPAGE: 2,
  NOHUGEPAGE: 4,
  /** Created implicitly by an access no mmap covered (DESIGN §3). */
  IMPLICIT: 8,
  /** A design-specific VMA tag (Anshuman's VM_CDM); the core only stores it. */
  DESIGN_TAG: 16,
} as const;

export const VmaKind = { ANON: 1, FILE: 2, SHMEM: 3 } as const;

export class Vma {
  policy: MemPolicy | null = null;
  constructor(
    public start: number,
    /** Exclusive, in pages. */
    public end: number,
    readonly kind: number,
    /** File or shmem object id (page-cache space), -1 for private anon. */
    readonly fileId: number,
    /** File page offset of `start`. */
    public pgoff: number,
    public flags: number,
  ) {}

  clone(start: number, end: number): Vma {
    const v = new Vma(start, end, this.kind, this.fileId, this.pgoff + (start - this.start), this.flags);
    v.policy = this.policy;
    return v;
  }
}

/** RSS counter slots (mm_counter()). */
export const Rss = { FILE: 0, ANON: 1, SWAPENTS: 2, SHMEM: 3 } as const;

export class Mm {
  vmas: Vma[] = [];
  /** Task policy for threads without their own (set_mempolicy without tid). */
  taskPolicy: MemPolicy | null = null;
  threadPolicy = new Map<number, MemPolicy>();
  readonly rss = new Float64Array(4);
  /** Page-table pages held, per node position. */
  pageTables: Float64Array;
  memcg = 0;
  /** On khugepaged's mm list (khugepaged_enter_vma()). */
  khugepaged = false;
  /** The memcg column binds a pid at its first sight only. */
  memcgBound = false;
  killed = false;
  exited = false;
  /** Node position of the CPU that ran this process last (numa_node_id() for its work). */
  cpuNode = 0;
  threads = new Set<number>();
  /** The thread of the previous event (skips the Set on the common same-thread case). */
  lastThread = -1;
  // NUMA balancing state (task_struct / mm_struct numa_* fields, KERNEL-MODEL §2.8).
  numaNextScanNs = 0;
  numaScanPeriodMs = 0;
  numaScanOffset = 0;
  numaScanSeq = 0;
  numaPreferredNid = -1;
  /** Hint-fault counts per node position in the current period: [local, remote] and per node. */
  numaFaultsLocal = 0;
  numaFaultsRemote = 0;
  numaFaultsByNode: Float64Array;
  /** Snapshot taken just before exit (DESIGN §4: a process that exited is reported as it was). */
  snapshot: { rss: number[]; smaps: number; numaMaps: number } | null = null;
  private lastVma: Vma | null = null;

  constructor(readonly pid: number, nodes: number) {
    this.pageTables = new Float64Array(nodes);
    this.numaFaultsByNode = new Float64Array(nodes);
  }

  /** The VMA containing page `vpn`, or null. */
  find(vpn: number): Vma | null {
    const last = this.lastVma;
    if (last && vpn >= last.start && vpn < last.end) return last;
    const v = this.vmas;
    let lo = 0, hi = v.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = v[mid];
      if (vpn < m.start) hi = mid - 1;
      else if (vpn >= m.end) lo = mid + 1;
      else { this.lastVma = m; return m; }
    }
    return null;
  }

  /** Index of the first VMA ending after `vpn`. */
  private lowerBound(vpn: number): number {
    let lo = 0, hi = this.vmas.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.vmas[mid].end <= vpn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(vma: Vma): void {
    this.vmas.splice(this.lowerBound(vma.start), 0, vma);
    this.lastVma = null;
  }

  /** Splits VMAs so that `vpn` is a boundary (split_vma()). */
  splitAt(vpn: number): void {
    const v = this.find(vpn);
    if (!v || v.start === vpn) return;
    const tail = v.clone(vpn, v.end);
    v.end = vpn;
    this.insert(tail);
  }

  /** VMAs overlapping [start, end), after splitting at both ends. */
  range(start: number, end: number, split: boolean): Vma[] {
    if (split) { this.splitAt(start); this.splitAt(end); }
    const out: Vma[] = [];
    for (let i = this.lowerBound(start); i < this.vmas.length && this.vmas[i].start < end; i++) out.push(this.vmas[i]);
    return out;
  }

  /** Removes [start, end) from the VMA list (munmap), returning the removed pieces. */
  remove(start: number, end: number): Vma[] {
    const gone = this.range(start, end, true);
    this.vmas = this.vmas.filter((v) => !gone.includes(v));
    this.lastVma = null;
    return gone;
  }

  /** Total hint-fault weight, for the scan-period adaptation. */
  get numaFaults(): number {
    return this.numaFaultsLocal + this.numaFaultsRemote;
  }
}
