// Page tables: (space, vpn) -> int32 entry, stored like the kernel's own tables, in leaves of
// LEAF consecutive entries found through a small directory (PageMap keyed by (space, vpn / LEAF)).
// A dense mapping costs about 4 bytes per page instead of a hash slot's 16-64, and a run of nearby
// pages finds its leaf through a one-entry cache without hashing. Same interface as PageMap.
import { PageMap } from './pagemap.js';

/** Entries per leaf: dense ranges pay ~4 B per page; an isolated page pays one leaf (128 B). */
const LEAF = 32;
/** Stored as value ^ SIGN, so a zero-filled leaf reads as empty (value -2^31 is never stored). */
const SIGN = -2147483648;

export class PageTable {
  private readonly dir = new PageMap(256);
  private entries: Int32Array;
  /** Live entries per leaf; for a free leaf, the next free leaf. */
  private counts: Int32Array;
  private leaves = 0;
  private freeLeaf = -1;
  // One-entry leaf cache: the last (space, leaf key) looked up and its first entry's index.
  private lastSpace = SIGN;
  private lastKey = -1;
  private lastBase = -1;
  size = 0;

  constructor(initialLeaves = 256) {
    this.entries = new Int32Array(initialLeaves * LEAF);
    this.counts = new Int32Array(initialLeaves);
  }

  /** Bytes held by the table (leaves and directory). */
  get bytes(): number {
    return this.entries.byteLength + this.counts.byteLength + this.dir.bytes;
  }

  /** Index of the first entry of (space, key)'s leaf, or -1. */
  private base(space: number, key: number): number {
    if (space === this.lastSpace && key === this.lastKey) return this.lastBase;
    const leaf = this.dir.get(space, key);
    const base = leaf < 0 ? -1 : leaf * LEAF;
    this.lastSpace = space;
    this.lastKey = key;
    this.lastBase = base;
    return base;
  }

  get(space: number, vpn: number, missing = -1): number {
    const key = Math.floor(vpn / LEAF);
    const base = this.base(space, key);
    if (base < 0) return missing;
    const v = this.entries[base + (vpn - key * LEAF)];
    return v === 0 ? missing : v ^ SIGN;
  }

  set(space: number, vpn: number, value: number): void {
    const key = Math.floor(vpn / LEAF);
    let base = this.base(space, key);
    if (base < 0) base = this.lastBase = this.newLeaf(space, key) * LEAF;
    const i = base + (vpn - key * LEAF);
    if (this.entries[i] === 0) {
      this.size++;
      this.counts[base / LEAF]++;
    }
    this.entries[i] = value ^ SIGN;
  }

  /** Removes the entry; returns its value or `missing`. An emptied leaf goes back to the pool. */
  delete(space: number, vpn: number, missing = -1): number {
    const key = Math.floor(vpn / LEAF);
    const base = this.base(space, key);
    if (base < 0) return missing;
    const i = base + (vpn - key * LEAF);
    const v = this.entries[i];
    if (v === 0) return missing;
    this.entries[i] = 0;
    this.size--;
    const leaf = base / LEAF;
    if (--this.counts[leaf] === 0) {
      this.dir.delete(space, key);
      this.counts[leaf] = this.freeLeaf;
      this.freeLeaf = leaf;
      this.lastKey = -1;
    }
    return v ^ SIGN;
  }

  /** Calls fn for every entry (order: directory order; callers needing a stable order must sort). */
  forEach(fn: (space: number, vpn: number, value: number) => void): void {
    this.dir.forEach((space, key, leaf) => {
      const base = leaf * LEAF;
      for (let j = 0; j < LEAF; j++) {
        const v = this.entries[base + j];
        if (v !== 0) fn(space, key * LEAF + j, v ^ SIGN);
      }
    });
  }

  private newLeaf(space: number, key: number): number {
    let leaf = this.freeLeaf;
    if (leaf >= 0) {
      this.freeLeaf = this.counts[leaf];
    } else {
      if (this.leaves === this.counts.length) {
        const entries = new Int32Array(this.entries.length * 2);
        entries.set(this.entries);
        this.entries = entries;
        const counts = new Int32Array(this.counts.length * 2);
        counts.set(this.counts);
        this.counts = counts;
      }
      leaf = this.leaves++;
    }
    this.counts[leaf] = 0; // a recycled leaf's entries are all zero already (emptied one by one)
    this.dir.set(space, key, leaf);
    return leaf;
  }
}
