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

/**
 * One batch of events, struct of arrays. A reader fills a batch and yields it; the consumer must
 * finish with it before pulling the next one (readers reuse the arrays).
 *
 * Addresses are full 64-bit values split into two unsigned 32-bit halves so nothing is lost above
 * 2^53; the engine turns them into page numbers (exact, since 2^64 / 4096 < 2^53).
 */
export class EventBatch {
  count = 0;
  readonly op: Uint8Array;
  readonly addrHi: Uint32Array;
  readonly addrLo: Uint32Array;
  /** Bytes; NaN when the column was empty (the op's default applies). */
  readonly len: Float64Array;
  /** Nanoseconds since the trace's first event (rebased by the reader); NaN when absent. */
  readonly time: Float64Array;
  readonly pid: Int32Array;
  /** NONE when absent. */
  readonly tid: Int32Array;
  readonly agent: Int32Array;
  readonly kind: Uint8Array;
  readonly policy: Uint8Array;
  /** Bit mask of node ids. */
  readonly nodes: Uint32Array;
  readonly flags: Uint8Array;
  /** Index into TraceInfo.strings, NONE when absent. */
  readonly memcg: Int32Array;
  /** Index into TraceInfo.strings, NONE when absent. */
  readonly file: Int32Array;
  /** Source line (or record number) for located errors downstream. */
  readonly line: Float64Array;
  /**
   * How many accesses this event stands for: 1 for every per-access format (the default, and
   * what a reader that never writes it leaves); a sampled format (perf mem) puts the sample's
   * period here, so one event replays as that many accesses to its page at its time. Only
   * meaningful on read, write and fault; an integer >= 1.
   */
  readonly weight: Float64Array;

  constructor(readonly capacity = 4096) {
    this.op = new Uint8Array(capacity);
    this.addrHi = new Uint32Array(capacity);
    this.addrLo = new Uint32Array(capacity);
    this.len = new Float64Array(capacity);
    this.time = new Float64Array(capacity);
    this.pid = new Int32Array(capacity);
    this.tid = new Int32Array(capacity);
    this.agent = new Int32Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.policy = new Uint8Array(capacity);
    this.nodes = new Uint32Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.memcg = new Int32Array(capacity);
    this.file = new Int32Array(capacity);
    this.line = new Float64Array(capacity);
    this.weight = new Float64Array(capacity).fill(1);
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
