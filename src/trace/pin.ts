// Intel Pin pinatrace (FORMATS §2.2). The canonical tool (source/tools/ManualExamples/
// pinatrace.cpp) prints `fprintf(trace, "%p: R %p\n", ip, addr)` / `"%p: W %p\n"` and a `#eof`
// trailer; forks change the columns. The layout is a column list (`--pin-columns`), naming each
// whitespace-separated column in order:
//   ip     an instruction address (checked as hex, not used)
//   op     R or W (read or write; lower case too)
//   addr   the data address, hex with or without 0x
//   size   decimal bytes (len)
//   -      a column to ignore
// plus `op=read` or `op=write` for layouts without an op column. A trailing `:` on any column
// is dropped; columns after the last named one are ignored. Sniffed layouts:
//   0x7f2b3c41d093: W 0x7ffd7a8a1c58   ip,op,addr              (canonical)
//   W 0xbff05e7c                        op,addr                 (sanjanag/cache-simulator)
//   0xbfa8d23c: 4 0xb7702192            addr,size,ip,op=write   (azizulhakim/atomicuserspace,
//                                                                a writes-only tracer)
// `#` lines are comments. Pin records no time, process or thread: events are pid 1 on cpu0.
import { TraceDataError, UsageError } from '../errors.js';
import { Op, type ReadOptions, type TraceInfo, type TraceReader } from './events.js';
import { AgentResolver, hasRules } from './agent-map.js';
import { defaultBatch, headLines, isSpace, type LineParser, readLines, S, scanHexAddr, skipSpaces, textOf } from './lines.js';

export const PIN_FORMAT = 'pin-pinatrace';
const CANONICAL = 'ip,op,addr';

const C = { SKIP: 0, IP: 1, OP: 2, ADDR: 3, SIZE: 4 } as const;
const NAMES: Record<string, number> = { '-': C.SKIP, ip: C.IP, op: C.OP, addr: C.ADDR, size: C.SIZE };

export interface PinLayout {
  readonly spec: string;
  readonly columns: Uint8Array;
  /** The op of every line when the layout has no op column, else 0. */
  readonly constOp: number;
}

/** Parses a --pin-columns list; a bad list is a UsageError. */
export function parsePinColumns(spec: string): PinLayout {
  const bad = (why: string): never => {
    throw new UsageError(`--pin-columns "${spec}": ${why} (expected a comma list of ip, op, addr, size and -, naming each column in order, ` +
      'with op=read or op=write when there is no op column, e.g. ip,op,addr or addr,size,ip,op=write)');
  };
  const cols: number[] = [];
  let constOp = 0;
  for (const raw of spec.split(',')) {
    const name = raw.trim();
    if (name === 'op=read' || name === 'op=write') {
      if (constOp !== 0) bad('gives op= twice');
      constOp = name === 'op=read' ? Op.read : Op.write;
      continue;
    }
    const kind = NAMES[name];
    if (kind === undefined) bad(`names an unknown column "${name}"`);
    if (kind !== C.SKIP && cols.includes(kind)) bad(`names "${name}" twice`);
    cols.push(kind);
  }
  if (!cols.includes(C.ADDR)) bad('has no addr column');
  if (cols.includes(C.OP) === (constOp !== 0)) bad(constOp ? 'has both an op column and op=' : 'has neither an op column nor op=read|write');
  while (cols.length > 0 && cols[cols.length - 1] === C.SKIP) cols.pop();
  return { spec, columns: Uint8Array.from(cols), constOp };
}

const LAYOUTS: [RegExp, string][] = [
  [/^\s*(?:0x)?[0-9a-f]+:\s+[RW]\s+(?:0x)?[0-9a-f]+\s*$/i, CANONICAL],
  [/^\s*[RW]\s+(?:0x)?[0-9a-f]+\s*$/i, 'op,addr'],
  [/^\s*(?:0x)?[0-9a-f]+:\s+\d+\s+(?:0x)?[0-9a-f]+\s*$/i, 'addr,size,ip,op=write'],
];

/** The layout of one data line, or null when it is none of the known ones. */
export function detectPinLayout(line: string): string | null {
  for (const [re, spec] of LAYOUTS) if (re.test(line)) return spec;
  return null;
}

const HASH = 35;

class PinParser implements LineParser {
  readonly batch;
  private layout: PinLayout | null;
  private eof = false;

  constructor(private readonly info: TraceInfo, options: ReadOptions) {
    this.batch = defaultBatch(options);
    this.layout = options.pinColumns === undefined ? null : parsePinColumns(options.pinColumns);
    if (hasRules(options.agentMap)) {
      this.batch.fillColumn('agent', new AgentResolver(options.agentMap).resolve(1, -1, null, 0, 0, -1));
    }
    this.agentColumn = hasRules(options.agentMap);
    info.format = PIN_FORMAT;
    info.columns = ['op', 'addr', ...(this.agentColumn ? ['agent'] : [])];
    if (this.layout) this.setLayout(this.layout);
  }

  private readonly agentColumn: boolean;

  private setLayout(layout: PinLayout): void {
    this.layout = layout;
    this.info.format = layout.spec === CANONICAL ? PIN_FORMAT : `${PIN_FORMAT}/${layout.spec}`;
    const sized = layout.columns.includes(C.SIZE);
    this.info.columns = ['op', 'addr', ...(sized ? ['len'] : []), ...(this.agentColumn ? ['agent'] : [])];
  }

  line(b: Buffer, s: number, e: number, line: number): void {
    let p = skipSpaces(b, s, e);
    if (p === e) return;
    if (b[p] === HASH) {
      if (e - p === 4 && b.toString('latin1', p, e) === '#eof') this.eof = true;
      return;
    }
    if (this.layout === null) {
      const spec = detectPinLayout(b.toString('latin1', s, e));
      if (spec === null) this.fail(b, s, e, line, 'line', 'is not a pinatrace line of a known layout (expected "0xIP: R|W 0xADDR", "R|W 0xADDR" or "0xADDR: SIZE 0xIP"; --pin-columns maps other layouts)');
      this.setLayout(parsePinColumns(spec));
    }
    const { columns, constOp, spec } = this.layout as PinLayout;
    let op = constOp;
    let hi = 0;
    let lo = 0;
    let len = NaN;
    for (let c = 0; c < columns.length; c++) {
      if (p >= e) this.fail(b, s, e, line, 'line', `has ${c} columns (expected ${columns.length}: ${spec})`);
      const ts = p;
      let te = p;
      while (te < e && !isSpace(b[te])) te++;
      const end = b[te - 1] === 58 ? te - 1 : te; // a trailing ':'
      const kind = columns[c];
      if (kind === C.OP) {
        const ch = b[ts] | 32;
        op = end - ts === 1 && ch === 114 ? Op.read : end - ts === 1 && ch === 119 ? Op.write : 0;
        if (op === 0) this.fail(b, ts, end, line, `column ${c + 1} (op)`, 'is not an op (expected R or W)');
      } else if (kind === C.ADDR || kind === C.IP) {
        if (scanHexAddr(b, ts, end) !== end) {
          this.fail(b, ts, end, line, `column ${c + 1} (${kind === C.ADDR ? 'addr' : 'ip'})`, 'is not a hex address (expected hex digits, 0x optional, < 2^64)');
        }
        if (kind === C.ADDR) {
          hi = S.hi;
          lo = S.lo;
        }
      } else if (kind === C.SIZE) {
        let v = 0;
        let q = ts;
        while (q < end && b[q] - 48 >>> 0 <= 9) v = v * 10 + b[q++] - 48;
        if (q !== end || q === ts || v === 0 || v > Number.MAX_SAFE_INTEGER) {
          this.fail(b, ts, end, line, `column ${c + 1} (size)`, 'is not a size (expected decimal bytes > 0)');
        }
        len = v;
      }
      p = skipSpaces(b, te, e);
    }
    const batch = this.batch;
    const n = batch.count++;
    batch.op[n] = op;
    batch.addrHi[n] = hi;
    batch.addrLo[n] = lo;
    batch.len[n] = len;
    batch.line[n] = line;
  }

  private fail(b: Buffer, s: number, e: number, line: number, field: string, expected: string): never {
    throw new TraceDataError(this.info.path, `${line}`, field, textOf(b, s, e), expected);
  }

  end(): void {
    this.info.meta.eof = this.eof ? 'yes' : 'missing';
  }
}

/** The first data line has a known layout, or a `#` line names Pin. */
export function sniffPin(head: string): boolean {
  const data = headLines(head, 1, true);
  if (data.length > 0) return detectPinLayout(data[0]) !== null;
  return /^#.*\bPin\b/m.test(head) || /^#eof\s*$/m.test(head);
}

export const pinReader: TraceReader = {
  name: 'pinatrace',
  description: 'Intel Pin pinatrace: "0xIP: R|W 0xADDR" and fork layouts via --pin-columns (R read, W write)',
  producedBy: 'pin -t source/tools/ManualExamples/obj-intel64/pinatrace.so -- PROGRAM [ARGS]   (writes pinatrace.out)',
  reports: `${PIN_FORMAT} (canonical ip,op,addr) or ${PIN_FORMAT}/COLUMNS, e.g. ${PIN_FORMAT}/op,addr`,
  options: ['pinColumns', 'agentMap'],
  sniff: sniffPin,
  copiesChunks: true, // readLines copies the carried line; the parser keeps only numbers and strings
  read: (chunks, info, options) => readLines(chunks, info, new PinParser(info, options)),
};
