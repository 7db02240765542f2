// Fixed-count time buckets over trace time (the report's `timeline`): memory stays flat whatever
// the trace length. Bucket i covers [i * width, (i + 1) * width). When a bucket index would reach
// the limit, neighbouring pairs (2i, 2i + 1) merge and the width doubles: counters sum, gauges and
// heatmap columns keep the later bucket's value (the state at the later end). Everything depends
// on event times only, never on how a reader chunks its batches, so the same trace gives the same
// buckets.

export class Buckets {
  /** Bucket width in trace ns; a power-of-two multiple of the initial width. */
  width: number;
  /** Index of the open bucket (the one the latest event falls in). */
  cur = 0;
  /** Per bucket and series: summed counters and sampled gauges. */
  readonly counters: Float64Array;
  readonly gauges: Float64Array;
  /** Per bucket: one heatmap column of `rows` cells (a node position, or -1). */
  columns: Int8Array;
  /** Whether the bucket was ever sampled (a gauge is "unknown" before the first sample). */
  readonly sampled: Uint8Array;

  constructor(
    readonly limit: number,
    initialWidth: number,
    readonly counterCount: number,
    readonly gaugeCount: number,
    public rows: number,
  ) {
    if (limit < 2 || limit % 2 !== 0) throw new Error(`internal: bucket limit must be even and >= 2 (got ${limit})`);
    this.width = initialWidth;
    this.counters = new Float64Array(limit * counterCount);
    this.gauges = new Float64Array(limit * gaugeCount);
    this.columns = new Int8Array(limit * rows).fill(-1);
    this.sampled = new Uint8Array(limit);
  }

  /** End of the open bucket: the engine samples when an event reaches it. */
  get nextBoundary(): number {
    return (this.cur + 1) * this.width;
  }

  /** Bucket holding time t (clamped to the open bucket: late records of a flushed log). */
  indexOf(t: number): number {
    return Math.min(this.cur, Math.max(0, Math.floor(t / this.width)));
  }

  addCounter(t: number, series: number, v: number): void {
    this.counters[this.indexOf(t) * this.counterCount + series] += v;
  }

  /**
   * Moves the open bucket to the one holding time t (t >= nextBoundary), merging pairs as often
   * as needed to keep the index below the limit. Buckets skipped over saw no event: their gauges
   * and column repeat the open bucket's last sample, their counters stay zero.
   */
  advance(t: number): void {
    while (Math.floor(t / this.width) >= this.limit) this.mergePairs();
    const next = Math.floor(t / this.width);
    const from = this.cur;
    for (let b = from + 1; b <= next; b++) {
      this.gauges.copyWithin(b * this.gaugeCount, from * this.gaugeCount, (from + 1) * this.gaugeCount);
      this.columns.copyWithin(b * this.rows, from * this.rows, (from + 1) * this.rows);
      this.sampled[b] = this.sampled[from];
    }
    this.cur = Math.max(this.cur, next);
  }

  /** Pairs (2i, 2i + 1) become bucket i and the width doubles. */
  private mergePairs(): void {
    const C = this.counterCount, G = this.gaugeCount, R = this.rows;
    const n = this.cur + 1;
    for (let i = 0; 2 * i < n; i++) {
      const a = 2 * i;
      const later = a + 1 < n ? a + 1 : a;
      for (let k = 0; k < C; k++) this.counters[i * C + k] = this.counters[a * C + k] + (a + 1 < n ? this.counters[(a + 1) * C + k] : 0);
      this.gauges.copyWithin(i * G, later * G, (later + 1) * G);
      this.columns.copyWithin(i * R, later * R, (later + 1) * R);
      this.sampled[i] = this.sampled[later];
    }
    const kept = Math.ceil(n / 2);
    this.counters.fill(0, kept * C);
    this.gauges.fill(0, kept * G);
    this.columns.fill(-1, kept * R);
    this.sampled.fill(0, kept);
    this.cur = kept - 1;
    this.width *= 2;
  }

  /** Column storage of the open bucket, for the heatmap to fill. */
  column(b = this.cur): Int8Array {
    return this.columns.subarray(b * this.rows, (b + 1) * this.rows);
  }

  /** Remaps every stored column through `map` (old row -> new row) after the row set coarsened. */
  remapRows(map: Int32Array, newRows: number): void {
    const out = new Int8Array(this.limit * newRows).fill(-1);
    for (let b = 0; b < this.limit; b++) {
      for (let r = 0; r < this.rows; r++) {
        const v = this.columns[b * this.rows + r];
        const to = b * newRows + map[r];
        // Merged rows keep the first-seen row that had a page: a deterministic choice.
        if (v >= 0 && out[to] < 0) out[to] = v;
      }
    }
    this.columns = out;
    this.rows = newRows;
  }
}
