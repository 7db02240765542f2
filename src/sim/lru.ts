// Intrusive doubly linked LRU lists, one per (lruvec, lru type); a lruvec is a (node, memcg) pair
// as in the kernel (KERNEL-MODEL §2.1, mm/vmscan.c). Head = most recently added, tail = oldest.
import { LRU_LISTS, Lru, PageStore } from './pages.js';

export class LruLists {
  private head: Int32Array;
  private tail: Int32Array;
  /** Pages per list. */
  size: Float64Array;

  /** Pages a folio head stands for on its list (HPAGE_PMD_NR): LRU sizes count base pages. */
  private readonly hugeWeight: number;

  constructor(private readonly pages: PageStore, public lruvecs: number, hugeWeight = 512) {
    this.hugeWeight = hugeWeight;
    const n = lruvecs * LRU_LISTS;
    this.head = new Int32Array(n).fill(-1);
    this.tail = new Int32Array(n).fill(-1);
    this.size = new Float64Array(n);
  }

  /** Room for `lruvecs` lruvecs; existing lists keep their ids. */
  grow(lruvecs: number): void {
    const n = lruvecs * LRU_LISTS;
    const head = new Int32Array(n).fill(-1), tail = new Int32Array(n).fill(-1), size = new Float64Array(n);
    head.set(this.head); tail.set(this.tail); size.set(this.size);
    this.head = head; this.tail = tail; this.size = size;
    this.lruvecs = lruvecs;
  }

  listId(lruvec: number, lru: number): number {
    return lruvec * LRU_LISTS + lru;
  }

  /** Adds the page at the head of list `lru` of `lruvec`. */
  add(slot: number, lruvec: number, lru: number): void {
    const p = this.pages;
    const id = lruvec * LRU_LISTS + lru;
    p.lru[slot] = lru;
    p.lruPrev[slot] = -1;
    p.lruNext[slot] = this.head[id];
    if (this.head[id] >= 0) p.lruPrev[this.head[id]] = slot;
    else this.tail[id] = slot;
    this.head[id] = slot;
    this.size[id] += this.weight(slot);
  }

  /** Base pages the entry stands for: a THP head counts its whole folio. */
  weight(slot: number): number {
    return this.pages.folio[slot] === slot ? this.hugeWeight : 1;
  }

  remove(slot: number, lruvec: number): void {
    const p = this.pages;
    const lru = p.lru[slot];
    if (lru === Lru.NONE) return;
    const id = lruvec * LRU_LISTS + lru;
    const prev = p.lruPrev[slot];
    const next = p.lruNext[slot];
    if (prev >= 0) p.lruNext[prev] = next;
    else this.head[id] = next;
    if (next >= 0) p.lruPrev[next] = prev;
    else this.tail[id] = prev;
    p.lru[slot] = Lru.NONE;
    p.lruPrev[slot] = -1;
    p.lruNext[slot] = -1;
    this.size[id] -= this.weight(slot);
  }

  /** Oldest page of the list, or -1. */
  tailOf(lruvec: number, lru: number): number {
    return this.tail[lruvec * LRU_LISTS + lru];
  }

  count(lruvec: number, lru: number): number {
    return this.size[lruvec * LRU_LISTS + lru];
  }
}
