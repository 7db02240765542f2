// Per-page state as a struct of arrays indexed by page slot (KERNEL-MODEL §2.1 "Page").
// A slot is one resident base page (RAM or device). Slots are recycled through a free list; the
// arrays grow by doubling, so memory follows the number of resident pages, not trace length.

/** Which LRU list a page is on (KERNEL-MODEL §2.6); NONE for off-LRU pages (ZONE_DEVICE). */
export const Lru = { NONE: 0, INACTIVE_ANON: 1, ACTIVE_ANON: 2, INACTIVE_FILE: 3, ACTIVE_FILE: 4, UNEVICTABLE: 5 } as const;
export const LRU_LISTS = 6; // including NONE, so list ids are lruvec * LRU_LISTS + lru

/** Page flag bits. */
export const PF = {
  /** PTE accessed ("young") bit, set by every access through a mapping, cleared by rmap walks. */
  YOUNG: 1,
  /** PG_referenced. */
  REFERENCED: 2,
  DIRTY: 4,
  /** On an unevictable list because a VM_LOCKED mapping maps it. */
  MLOCKED: 8,
  /** PTE made PROT_NONE by the NUMA scanner (KERNEL-MODEL §2.8). */
  PROTNONE: 16,
  /** Swap-backed (anon or shmem). */
  SWAPBACKED: 32,
  /** Mapped read-only after a NUMA migration: the next write takes a write-protect fault. */
  WRPROTECT: 64,
  /** Part of a THP (folio >= 0): kept by setFolio, so an access reads folio only for THPs. */
  COMPOUND: 128,
} as const;

/** What put the page where it is: the trigger of its allocation or latest migration. */
export const Placed = {
  /** Allocated on the node the policy or request asked for first. */
  REQUESTED: 0,
  /** Allocated on a later node of the zonelist (fast-path or slow-path fallback). */
  FALLBACK: 1,
  /** Interleave target. */
  INTERLEAVE: 2,
  /** Explicit migration (move_pages, mbind MOVE, driver). */
  MIGRATE: 3,
  NUMA_BALANCING: 4,
  DEMOTION: 5,
  KHUGEPAGED: 6,
  LONGTERM_PIN: 7,
  /** Device first touch allowed by the design. */
  DEVICE_TOUCH: 8,
} as const;
export const PLACED_NAMES = [
  'requested', 'fallback', 'interleave', 'migrate', 'numa_balancing', 'demotion', 'khugepaged', 'longterm_pin', 'device_touch',
] as const;

export const PageKind = { ANON: 1, FILE: 2, SHMEM: 3 } as const;

/**
 * Slots reserved up front, at most (4 GiB of 4 KiB pages). Typed arrays are zero-filled lazily by
 * the OS (calloc), so an untouched reservation costs address space, not memory: resident memory
 * follows the pages the trace uses, and most traces never pay a doubling's copy (old + new arrays
 * at once). Not more: V8 counts the reservation as external memory, and 2^23 slots (~350 MB) set
 * off a run of "external memory pressure" collections that cost a replay ~15-40 ms at start.
 */
const MAX_RESERVE = 1 << 20;

export class PageStore {
  capacity: number;
  /** Slots in use. */
  used = 0;
  /** Highest slot ever handed out + 1. */
  high = 0;
  private freeHead = -1;

  node!: Int8Array;
  /** Global zone id. */
  zone!: Int16Array;
  flags!: Uint8Array;
  kind!: Uint8Array;
  lru!: Uint8Array;
  placed!: Uint8Array;
  /** Owner: a pid for private anon pages, -(fileId + 1) for page-cache and shmem pages. */
  space!: Int32Array;
  /** vpn for anon pages, pgoff for file/shmem pages. */
  index!: Float64Array;
  mapcount!: Uint16Array;
  pincount!: Uint16Array;
  memcg!: Int16Array;
  lruPrev!: Int32Array;
  lruNext!: Int32Array;
  /** folio last_cpupid: the pid and node of the last NUMA hint fault; -1 = unset. */
  lastPid!: Int32Array;
  lastNode!: Int8Array;
  /**
   * Transparent huge pages: the head slot of the folio this page belongs to, -1 for a base page.
   * Written through setFolio only (it keeps PF.COMPOUND).
   */
  folio!: Int32Array;
  /**
   * Per-node access counts of each page, halved every metrics window (the "dominant accessor"
   * of DESIGN §4), after the window index they were last brought up to date in. One record per
   * slot, [window, count of node 0, count of node 1, ...], so an access touches one cache line:
   * `accWindow[s * accStride]` (a Uint32 view) and `acc[s * accStride + 1 + node]` (a Float32
   * view of the same buffer).
   */
  acc!: Float32Array;
  accWindow!: Uint32Array;
  readonly accStride: number;

  /** `expectedPages`: the most slots the machine can need (its total pages); grows past it. */
  constructor(readonly nodeCount: number, expectedPages = 1024) {
    this.capacity = 0;
    this.accStride = nodeCount + 1;
    this.resize(Math.max(16, Math.min(MAX_RESERVE, Math.ceil(expectedPages))));
  }

  /** Bytes per slot held by this store. */
  get bytesPerSlot(): number {
    return 1 + 2 + 1 + 1 + 1 + 1 + 4 + 8 + 2 + 2 + 2 + 4 + 4 + 4 + 1 + 4 + 4 * this.nodeCount + 4;
  }

  get bytes(): number {
    return this.capacity * this.bytesPerSlot;
  }

  private resize(cap: number): void {
    const grow = <T extends Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float64Array>(
      old: T | undefined, make: (n: number) => T,
    ): T => {
      const a = make(cap);
      if (old) a.set(old as never);
      return a;
    };
    this.node = grow(this.node, (n) => new Int8Array(n));
    this.zone = grow(this.zone, (n) => new Int16Array(n));
    this.flags = grow(this.flags, (n) => new Uint8Array(n));
    this.kind = grow(this.kind, (n) => new Uint8Array(n));
    this.lru = grow(this.lru, (n) => new Uint8Array(n));
    this.placed = grow(this.placed, (n) => new Uint8Array(n));
    this.space = grow(this.space, (n) => new Int32Array(n));
    this.index = grow(this.index, (n) => new Float64Array(n));
    this.mapcount = grow(this.mapcount, (n) => new Uint16Array(n));
    this.pincount = grow(this.pincount, (n) => new Uint16Array(n));
    this.memcg = grow(this.memcg, (n) => new Int16Array(n));
    this.lruPrev = grow(this.lruPrev, (n) => new Int32Array(n));
    this.lruNext = grow(this.lruNext, (n) => new Int32Array(n));
    this.lastPid = grow(this.lastPid, (n) => new Int32Array(n));
    this.lastNode = grow(this.lastNode, (n) => new Int8Array(n));
    this.folio = grow(this.folio, (n) => new Int32Array(n));
    const records = new ArrayBuffer(cap * this.accStride * 4);
    const accWindow = new Uint32Array(records);
    if (this.accWindow) accWindow.set(this.accWindow);
    this.accWindow = accWindow;
    this.acc = new Float32Array(records);
    this.capacity = cap;
  }

  /** A fresh slot with every field reset. */
  alloc(): number {
    let s: number;
    if (this.freeHead >= 0) {
      s = this.freeHead;
      this.freeHead = this.lruNext[s];
    } else {
      if (this.high === this.capacity) this.resize(this.capacity * 2);
      s = this.high++;
    }
    this.used++;
    this.node[s] = -1;
    this.zone[s] = -1;
    this.flags[s] = 0;
    this.kind[s] = 0;
    this.lru[s] = Lru.NONE;
    this.placed[s] = Placed.REQUESTED;
    this.space[s] = 0;
    this.index[s] = 0;
    this.mapcount[s] = 0;
    this.pincount[s] = 0;
    this.memcg[s] = -1;
    this.lruPrev[s] = -1;
    this.lruNext[s] = -1;
    this.lastPid[s] = -1;
    this.lastNode[s] = -1;
    this.folio[s] = -1;
    this.accWindow.fill(0, s * this.accStride, (s + 1) * this.accStride); // window and counts (0.0 is all zero bits)
    return s;
  }

  /** Starts the page's access counts in window `w`. */
  window(s: number, w: number): void {
    this.accWindow[s * this.accStride] = w;
  }

  /** Makes slot s part of the THP headed by `head`, or a base page again (-1). */
  setFolio(s: number, head: number): void {
    this.folio[s] = head;
    if (head >= 0) this.flags[s] |= PF.COMPOUND;
    else this.flags[s] &= ~PF.COMPOUND;
  }

  free(s: number): void {
    this.node[s] = -1;
    this.lruNext[s] = this.freeHead;
    this.freeHead = s;
    this.used--;
  }

  /** A THP tail: part of a folio whose head is another slot (tails are not on any LRU). */
  isTail(s: number): boolean {
    return this.folio[s] >= 0 && this.folio[s] !== s;
  }

  isLive(s: number): boolean {
    return this.node[s] >= 0;
  }
}
