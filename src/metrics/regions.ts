// Address regions for the placement heatmap: (space, page index >> shift) over the pages that ever
// lived, where space is a pid (private anon pages, index = virtual page number) or a page-cache
// object (file and shmem pages, index = file page offset). Only regions that held a page exist, so
// the gaps between mappings collapse by construction. When a new region would exceed `max`, the
// shift grows by one (neighbouring regions merge), so the row count stays bounded.
import { PageMap } from '../sim/pagemap.js';
import type { PageStore } from '../sim/pages.js';

/** Largest shift tried before giving up on merging (more spaces than rows): an "others" row. */
const MAX_SHIFT = 53;

export class Regions {
  shift = 0;
  count = 0;
  /** Set once more distinct spaces than rows were seen: the last row then holds the rest. */
  overflow = false;
  space: Int32Array;
  key: Float64Array;
  private map = new PageMap(512);
  // Per page slot: the region it was last found in, and the (space, index) that was valid for,
  // so a scan costs three compares per page instead of a hash lookup (slots are recycled).
  // Read directly by the scan loop (TimelineCollector.scan) so the common case is inline.
  cSpace = new Int32Array(0);
  cIndex = new Float64Array(0);
  cRegion = new Int32Array(0);

  /** `onMerge(map)` is told old row -> new row whenever rows merge. */
  constructor(readonly max: number, private readonly onMerge: (map: Int32Array, count: number) => void) {
    this.space = new Int32Array(max);
    this.key = new Float64Array(max);
  }

  /** Sizes the per-slot cache for the store before a scan. */
  fit(p: PageStore): void {
    if (this.cRegion.length < p.capacity) this.growCache(p.capacity);
  }

  /** The row of live page slot s. */
  of(p: PageStore, s: number): number {
    if (s >= this.cRegion.length) this.growCache(p.capacity);
    const r = this.cRegion[s];
    if (r >= 0 && this.cSpace[s] === p.space[s] && this.cIndex[s] === p.index[s]) return r;
    return this.miss(p, s);
  }

  /** The row of slot s when its cache entry is stale: a lookup, maybe a new row or a coarsening. */
  miss(p: PageStore, s: number): number {
    const found = this.lookup(p.space[s], p.index[s]);
    this.cSpace[s] = p.space[s];
    this.cIndex[s] = p.index[s];
    this.cRegion[s] = found;
    return found;
  }

  private lookup(space: number, index: number): number {
    for (;;) {
      const key = Math.floor(index / 2 ** this.shift);
      const r = this.map.get(space, key);
      if (r >= 0) return r;
      if (this.count < this.max) {
        this.space[this.count] = space;
        this.key[this.count] = key;
        this.map.set(space, key, this.count);
        return this.count++;
      }
      if (this.overflow || this.shift >= MAX_SHIFT) {
        this.overflow = true;
        this.map.set(space, key, this.max - 1);
        return this.max - 1;
      }
      this.coarsen();
    }
  }

  /** shift + 1: regions of the same space whose keys differ only in the last bit merge. */
  private coarsen(): void {
    this.shift++;
    const remap = new Int32Array(this.max);
    const space = new Int32Array(this.max);
    const key = new Float64Array(this.max);
    const map = new PageMap(512);
    let n = 0;
    for (let r = 0; r < this.count; r++) {
      const k = Math.floor(this.key[r] / 2);
      let to = map.get(this.space[r], k);
      if (to < 0) {
        to = n++;
        space[to] = this.space[r];
        key[to] = k;
        map.set(this.space[r], k, to);
      }
      remap[r] = to;
    }
    this.space = space;
    this.key = key;
    this.map = map;
    this.count = n;
    for (let s = 0; s < this.cRegion.length; s++) if (this.cRegion[s] >= 0) this.cRegion[s] = remap[this.cRegion[s]];
    this.onMerge(remap, n);
  }

  private growCache(capacity: number): void {
    const old = this.cRegion.length;
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a as never);
      return b;
    };
    this.cSpace = grow(this.cSpace, (n) => new Int32Array(n));
    this.cIndex = grow(this.cIndex, (n) => new Float64Array(n));
    this.cRegion = grow(this.cRegion, (n) => new Int32Array(n));
    this.cRegion.fill(-1, old);
  }

  /** Rows in address order: pids ascending, then page-cache objects; each by region start. */
  order(): number[] {
    const rows = Array.from({ length: this.count }, (_, r) => r);
    const rank = (s: number) => (s >= 0 ? s : 2 ** 31 - s); // files (negative spaces) after pids
    return rows.sort((a, b) => rank(this.space[a]) - rank(this.space[b]) || this.key[a] - this.key[b]);
  }
}
