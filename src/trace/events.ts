// The event model every trace reader produces (DESIGN §3). Events travel in reusable
// struct-of-arrays batches so the hot path allocates nothing per event.
import type { AgentMap } from './agent-map.js';

/** Trace operations; numeric codes are internal, names are the trace@1 spellings. */
export const Op = {
  mmap: 1,
  munmap: 2,
  read: 3,
  write: 4,
  fault: 5,
  mbind: 6,
  set_mempolicy: 7,
  migrate: 8,
  mlock: 9,
  munlock: 10,
  madvise: 11,
  pin: 12,
  unpin: 13,
  exit: 14,
} as const;
export type OpName = keyof typeof Op;
export const OP_NAMES: readonly OpName[] = Object.keys(Op) as OpName[];
/** Name of an op code (index = code). */
export const OP_BY_CODE: readonly string[] = (() => {
  const a: string[] = [];
  for (const n of OP_NAMES) a[Op[n]] = n;
  return a;
})();
/** Ops that need an address. */
export const RANGE_OPS: ReadonlySet<number> = new Set([
  Op.mmap, Op.munmap, Op.mbind, Op.migrate, Op.mlock, Op.munlock, Op.madvise, Op.pin, Op.unpin,
]);

export const MapKind = { none: 0, anon: 1, file: 2, shmem: 3 } as const;
export const MAP_KIND_NAMES = ['none', 'anon', 'file', 'shmem'] as const;

/** Memory policy modes as trace@1 names them (KERNEL-MODEL §2.5). */
export const Policy = { none: 0, default: 1, local: 2, bind: 3, preferred: 4, preferred_many: 5, interleave: 6 } as const;
export const POLICY_NAMES = ['none', 'default', 'local', 'bind', 'preferred', 'preferred_many', 'interleave'] as const;

/** `flags` column bits. */
export const Flag = { move: 1, move_all: 2, strict: 4, hugepage: 8, nohugepage: 16 } as const;
export const FLAG_NAMES = ['move', 'move_all', 'strict', 'hugepage', 'nohugepage'] as const;

/** Node lists are bit masks: node ids 0..31. */
export const MAX_NODES = 32;

/**
 * Agents are encoded in one small integer: cpuN -> N (>= 0), devN -> -(N + 1).
 * The default agent is cpu0.
 */
export const encodeCpu = (n: number): number => n;
export const encodeDev = (n: number): number => -(n + 1);
export const isDevAgent = (a: number): boolean => a < 0;
export const devIndex = (a: number): number => -a - 1;

/** Value used for "column absent / empty" in numeric id columns. */
export const NONE = -1;

/** EventBatch's columns, in their order in its buffer. */
const COLUMNS = [
  ['op', Uint8Array], ['addrHi', Uint32Array], ['addrLo', Uint32Array], ['len', Float64Array], ['time', Float64Array],
  ['pid', Int32Array], ['tid', Int32Array], ['agent', Int32Array], ['kind', Uint8Array], ['policy', Uint8Array],
  ['nodes', Uint32Array], ['flags', Uint8Array], ['memcg', Int32Array], ['file', Int32Array], ['line', Float64Array],
  ['weight', Float64Array],
] as const;
type Column = (typeof COLUMNS)[number][0];

/** Byte offset of each column in a batch buffer of `capacity` events (8-byte aligned), and its size. */
function layout(capacity: number): { offsets: number[]; bytes: number } {
  const offsets: number[] = [];
  let at = 0;
  for (const [, Type] of COLUMNS) {
    offsets.push(at);
    at += Math.ceil((capacity * Type.BYTES_PER_ELEMENT) / 8) * 8;
  }
  return { offsets, bytes: at };
}

/**
 * One batch of events, struct of arrays. A reader fills a batch and yields it; the consumer must
 * finish with it before pulling the next one (readers reuse the arrays), or take its events away
 * whole with swapBuffer().
 *
 * Every column lives in one buffer, so the threaded engine hands a batch to its workers whole.
 * A column a reader never writes row by row holds a value set with fillColumn(), which a swapped-in
 * buffer gets too.
 *
 * Addresses are full 64-bit values split into two unsigned 32-bit halves so nothing is lost above
 * 2^53; the engine turns them into page numbers (exact, since 2^64 / 4096 < 2^53).
 */
export class EventBatch {
  count = 0;
  /** The buffer holding every column (shared when the threaded engine lends it to several workers). */
  buffer!: ArrayBufferLike;
  op!: Uint8Array;
  addrHi!: Uint32Array;
  addrLo!: Uint32Array;
  /** Bytes; NaN when the column was empty (the op's default applies). */
  len!: Float64Array;
  /** Nanoseconds since the trace's first event (rebased by the reader); NaN when absent. */
  time!: Float64Array;
  pid!: Int32Array;
  /** NONE when absent. */
  tid!: Int32Array;
  agent!: Int32Array;
  kind!: Uint8Array;
  policy!: Uint8Array;
  /** Bit mask of node ids. */
  nodes!: Uint32Array;
  flags!: Uint8Array;
  /** Index into TraceInfo.strings, NONE when absent. */
  memcg!: Int32Array;
  /** Index into TraceInfo.strings, NONE when absent. */
  file!: Int32Array;
  /** Source line (or record number) for located errors downstream. */
  line!: Float64Array;
  /**
   * How many accesses this event stands for: 1 for every per-access format (the default, and
   * what a reader that never writes it leaves); a sampled format (perf mem) puts the sample's
   * period here, so one event replays as that many accesses to its page at its time. Only
   * meaningful on read, write and fault; an integer >= 1.
   */
  weight!: Float64Array;
  /** Columns filled whole with fillColumn(): [column, value], latest last. */
  private readonly filled: [Column, number][] = [];

  /** A batch over `buffer` (EventBatch.bytes(capacity) long, e.g. received from another thread), or a new one. */
  constructor(readonly capacity = 4096, buffer?: ArrayBufferLike) {
    this.view(buffer ?? new ArrayBuffer(EventBatch.bytes(capacity)));
    if (!buffer) this.fillColumn('weight', 1);
  }

  /** Size of the buffer of a batch of `capacity` events. */
  static bytes(capacity: number): number {
    return layout(capacity).bytes;
  }

  /** Sets `column` to `value` in every row, in this buffer and in any swapped in later. */
  fillColumn(column: Column, value: number): void {
    this[column].fill(value);
    const known = this.filled.find((f) => f[0] === column);
    if (known) known[1] = value;
    else this.filled.push([column, value]);
  }

  /**
   * Hands over the buffer with the rows written so far and goes on in `next` (of the same size,
   * e.g. one a consumer is done with): the consumer keeps the events, no copy. The filled
   * columns are filled again in `next`; `count` is unchanged (readers reset it after a yield).
   */
  swapBuffer(next: ArrayBufferLike): ArrayBufferLike {
    const out = this.buffer;
    this.view(next);
    for (const [column, value] of this.filled) this[column].fill(value);
    return out;
  }

  private view(buffer: ArrayBufferLike): void {
    const { offsets, bytes } = layout(this.capacity);
    if (buffer.byteLength !== bytes) throw new Error(`EventBatch: a buffer of ${buffer.byteLength} bytes for ${this.capacity} events (expected ${bytes})`);
    this.buffer = buffer;
    const self = this as unknown as Record<Column, unknown>;
    // (Typed arrays take a SharedArrayBuffer as well; the union of constructors is typed for ArrayBuffer.)
    COLUMNS.forEach(([name, Type], k) => { self[name] = new Type(buffer as ArrayBuffer, offsets[k], this.capacity); });
  }
}

/** What a reader learns about the trace as a whole (filled while reading, final at the end). */
export interface TraceInfo {
  path: string;
  /** Format and version, e.g. "cdm-replay/trace@1". */
  format: string;
  /** Interned strings (memcg paths, file names) referenced by index from batches. */
  strings: string[];
  /** Events read so far (final after the last batch). */
  events: number;
  /** Original time of the first event as a decimal string of nanoseconds, or null without a time column. */
  startTime: string | null;
  /** `# cdm-replay trace@1 key=value` metadata. */
  meta: Record<string, string>;
  /** Lines skipped, by reason (comments and blank lines are not counted). */
  skipped: Record<string, number>;
  /** sha256 of the input bytes as given (compressed bytes for .gz), hex; final after the last batch. */
  sha256: string;
  /**
   * The trace@1 columns the reader's events use (set before the first batch); `convert` writes
   * only these. Absent: every column.
   */
  columns?: string[];
}

export interface ReadOptions {
  /** Unknown columns are ignored instead of rejected (`--ignore-columns`). */
  ignoreColumns?: boolean;
  batchSize?: number;
  /** Who plays which agent, by tid, pid, comm or recorded CPU (`--agent`, src/trace/agent-map.ts). */
  agentMap?: AgentMap;
  /** valgrind lackey: replay instruction fetches (`I` lines) as reads instead of skipping them (`--keep-instr`). */
  keepInstr?: boolean;
  /** Intel Pin pinatrace: the column layout, e.g. "ip,op,addr" or "addr,size,ip,op=write" (`--pin-columns`). */
  pinColumns?: string;
  /** ftrace: a /proc/zoneinfo file mapping pfns to nodes for mm_page_alloc (`--zoneinfo`). */
  zoneinfo?: string;
  /** GPU traces (nsys, KFD): device id -> agent and node, "KEY=devN[@NODE],...,host=NODE" (`--device-map`). */
  deviceMap?: string;
}

/** The format-specific ReadOptions; a reader lists the ones it honours in TraceReader.options. */
export type FormatOption = 'agentMap' | 'keepInstr' | 'pinColumns' | 'zoneinfo' | 'deviceMap';

/** A trace reader: one module per format, registered in src/trace/registry.ts. */
export interface TraceReader {
  readonly name: string;
  readonly description: string;
  /** The command that produces this format (`cdm-replay formats`). */
  readonly producedBy?: string;
  /** What it reports as info.format (`cdm-replay formats`); default: its name. */
  readonly reports?: string;
  /** The FormatOptions it honours (absent: none); giving it another is a usage error. */
  readonly options?: readonly FormatOption[];
  /** True when the first bytes (decompressed) look like this format. */
  sniff(head: string): boolean;
  /**
   * True when `read` keeps no view of a chunk once it asks for the next (it copies what it
   * carries over), so the input may reuse the chunk's memory.
   */
  readonly copiesChunks?: boolean;
  /** Streams event batches from decompressed input chunks; fills `info` as it goes. */
  read(chunks: AsyncIterable<Buffer>, info: TraceInfo, options: ReadOptions): AsyncGenerator<EventBatch>;
}
