// Writes an event stream as trace@1 CSV (DESIGN §3): what `cdm-replay convert` does. Streaming,
// so a converted trace never sits in memory; gzip when the name ends in .gz; `-` is stdout.
//
// The file replays like its source: the columns are the ones the reader declared
// (TraceInfo.columns), addresses are exact 64-bit hex, times are the original absolute
// nanoseconds (start_time + the rebased time, so the replay rebases them the same way), and an
// event of weight N (a perf mem sample standing for N accesses) is written as N identical rows,
// since trace@1 has no weight column. A leading `# cdm-replay trace@1 source-format=...` line
// names the source; trailing comment lines record its skipped lines and metadata for readers of
// the file (the replayer ignores comments after the header).
import { createWriteStream, openSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { UsageError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { type EventBatch, FLAG_NAMES, MAP_KIND_NAMES, NONE, Op, OP_BY_CODE, POLICY_NAMES, type TraceInfo } from './events.js';
import { COLUMN_NAMES } from './csv-header.js';
import { TRACE1_FORMAT } from './csv.js';
import type { OpenedTrace } from './registry.js';

export interface WriteResult {
  info: TraceInfo;
  /** Events read from the source. */
  events: number;
  /** Rows written (events, with weights expanded). */
  rows: number;
}

type Cell = (b: EventBatch, i: number) => string;

const hex = (hi: number, lo: number): string => (hi === 0 ? `0x${lo.toString(16)}` : `0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')}`);
const quote = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
const bits = (mask: number, name: (i: number) => string, sep: string): string => {
  const out: string[] = [];
  for (let i = 0; i < 32; i++) if ((mask >>> i) & 1) out.push(name(i));
  return out.join(sep);
};

/** A node mask as trace@1 spells it, with ranges: 0-2,5. */
function nodeList(mask: number): string {
  const parts: string[] = [];
  for (let n = 0; n < 32; n++) {
    if (((mask >>> n) & 1) === 0) continue;
    let m = n;
    while (m + 1 < 32 && ((mask >>> (m + 1)) & 1) === 1) m++;
    parts.push(m > n ? `${n}-${m}` : `${n}`);
    n = m;
  }
  return parts.join(',');
}

/** Absolute time text of a rebased time: exact for epoch-sized starts. */
class AbsoluteTime {
  private hi = 0n;
  private lo = 0;

  constructor(start: string | null) {
    if (start === null) return;
    const v = BigInt(start);
    this.hi = v / 1_000_000_000n;
    this.lo = Number(v % 1_000_000_000n);
  }

  text(t: number): string {
    const r = t % 1e9;
    const lo = this.lo + r;
    const hi = this.hi + BigInt((t - r) / 1e9 + Math.floor(lo / 1e9));
    const rest = lo % 1e9;
    return hi === 0n ? `${rest}` : `${hi}${`${rest}`.padStart(9, '0')}`;
  }
}

function cells(columns: readonly string[], info: TraceInfo, time: () => AbsoluteTime): Cell[] {
  const s = info.strings;
  const all: Record<string, Cell> = {
    op: (b, i) => OP_BY_CODE[b.op[i]],
    addr: (b, i) => {
      const op = b.op[i];
      if ((op === Op.exit || op === Op.set_mempolicy) && b.addrHi[i] === 0 && b.addrLo[i] === 0) return '';
      return hex(b.addrHi[i], b.addrLo[i]);
    },
    len: (b, i) => (b.len[i] === b.len[i] ? `${b.len[i]}` : ''),
    time: (b, i) => (b.time[i] === b.time[i] ? time().text(b.time[i]) : ''),
    pid: (b, i) => `${b.pid[i]}`,
    tid: (b, i) => (b.tid[i] === NONE ? '' : `${b.tid[i]}`),
    agent: (b, i) => (b.agent[i] >= 0 ? `cpu${b.agent[i]}` : `dev${-b.agent[i] - 1}`),
    kind: (b, i) => (b.kind[i] === 0 ? '' : MAP_KIND_NAMES[b.kind[i]]),
    file: (b, i) => (b.file[i] < 0 ? '' : quote(s[b.file[i]])),
    policy: (b, i) => (b.policy[i] === 0 ? '' : POLICY_NAMES[b.policy[i]]),
    nodes: (b, i) => quote(nodeList(b.nodes[i])),
    flags: (b, i) => bits(b.flags[i], (n) => FLAG_NAMES[n], ';'),
    memcg: (b, i) => (b.memcg[i] < 0 ? '' : quote(s[b.memcg[i]])),
  };
  return columns.map((c) => all[c]);
}

/** A metadata value without spaces (the `key=value` syntax of the comment line). */
const metaValue = (v: string): string => v.replace(/\s+/g, '_');

/** Opens the output: a file (gzip when *.gz) or stdout for `-`. An unwritable path is a UsageError. */
function openOutput(out: string): { sink: Writable; file: WriteStream | null } {
  if (out === '-') return { sink: process.stdout, file: null };
  let fd: number;
  try {
    fd = openSync(out, 'w');
  } catch (e) {
    throw new UsageError(`cannot write ${out}: ${(e as Error).message}`);
  }
  const file = createWriteStream('', { fd });
  if (!out.endsWith('.gz')) return { sink: file, file };
  const gz = createGzip({ level: 6 });
  gz.pipe(file);
  return { sink: gz, file };
}

/** Streams an opened trace into a trace@1 file at `out` (removed again if reading fails). */
export async function writeTrace1(trace: OpenedTrace, out: string): Promise<WriteResult> {
  const { info } = trace;
  const { sink, file } = openOutput(out);
  const write = async (text: string): Promise<void> => {
    if (!sink.write(text)) await once(sink, 'drain');
  };
  let events = 0;
  let rows = 0;
  try {
    let abs: AbsoluteTime | null = null;
    const time = (): AbsoluteTime => (abs ??= new AbsoluteTime(info.startTime));
    let row: Cell[] | null = null;
    for await (const b of trace.batches) {
      if (row === null) row = await start(info, write, time);
      let lines: string[] = [];
      for (let i = 0; i < b.count; i++) {
        let text = row[0](b, i);
        for (let c = 1; c < row.length; c++) text += `,${row[c](b, i)}`;
        const w = b.weight[i];
        for (let k = 0; k < w; k++) {
          lines.push(text);
          if (lines.length >= 8192) { // a heavy weight must not build one huge string
            await write(`${lines.join('\n')}\n`);
            lines = [];
          }
        }
        rows += w;
      }
      events += b.count;
      if (lines.length) await write(`${lines.join('\n')}\n`);
    }
    if (row === null) await start(info, write, time);
    await write(trailer(info));
  } catch (e) {
    if (file) {
      file.destroy();
      rmSync(out, { force: true });
    }
    throw e;
  }
  if (file) {
    sink.end();
    await once(file, 'close');
  }
  return { info, events, rows };
}

/** The leading metadata line and the header, once the reader has named its format and columns. */
async function start(info: TraceInfo, write: (t: string) => Promise<void>, time: () => AbsoluteTime): Promise<Cell[]> {
  const columns = (info.columns ?? COLUMN_NAMES.slice(1)).filter((c) => (COLUMN_NAMES as readonly string[]).includes(c));
  if (!columns.includes('op')) columns.unshift('op');
  // A trace@1 source's own metadata line is carried over; other readers' meta is only final at
  // the end, so it goes to the trailer.
  const source = info.format === TRACE1_FORMAT ? Object.entries(info.meta) : [];
  const kept = source.filter(([k]) => /^[^\s=]+$/.test(k) && k !== 'source-format' && k !== 'converted-by');
  const meta = [`source-format=${metaValue(info.format)}`, `converted-by=cdm-replay@${TOOL_VERSION}`,
    ...kept.map(([k, v]) => `${k}=${metaValue(v)}`)];
  await write(`# cdm-replay trace@1 ${meta.join(' ')}\n${columns.join(',')}\n`);
  return cells(columns, info, time);
}

function trailer(info: TraceInfo): string {
  const out = [`# source: format=${metaValue(info.format)} events=${info.events} sha256=${info.sha256 || 'unknown'}`];
  const skipped = Object.entries(info.skipped);
  if (skipped.length) out.push(`# skipped: ${skipped.map(([k, v]) => `${metaValue(k)}=${v}`).join(' ')}`);
  const meta = Object.entries(info.meta);
  if (meta.length) out.push(`# meta: ${meta.map(([k, v]) => `${metaValue(k)}=${metaValue(v)}`).join(' ')}`);
  return `${out.join('\n')}\n`;
}
