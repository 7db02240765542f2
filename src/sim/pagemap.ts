// Open-addressing hash map from a (space, index) pair to an int32 value, with linear probing and
// backward-shift deletion (no tombstones, so lookups stay short after many unmaps). Keys are
// plain numbers: `space` an int32 (a pid, or a negative file id), `index` a page number < 2^53.
// Used for page tables ((pid, vpn) -> entry) and the page cache ((file, pgoff) -> page slot).

const EMPTY = -2147483648; // never a valid space

export class PageMap {
  private spaces: Int32Array;
  private indices: Float64Array;
  private values: Int32Array;
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.spaces = new Int32Array(cap).fill(EMPTY);
    this.indices = new Float64Array(cap);
    this.values = new Int32Array(cap);
    this.mask = cap - 1;
  }

  get capacity(): number {
    return this.mask + 1;
  }

  /** Bytes held by the table's arrays. */
  get bytes(): number {
    return this.capacity * (4 + 8 + 4);
  }

  private slotOf(space: number, index: number): number {
    const lo = index >>> 0;
    const hi = (index / 4294967296) >>> 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b) ^ Math.imul(space, 0xc2b2ae35), 0x9e3779b1);
    h ^= h >>> 15;
    return h & this.mask;
  }

  /** Value for the key, or `missing`. */
  get(space: number, index: number, missing = -1): number {
    let i = this.slotOf(space, index);
    const spaces = this.spaces;
    for (;;) {
      const s = spaces[i];
      if (s === EMPTY) return missing;
      if (s === space && this.indices[i] === index) return this.values[i];
      i = (i + 1) & this.mask;
    }
  }

  set(space: number, index: number, value: number): void {
    if ((this.size + 1) * 2 > this.capacity) this.grow();
    let i = this.slotOf(space, index);
    for (;;) {
      const s = this.spaces[i];
      if (s === EMPTY) {
        this.spaces[i] = space;
        this.indices[i] = index;
        this.values[i] = value;
        this.size++;
        return;
      }
      if (s === space && this.indices[i] === index) {
        this.values[i] = value;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** ORs `bits` into the key's value (an absent key counts as 0); returns the value before. */
  or(space: number, index: number, bits: number): number {
    let i = this.slotOf(space, index);
    const spaces = this.spaces;
    for (;;) {
      const s = spaces[i];
      if (s === space && this.indices[i] === index) {
        const before = this.values[i];
        this.values[i] = before | bits;
        return before;
      }
      if (s === EMPTY) {
        this.set(space, index, bits);
        return 0;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Removes the key; returns its value or `missing`. */
  delete(space: number, index: number, missing = -1): number {
    const mask = this.mask;
    let i = this.slotOf(space, index);
    for (;;) {
      const s = this.spaces[i];
      if (s === EMPTY) return missing;
      if (s === space && this.indices[i] === index) break;
      i = (i + 1) & mask;
    }
    const value = this.values[i];
    // Backward-shift: move later entries of the probe run into the hole when allowed.
    let hole = i;
    let j = (i + 1) & mask;
    while (this.spaces[j] !== EMPTY) {
      const home = this.slotOf(this.spaces[j], this.indices[j]);
      const inRange = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!inRange) {
        this.spaces[hole] = this.spaces[j];
        this.indices[hole] = this.indices[j];
        this.values[hole] = this.values[j];
        hole = j;
      }
      j = (j + 1) & mask;
    }
    this.spaces[hole] = EMPTY;
    this.size--;
    return value;
  }

  /** Calls fn for every entry (order: table order; callers needing a stable order must sort). */
  forEach(fn: (space: number, index: number, value: number) => void): void {
    for (let i = 0; i <= this.mask; i++) {
      if (this.spaces[i] !== EMPTY) fn(this.spaces[i], this.indices[i], this.values[i]);
    }
  }

  private grow(): void {
    const { spaces, indices, values } = this;
    const cap = this.capacity * 2;
    this.spaces = new Int32Array(cap).fill(EMPTY);
    this.indices = new Float64Array(cap);
    this.values = new Int32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < spaces.length; i++) {
      if (spaces[i] !== EMPTY) this.set(spaces[i], indices[i], values[i]);
    }
  }
}
