// Seeded synthetic workloads for `cdm-replay gen` (issue: trace formats) and the benchmark. Each
// yields trace@1 rows; the same seed and options give the same bytes.

export interface GenOptions {
  seed: number;
  /** Approximate number of access events. */
  events: number;
  /** Working set in pages (per buffer). */
  pages: number;
  pageSize: number;
  /** Nanoseconds between events. */
  stepNs: number;
}

export type Row = string;

/** mulberry32: small, fast, good enough for workload shapes. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const HEADER = 'op,addr,len,agent,nodes,kind,time';
const BASE = 0x7f0000000000;
const hex = (n: number) => `0x${n.toString(16)}`;

export interface Workload {
  name: string;
  description: string;
  rows(o: GenOptions): Generator<Row>;
}

function* clock(o: GenOptions): Generator<number, never> {
  for (let t = 0; ; t += o.stepNs) yield t;
}

export const WORKLOADS: readonly Workload[] = [
  {
    name: 'stream',
    description: 'one CPU streams over a buffer again and again, alternating read and write passes',
    *rows(o) {
      const t = clock(o);
      yield `mmap,${hex(BASE)},${o.pages * o.pageSize},cpu0,,anon,${t.next().value}`;
      for (let i = 0, pass = 0; i < o.events; pass++) {
        for (let p = 0; p < o.pages && i < o.events; p++, i++) {
          yield `${pass % 2 ? 'read' : 'write'},${hex(BASE + p * o.pageSize)},,cpu0,,,${t.next().value}`;
        }
      }
    },
  },
  {
    name: 'random',
    description: 'uniform random reads and writes (1 in 4) from two CPUs over the working set',
    *rows(o) {
      const r = prng(o.seed);
      const t = clock(o);
      yield `mmap,${hex(BASE)},${o.pages * o.pageSize},cpu0,,anon,${t.next().value}`;
      for (let i = 0; i < o.events; i++) {
        const p = Math.floor(r() * o.pages);
        const op = r() < 0.25 ? 'write' : 'read';
        yield `${op},${hex(BASE + p * o.pageSize)},,cpu${i & 1},,,${t.next().value}`;
      }
    },
  },
  {
    name: 'phase-shift',
    description: 'a CPU initialises a buffer, the device works on it after a driver migration, then the CPU reads results',
    *rows(o) {
      const t = clock(o);
      const bytes = o.pages * o.pageSize;
      yield `mmap,${hex(BASE)},${bytes},cpu0,,anon,${t.next().value}`;
      const third = Math.max(1, Math.floor(o.events / 3));
      for (let i = 0; i < third; i++) yield `write,${hex(BASE + (i % o.pages) * o.pageSize)},,cpu0,,,${t.next().value}`;
      yield `migrate,${hex(BASE)},${bytes},dev0,1,,${t.next().value}`;
      for (let i = 0; i < third; i++) yield `${i % 3 ? 'read' : 'write'},${hex(BASE + (i % o.pages) * o.pageSize)},,dev0,,,${t.next().value}`;
      for (let i = 0; i < o.events - 2 * third; i++) yield `read,${hex(BASE + (i % o.pages) * o.pageSize)},,cpu0,,,${t.next().value}`;
    },
  },
  {
    name: 'producer-consumer',
    description: 'the CPU produces chunks the device consumes (driver migrates each chunk to the device), round after round',
    *rows(o) {
      const t = clock(o);
      const chunk = Math.max(1, Math.min(o.pages, 256));
      const chunks = Math.max(1, Math.floor(o.pages / chunk));
      yield `mmap,${hex(BASE)},${o.pages * o.pageSize},cpu0,,anon,${t.next().value}`;
      for (let i = 0, c = 0; i < o.events; c = (c + 1) % chunks) {
        const at = BASE + c * chunk * o.pageSize;
        for (let p = 0; p < chunk && i < o.events; p++, i++) yield `write,${hex(at + p * o.pageSize)},,cpu0,,,${t.next().value}`;
        yield `migrate,${hex(at)},${chunk * o.pageSize},dev0,1,,${t.next().value}`;
        for (let p = 0; p < chunk && i < o.events; p++, i++) yield `read,${hex(at + p * o.pageSize)},,dev0,,,${t.next().value}`;
      }
    },
  },
  {
    name: 'oversubscribe',
    description: 'the device streams over a working set larger than its memory, migrating windows to itself as it goes',
    *rows(o) {
      const r = prng(o.seed);
      const t = clock(o);
      const window = Math.max(1, Math.min(o.pages, 512));
      yield `mmap,${hex(BASE)},${o.pages * o.pageSize},cpu0,,anon,${t.next().value}`;
      for (let p = 0; p < o.pages; p += window) yield `write,${hex(BASE + p * o.pageSize)},${Math.min(window, o.pages - p) * o.pageSize},cpu0,,,${t.next().value}`;
      for (let i = 0; i < o.events;) {
        const start = Math.floor(r() * Math.max(1, o.pages - window));
        yield `migrate,${hex(BASE + start * o.pageSize)},${window * o.pageSize},dev0,1,,${t.next().value}`;
        for (let p = 0; p < window && i < o.events; p++, i++) yield `read,${hex(BASE + (start + p) * o.pageSize)},,dev0,,,${t.next().value}`;
      }
    },
  },
];

export function getWorkload(name: string): Workload | undefined {
  return WORKLOADS.find((w) => w.name === name);
}
