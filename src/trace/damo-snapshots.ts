// DAMON monitoring results as both damo readers see them (snapshots of regions per target), the
// rule that turns a snapshot into replayable accesses, and damo's formatted-number parsing.
//
// DAMON reports region-level sampled frequencies, not accesses: once per sampling interval it
// checks one page per region, and `nr_accesses` counts the samples of an aggregation interval
// that found the page accessed. The replay rule (README "Trace formats") mirrors that sampling:
// a region with nr_accesses = n > 0 becomes k = min(n, DAMON_MAX_READS) single-page reads, one per
// positive sample, at pages spread evenly over the region with a phase that moves from snapshot
// to snapshot (a golden-ratio sequence, so successive snapshots sample different pages as DAMON's
// random sampling does, deterministically). All reads of a snapshot happen at its end time, the
// moment the tracepoint fired; they are interleaved in rounds (round i reads the i-th sample of
// every region with more than i, regions in address order). Regions with n = 0 produce nothing.
import { encodeCpu, Op, type ReadOptions } from './events.js';
import { hasRules } from './agent-map.js';
import type { Ev } from './event-writer.js';

/** Reads per region per snapshot at most: 20 = the default 100 ms aggregation / 5 ms sampling. */
export const DAMON_MAX_READS = 20;
/** The page the spread is computed in (DAMON regions are page-aligned; 4 KiB on x86). */
export const DAMON_PAGE = 4096;

export interface DamonRegion {
  start: bigint;
  end: bigint;
  /** Positive samples in the aggregation interval. */
  nrAccesses: number;
  /** Aggregation intervals the region kept its access level; null when the source has none. */
  age: number | null;
}

export interface DamonSnapshot {
  /** 0-based index of the target in order of first appearance; replayed as pid index + 1. */
  target: number;
  /** The target as the source names it (damo's target_id: a kernel pointer or an index). */
  targetId: string;
  /** Start of the aggregation interval (ns), null when the source does not say. */
  start: bigint | null;
  /** End of the aggregation interval (ns): when the results were reported. */
  end: bigint;
  regions: DamonRegion[];
  /** Source line (perf script) or 1-based snapshot ordinal (JSON) for errors downstream. */
  line: number;
}

/** The synthetic reads for one snapshot; `seq` is the snapshot's 0-based ordinal within its target. */
export function* snapshotEvents(s: DamonSnapshot, seq: number): Generator<Ev> {
  const phase = (Math.imul(seq + 1, 0x9e3779b9) >>> 0) / 4294967296;
  const reads = s.regions.map((r) => (r.nrAccesses > 0 ? Math.min(r.nrAccesses, DAMON_MAX_READS) : 0));
  const rounds = Math.max(0, ...reads);
  const pid = s.target + 1;
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < s.regions.length; j++) {
      const k = reads[j];
      if (k <= i) continue;
      const r = s.regions[j];
      const pages = Math.max(1, Math.floor(Number(r.end - r.start) / DAMON_PAGE));
      const page = Math.min(pages - 1, Math.floor(((i + phase) / k) * pages));
      yield {
        op: Op.read, addr: r.start + BigInt(page * DAMON_PAGE), len: NaN, time: s.end, pid,
        agent: encodeCpu(0), nodes: 0, line: s.line,
      };
    }
  }
}

/** The trace@1 columns DAMON events use (`convert`): no len, tid or nodes. */
export const DAMO_COLUMNS = (options: ReadOptions): string[] => ['op', 'addr', 'time', 'pid', ...(hasRules(options.agentMap) ? ['agent'] : [])];

/** damo writes a single-snapshot record with a fake second snapshot (one 0-0 region, -1 samples). */
export const isFakeSnapshot = (regions: DamonRegion[]): boolean =>
  regions.length === 1 && regions[0].start === 0n && regions[0].end === 0n && regions[0].nrAccesses === -1;

// --- damo's formatted numbers (_damo_fmt_str.py): "4,294,967,296", "143.027 MiB", "1 m 2 s 3 ms", "max".

const ULONG_MAX = (1n << 64n) - 1n;
const BYTE_UNITS: Record<string, number> = {
  B: 1, K: 2 ** 10, KB: 2 ** 10, KiB: 2 ** 10, M: 2 ** 20, MB: 2 ** 20, MiB: 2 ** 20, G: 2 ** 30, GB: 2 ** 30, GiB: 2 ** 30,
  T: 2 ** 40, TB: 2 ** 40, TiB: 2 ** 40, P: 2 ** 50, PB: 2 ** 50, PiB: 2 ** 50, E: 2 ** 60, EB: 2 ** 60, EiB: 2 ** 60,
};
const NS_UNITS: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9, d: 86400e9 };

/** text_to_nr: a JSON number, or a string with optional thousands commas; null when not a number. */
export function textToNr(v: unknown): bigint | number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? (Number.isInteger(v) ? BigInt(v) : v) : null;
  if (typeof v !== 'string') return null;
  if (v === 'max') return ULONG_MAX;
  const t = v.replace(/,/g, '').trim();
  if (/^-?\d+$/.test(t)) return BigInt(t);
  return /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : null;
}

const toBig = (n: bigint | number): bigint => (typeof n === 'bigint' ? n : BigInt(Math.floor(n)));

/** text_to_bytes: a plain number, or a number with a unit (B, KiB, MB, ...); null when invalid. */
export function textToBytes(v: unknown): bigint | null {
  const plain = textToNr(v);
  if (plain !== null) return toBig(plain);
  if (typeof v !== 'string') return null;
  const m = /^(.*?)\s*([KMGTPE]i?B?|B)$/.exec(v.trim());
  const n = m ? textToNr(m[1]) : null;
  if (!m || n === null || !(m[2] in BYTE_UNITS)) return null;
  const bytes = typeof n === 'bigint' ? n * BigInt(BYTE_UNITS[m[2]]) : toBig(n * BYTE_UNITS[m[2]]);
  return bytes > ULONG_MAX ? ULONG_MAX : bytes;
}

/** text_to_ns: plain ns, or "<number> <unit>" pairs summed ("8 m 59 s 913 ms 599 us"); null when invalid. */
export function textToNs(v: unknown): bigint | null {
  const plain = textToNr(v);
  if (plain !== null) return toBig(plain);
  if (typeof v !== 'string') return null;
  const fields = v.trim().split(/\s+/);
  if (fields.length % 2 !== 0 && fields.length > 1) return null;
  let total = 0n;
  const pairs = fields.length === 1 ? [/^(.*?)(ns|us|ms|s|m|h|d)$/.exec(fields[0])?.slice(1) ?? []] : [];
  for (let i = 0; fields.length > 1 && i < fields.length; i += 2) pairs.push([fields[i], fields[i + 1]]);
  for (const [num, unit] of pairs) {
    const n = num === undefined ? null : textToNr(num);
    if (n === null || !(unit in NS_UNITS)) return null;
    total += typeof n === 'bigint' ? n * BigInt(NS_UNITS[unit]) : toBig(n * NS_UNITS[unit]);
  }
  return pairs.length > 0 ? total : null;
}

/** text_to_us for intervals: plain numbers are microseconds, unit strings are converted. */
export function textToUs(v: unknown): number | null {
  const plain = textToNr(v);
  if (plain !== null) return Number(plain);
  const ns = textToNs(v);
  return ns === null ? null : Number(ns) / 1000;
}
