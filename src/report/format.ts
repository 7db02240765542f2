// Number and key formatting shared by the renderers. Hand-written rather than toLocaleString so
// output never depends on the ICU build or the user's locale (STYLE habit 8: same input, same bytes).

/** Integer with thousands separators: 1234567 -> "1,234,567"; non-integers are rounded. */
export function formatInt(n: number): string {
  const digits = String(Math.abs(Math.round(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return Math.round(n) < 0 ? `-${digits}` : digits;
}

/** A ratio with 4 decimals: 0.12345 -> "0.1235". */
export function formatRatio(x: number): string {
  return x.toFixed(4);
}

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** Bytes in binary units: 512 -> "512 B", 1536 -> "1.50 KiB", 3 << 30 -> "3.00 GiB". */
export function formatBytes(n: number): string {
  if (Math.abs(n) < 1024) return `${formatInt(n)} B`;
  let v = n;
  let unit: string = 'B';
  for (const u of BYTE_UNITS) {
    if (Math.abs(v) < 1024) break;
    v /= 1024;
    unit = u;
  }
  return `${v.toFixed(2)} ${unit}`;
}

/** Trace time in the largest unit that keeps it >= 1: 1_250_000_000 -> "1.250 s". */
export function formatDurationNs(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(3)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(3)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(3)} µs`;
  return `${formatInt(ns)} ns`;
}

/**
 * Order for names that embed numbers ("cpu2" before "cpu10"), independent of locale: digit runs
 * compare by value, everything else by code unit.
 */
export function naturalCompare(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d < 0 ? -1 : 1;
      return x.length - y.length; // "007" after "7": equal value, keep it total
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** A copy of a record with its keys in natural order. */
export function sortKeys<T>(r: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(r).sort(naturalCompare)) out[k] = r[k];
  return out;
}
