// trace@1 columns, the header row and the `# cdm-replay trace@1 key=value` metadata line.
import { TraceDataError } from '../errors.js';
import { encodeCpu, EventBatch, NONE, OP_NAMES } from './events.js';

/** Column kinds, the header maps each position to one (SKIP: an ignored unknown column). */
export const K = {
  SKIP: 0, OP: 1, ADDR: 2, LEN: 3, TIME: 4, PID: 5, TID: 6, AGENT: 7,
  KIND: 8, FILE: 9, POLICY: 10, NODES: 11, FLAGS: 12, MEMCG: 13,
} as const;

/** Column names in DESIGN §3 order; index = kind. */
export const COLUMN_NAMES = [
  '', 'op', 'addr', 'len', 'time', 'pid', 'tid', 'agent', 'kind', 'file', 'policy', 'nodes', 'flags', 'memcg',
] as const;

/** What a valid value looks like, per kind: the tail of each TraceDataError message. */
export const EXPECTED: readonly string[] = [
  '',
  `is not a valid op (expected one of ${OP_NAMES.join(', ')})`,
  'is not a valid address (expected 0x-hex or decimal, < 2^64)',
  'is not a valid length (expected bytes as decimal or 0x-hex, > 0 and < 2^53)',
  'is not a valid time (expected integer nanoseconds in decimal, < 2^63)',
  'is not a valid pid (expected an integer 0..2147483647)',
  'is not a valid tid (expected an integer 0..2147483647)',
  'is not a valid agent (expected cpuN, devN or gpuN, e.g. cpu0, dev1; N < 2^31 - 1)',
  'is not a valid kind (expected anon, file or shmem)',
  'is not a valid file name (expected any text)',
  'is not a valid policy (expected default, local, bind, preferred, preferred_many or interleave)',
  'is not a valid node list (expected node ids 0..31 as 1, 0,1 or 0-2)',
  'is not a valid flag list (expected ;-separated move, move_all, strict, hugepage, nohugepage)',
  'is not a valid memcg (expected a cgroup path)',
];

/**
 * Maps header names to column kinds. Names are exact (lower-case); an unknown name is an error
 * unless `ignoreColumns`, a duplicate always is, and `op` is required.
 */
export function parseHeader(names: readonly string[], ignoreColumns: boolean, file: string, line: number): Uint8Array {
  const kinds = new Uint8Array(names.length);
  const seen = new Set<string>();
  const fail = (value: string, expected: string): never => {
    throw new TraceDataError(file, `${line}`, 'header', value, expected);
  };
  // No op column at all: most likely not trace@1, which says more than "unknown column".
  if (!names.includes('op')) fail(names.join(','), 'is not a trace@1 header (expected a header row with an op column, e.g. op,addr)');
  names.forEach((name, i) => {
    const kind = (COLUMN_NAMES as readonly string[]).indexOf(name);
    if (kind > 0) {
      if (seen.has(name)) fail(name, 'is not unique (expected each column at most once)');
      seen.add(name);
      kinds[i] = kind;
    } else if (!ignoreColumns) {
      fail(name, `is not a known column (expected ${COLUMN_NAMES.slice(1).join(', ')}; ` +
        '--ignore-columns skips unknown ones)');
    }
  });
  return kinds;
}

/** What a column holds when it is absent or empty (time: NaN, which RowBuilder.finish writes per row). */
function fillDefault(batch: EventBatch, kind: number): void {
  switch (kind) {
    case K.ADDR:
      batch.fillColumn('addrHi', 0);
      batch.fillColumn('addrLo', 0);
      break;
    case K.LEN:
      batch.fillColumn('len', NaN);
      break;
    case K.PID:
      batch.fillColumn('pid', 1);
      break;
    case K.TID:
      batch.fillColumn('tid', NONE);
      break;
    case K.AGENT:
      batch.fillColumn('agent', encodeCpu(0));
      break;
    case K.KIND:
    case K.POLICY:
    case K.NODES:
    case K.FLAGS:
      batch.fillColumn(kind === K.KIND ? 'kind' : kind === K.POLICY ? 'policy' : kind === K.NODES ? 'nodes' : 'flags', 0);
      break;
    case K.MEMCG:
      batch.fillColumn('memcg', NONE);
      break;
    case K.FILE:
      batch.fillColumn('file', NONE);
      break;
    default: // op (never empty), time, ignored columns
  }
}

/** Defaults for columns the header lacks: set once, since rows never write them. */
export function fillAbsentColumns(batch: EventBatch, kinds: Uint8Array): void {
  if (!kinds.includes(K.TIME)) batch.fillColumn('time', NaN);
  for (let kind = 1; kind < COLUMN_NAMES.length; kind++) if (!kinds.includes(kind)) fillDefault(batch, kind);
}

/**
 * Empty-field values of the header's kind, policy, nodes, flags, memcg and file columns for the
 * whole batch, written before its first row so the fast path can skip these (mostly empty)
 * fields; each must equal what RowBuilder.setField writes for an empty field.
 */
export function fillEmptyFields(batch: EventBatch, kinds: Uint8Array): void {
  for (let c = 0; c < kinds.length; c++) if (kinds[c] >= K.KIND) fillDefault(batch, kinds[c]);
}

const META = /^#\s*cdm-replay\s+(trace@\S*)(.*)$/;

/** Reads `# cdm-replay trace@1 key=value ...` into `meta`; other comment lines are ignored. */
export function parseMetaComment(text: string, meta: Record<string, string>, file: string, line: number): void {
  const m = META.exec(text);
  if (!m) return;
  if (m[1] !== 'trace@1') {
    throw new TraceDataError(file, `${line}`, 'metadata', m[1], 'is not a supported version (expected trace@1)');
  }
  for (const token of m[2].trim().split(/\s+/)) {
    if (token === '') continue;
    const eq = token.indexOf('=');
    if (eq <= 0) {
      throw new TraceDataError(file, `${line}`, 'metadata', token, 'is not key=value (expected key=value pairs separated by spaces)');
    }
    meta[token.slice(0, eq)] = token.slice(eq + 1);
  }
}
