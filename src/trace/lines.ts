// What the line-oriented readers (lackey, pin, perf script, ftrace) share: a streaming driver that
// hands each line to a parser as a byte range of the chunk (no string per line), and byte
// scanners for the values those tools print. Memory stays flat: at most one partial line is
// carried between chunks, and a runaway line is an error.
import { TraceDataError } from '../errors.js';
import { EventBatch, NONE, type ReadOptions, type TraceInfo } from './events.js';
import { S, scanHex } from './csv-fields.js';
import { clip } from './csv-split.js';
import { decimalString, TimeRebaser } from './csv-rules.js';

export { S } from './csv-fields.js';

const LF = 10;
const CR = 13;
const SP = 32;
const TAB = 9;

/** A line longer than this is an error: memory must not grow with a runaway line. */
export const MAX_LINE = 1 << 20;

/**
 * A batch with every column at its trace@1 default (len and time absent, pid 1, no tid, memcg or
 * file, agent cpu0, weight 1): readers then write only what their format records.
 */
export function defaultBatch(options: ReadOptions): EventBatch {
  const b = new EventBatch(options.batchSize ?? 4096);
  b.fillColumn('len', NaN);
  b.fillColumn('time', NaN);
  b.fillColumn('pid', 1);
  b.fillColumn('tid', NONE);
  b.fillColumn('memcg', NONE);
  b.fillColumn('file', NONE);
  return b;
}

/** A format's line parser: gets each line, may add at most one event to the batch per line. */
export interface LineParser {
  readonly batch: EventBatch;
  /**
   * Line b[s, e) without its line end (a CR before the LF is cut off); `line` is 1-based. b may be
   * refilled after the call (the readers declare copiesChunks): copy any bytes kept.
   */
  line(b: Buffer, s: number, e: number, line: number): void;
  /** After the last line: write counters into info (skipped, meta, format). */
  end(): void;
}

/** Streams batches from decompressed chunks through a line parser. */
export async function* readLines(chunks: AsyncIterable<Buffer>, info: TraceInfo, parser: LineParser): AsyncGenerator<EventBatch> {
  const batch = parser.batch;
  const cap = batch.capacity;
  let line = 1;
  let tail: Buffer | null = null;
  let first = true;
  const one = (b: Buffer, s: number, e: number): void => {
    if (first) {
      first = false;
      if (b[s] === 0xef && b[s + 1] === 0xbb && b[s + 2] === 0xbf) s += 3; // UTF-8 BOM
    }
    if (e > s && b[e - 1] === CR) e--;
    parser.line(b, s, e, line++);
  };
  for await (const chunk of chunks) {
    let p = 0;
    if (tail !== null) {
      const nl = chunk.indexOf(LF);
      if (nl < 0) {
        tail = Buffer.concat([tail, chunk]);
        if (tail.length > MAX_LINE) throw tooLong(info, line, tail);
        continue;
      }
      const joined = Buffer.concat([tail, chunk.subarray(0, nl)]);
      tail = null;
      if (batch.count >= cap) {
        info.events += batch.count;
        yield batch;
        batch.count = 0;
      }
      one(joined, 0, joined.length);
      p = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(LF, p);
      if (nl < 0) break;
      if (batch.count >= cap) {
        info.events += batch.count;
        yield batch;
        batch.count = 0;
      }
      one(chunk, p, nl);
      p = nl + 1;
    }
    if (p < chunk.length) {
      // A copy: a view would pin the whole chunk, or read bytes the input has refilled.
      tail = Buffer.from(chunk.subarray(p));
      if (tail.length > MAX_LINE) throw tooLong(info, line, tail);
    }
  }
  if (tail !== null) {
    if (batch.count >= cap) {
      info.events += batch.count;
      yield batch;
      batch.count = 0;
    }
    one(tail, 0, tail.length);
  }
  parser.end();
  if (batch.count > 0) {
    info.events += batch.count;
    yield batch;
    batch.count = 0;
  }
}

function tooLong(info: TraceInfo, line: number, tail: Buffer): TraceDataError {
  return new TraceDataError(info.path, `${line}`, 'line', clip(tail.toString('utf8', 0, 100)),
    `is not a plausible line (expected lines shorter than ${MAX_LINE} bytes)`);
}

/** First position at or after p that is not a space or tab. */
export function skipSpaces(b: Uint8Array, p: number, e: number): number {
  while (p < e && (b[p] === SP || b[p] === TAB)) p++;
  return p;
}

/** First position at or after p that is a space or tab (or e). */
export function skipToken(b: Uint8Array, p: number, e: number): number {
  while (p < e && b[p] !== SP && b[p] !== TAB) p++;
  return p;
}

export const isSpace = (c: number): boolean => c === SP || c === TAB;
export const isDigit = (c: number): boolean => c - 48 >>> 0 <= 9;

/** A hex address with or without `0x` (< 2^64) into S.hi / S.lo; -1 when malformed. */
export function scanHexAddr(b: Uint8Array, p: number, e: number): number {
  if (p + 1 < e && b[p] === 48 && (b[p + 1] | 32) === 120) p += 2;
  return scanHex(b, p, e);
}

/** Kernel half of the address space on x86-64 and arm64 (>= 0xffff000000000000): not user memory. */
export const isKernelAddress = (hi: number): boolean => hi >= 0xffff0000;

/**
 * A timestamp `SECONDS[.FRACTION]` into S.hi (seconds) and S.lo (nanoseconds; a fraction of up to
 * 9 digits, so microseconds and --ns both work); -1 when malformed or the seconds reach 2^53.
 */
export function scanSeconds(b: Uint8Array, p: number, e: number): number {
  const s = p;
  let sec = 0;
  while (p < e && isDigit(b[p])) sec = sec * 10 + b[p++] - 48;
  if (p === s || sec > Number.MAX_SAFE_INTEGER) return -1;
  let ns = 0;
  if (p < e && b[p] === 46) {
    p++;
    let digits = 0;
    while (p < e && isDigit(b[p])) {
      if (digits < 9) ns = ns * 10 + b[p] - 48;
      digits++;
      p++;
    }
    if (digits === 0) return -1;
    for (; digits < 9; digits++) ns *= 10;
  }
  S.hi = sec;
  S.lo = ns;
  return p;
}

/** Position of the timestamp's colon in b[s, e) (`sec.frac:` then a blank), -1 when there is none; S.v = its start. */
export function findTimestamp(b: Uint8Array, s: number, e: number, needDot: boolean): number {
  for (let c = s; c < e; c++) {
    if (b[c] !== 58 || (c + 1 < e && !isSpace(b[c + 1]))) continue;
    let j = c - 1;
    while (j >= s && isDigit(b[j])) j--;
    if (j === c - 1) continue;
    if (j >= s && b[j] === 46) {
      const d = j;
      j--;
      while (j >= s && isDigit(b[j])) j--;
      if (j === d - 1) continue;
    } else if (needDot) continue;
    if (j >= s && !isSpace(b[j])) continue;
    S.v = j + 1;
    return c;
  }
  return -1;
}

/** Text of b[s, e) for error messages, clipped. */
export const textOf = (b: Buffer, s: number, e: number): string => clip(b.toString('utf8', s, Math.min(e, s + 200)));

/** Rebases a reader's times to start at 0 and rejects a decrease (DESIGN §3), as trace@1 does. */
export class Clock {
  private readonly rebaser = new TimeRebaser();

  constructor(private readonly info: TraceInfo) {}

  /** Rebased ns for (seconds, ns); throws a located error when time goes backwards. */
  at(sec: number, ns: number, line: number, field: string): number {
    const t = this.rebaser.rebase(sec, ns);
    if (t < 0) {
      throw new TraceDataError(this.info.path, `${line}`, field, decimalString(sec, ns),
        `is not non-decreasing (expected >= ${this.rebaser.previous()} ns, the previous event's time)`);
    }
    if (this.info.startTime === null) this.info.startTime = this.rebaser.start;
    return t;
  }
}

/** Counts by reason, kept as numbers while reading and written into info.skipped at the end. */
export class Counter {
  readonly counts = new Map<string, number>();

  add(reason: string, n = 1): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + n);
  }

  /** Adds every count into `into` (info.skipped). */
  flushInto(into: Record<string, number>): void {
    for (const [k, v] of this.counts) into[k] = (into[k] ?? 0) + v;
  }
}

/** Bytes of an ASCII string, for comparing names in place. */
export const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');

/** True when b[s, e) equals `name`. */
export function equalsBytes(b: Uint8Array, s: number, e: number, name: Uint8Array): boolean {
  if (e - s !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (b[s + i] !== name[i]) return false;
  return true;
}

/**
 * The first `n` complete non-blank lines of a sniff head (the last, possibly cut, line is
 * dropped unless it is the only one), without line ends or a BOM.
 */
export function headLines(head: string, n: number, skipComments = false): string[] {
  const all = head.replace(/^\uFEFF/, '').split('\n');
  if (all.length > 1) all.pop();
  const out: string[] = [];
  for (const raw of all) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || (skipComments && line.startsWith('#'))) continue;
    out.push(line);
    if (out.length >= n) break;
  }
  return out;
}
