// Test helpers: run the trace@1 reader over in-memory text and flatten batches to plain rows.
import { readTrace1 } from '../../src/trace/csv.js';
import { OP_BY_CODE, type EventBatch, type ReadOptions, type TraceInfo } from '../../src/trace/events.js';
import { TraceDataError } from '../../src/errors.js';

export interface Row {
  op: string;
  addr: bigint;
  len: number;
  time: number;
  pid: number;
  tid: number;
  agent: number;
  kind: number;
  policy: number;
  nodes: number;
  flags: number;
  memcg: string | null;
  file: string | null;
  line: number;
}

export const newInfo = (path = 't.csv'): TraceInfo => ({
  path, format: '', strings: [], events: 0, startTime: null, meta: {}, skipped: {}, sha256: '',
});

export function rowsOf(batch: EventBatch, info: TraceInfo): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < batch.count; i++) {
    rows.push({
      op: OP_BY_CODE[batch.op[i]],
      addr: (BigInt(batch.addrHi[i]) << 32n) | BigInt(batch.addrLo[i]),
      len: batch.len[i],
      time: batch.time[i],
      pid: batch.pid[i],
      tid: batch.tid[i],
      agent: batch.agent[i],
      kind: batch.kind[i],
      policy: batch.policy[i],
      nodes: batch.nodes[i],
      flags: batch.flags[i],
      memcg: batch.memcg[i] < 0 ? null : info.strings[batch.memcg[i]],
      file: batch.file[i] < 0 ? null : info.strings[batch.file[i]],
      line: batch.line[i],
    });
  }
  return rows;
}

export interface ReadCase {
  options?: ReadOptions;
  /** Split the input into chunks of these sizes (the rest as one chunk); default one chunk. */
  chunks?: number[];
  /** Use only the exact RFC 4180 path. */
  exactOnly?: boolean;
}

export async function* chunked(data: Buffer, sizes: number[] = []): AsyncGenerator<Buffer> {
  let p = 0;
  for (const n of sizes) {
    // Copies, so a reader that kept a reference to a chunk would be caught by the next one.
    yield Buffer.from(data.subarray(p, p + n));
    p += n;
  }
  if (p < data.length || sizes.length === 0) yield Buffer.from(data.subarray(p));
}

export async function read(text: string | Buffer, c: ReadCase = {}): Promise<{ rows: Row[]; info: TraceInfo }> {
  const info = newInfo();
  const data = typeof text === 'string' ? Buffer.from(text) : text;
  const rows: Row[] = [];
  for await (const batch of readTrace1(chunked(data, c.chunks), info, c.options ?? {}, c.exactOnly ?? false)) {
    rows.push(...rowsOf(batch, info));
  }
  return { rows, info };
}

/** The rows of a trace, read both by the fast path and by the exact path alone (they must agree). */
export async function rows(text: string, options: ReadOptions = {}): Promise<Row[]> {
  const fast = await read(text, { options });
  const exact = await read(text, { options, exactOnly: true });
  if (JSON.stringify(fast.rows, bigintJson) !== JSON.stringify(exact.rows, bigintJson)) {
    throw new Error('fast and exact paths disagree');
  }
  return fast.rows;
}

/** The one-line TraceDataError message a trace produces, on both paths (they must agree). */
export async function errorOf(text: string, options: ReadOptions = {}): Promise<string> {
  const messages: string[] = [];
  for (const exactOnly of [false, true]) {
    try {
      await read(text, { options, exactOnly });
      messages.push('no error');
    } catch (err) {
      if (!(err instanceof TraceDataError)) throw err;
      messages.push(err.message);
    }
  }
  if (messages[0] !== messages[1]) throw new Error(`paths disagree: ${messages[0]} / ${messages[1]}`);
  return messages[0];
}

export const bigintJson = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);
