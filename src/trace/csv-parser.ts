// The trace@1 row parser. Two paths share the field setters of RowBuilder (csv-row.ts): a fast
// path for the common unquoted row (scan bytes, parse numbers in place, no strings) and an exact
// RFC 4180 path that takes any row the fast path is unsure of, so one place reports every error.
import type { ReadOptions, TraceInfo } from './events.js';
import { lookupOp, S, scanAgent, scanInt, scanTime, scanU64 } from './csv-fields.js';
import { EXPECTED, fillAbsentColumns, K, parseHeader, parseMetaComment } from './csv-header.js';
import { RowBuilder } from './csv-row.js';
import { clip, INCOMPLETE, RecordSplitter, SPLIT_ERROR } from './csv-split.js';

const LF = 10;
const CR = 13;
const TAB = 9;
const SP = 32;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;

/** Bytes that end an unquoted field on the fast path; a quote sends the row to the exact path. */
const STOP = new Uint8Array(256);
STOP[COMMA] = STOP[LF] = STOP[CR] = STOP[QUOTE] = 1;
/** Line starts the fast path leaves to the exact path: comments, CRLF blanks, whitespace. */
const ODD_START = new Uint8Array(256);
ODD_START[CR] = ODD_START[HASH] = ODD_START[SP] = ODD_START[TAB] = 1;

export class Trace1Parser extends RowBuilder {
  private kinds: Uint8Array | null = null;
  private names: string[] = [];
  private atStart = true;
  private readonly split = new RecordSplitter();

  /** `exactOnly` disables the fast path (tests check both paths agree). */
  constructor(info: TraceInfo, options: ReadOptions = {}, private readonly exactOnly = false) {
    super(info, options);
  }

  get sawHeader(): boolean {
    return this.kinds !== null;
  }

  /**
   * Parses rows from buf[p..] into the batch until it is full or the data ends. Returns the
   * position of the first byte not consumed: the start of an incomplete row unless `final`.
   */
  parse(buf: Buffer, p: number, final: boolean): number {
    if (this.atStart) {
      if (buf.length - p < 3 && !final) return p;
      if (buf[p] === 0xef && buf[p + 1] === 0xbb && buf[p + 2] === 0xbf) p += 3; // UTF-8 BOM
      this.atStart = false;
    }
    if (this.kinds === null) {
      p = this.readHeader(buf, p, final);
      if (this.kinds === null) return p;
    }
    return this.exactOnly ? this.exactLoop(buf, p, final) : this.fastLoop(buf, p, final);
  }

  private fastLoop(buf: Buffer, p: number, final: boolean): number {
    const end = buf.length;
    const batch = this.batch;
    const cap = batch.capacity;
    const kinds = this.kinds as Uint8Array;
    const last = kinds.length - 1;
    const { op, addrHi, addrLo, len, pid, tid, agent, line: lines } = batch;
    let line = this.line;
    while (p < end && batch.count < cap) {
      const rs = p;
      const n = batch.count;
      const b0 = buf[p];
      if (b0 === LF) {
        p++;
        line++;
        continue;
      }
      let ok = ODD_START[b0] === 0;
      let hasAddr = false;
      let hasTime = false;
      for (let c = 0; ok; c++) {
        const fs = p;
        const kind = kinds[c];
        // The hot columns parse while they scan; the rest find their end and use setField.
        if (p < end && STOP[buf[p]] === 0 && kind <= K.AGENT && kind !== K.SKIP) {
          switch (kind) {
            case K.OP:
              while (p < end && STOP[buf[p]] === 0) p++;
              ok = (op[n] = lookupOp(buf, fs, p)) !== 0;
              break;
            case K.ADDR:
              p = scanU64(buf, p, end);
              addrHi[n] = S.hi;
              addrLo[n] = S.lo;
              hasAddr = true;
              break;
            case K.LEN:
              p = scanU64(buf, p, end);
              len[n] = S.hi * 4294967296 + S.lo;
              ok = S.hi < 0x200000 && (S.hi | S.lo) !== 0; // 0 < len < 2^53
              break;
            case K.TIME:
              p = scanTime(buf, p, end);
              this.tHi = S.hi;
              this.tLo = S.lo;
              hasTime = true;
              break;
            case K.PID:
              p = scanInt(buf, p, end);
              pid[n] = S.v;
              break;
            case K.TID:
              p = scanInt(buf, p, end);
              tid[n] = S.v;
              break;
            default: // K.AGENT
              p = scanAgent(buf, p, end);
              agent[n] = S.v;
          }
        } else {
          while (p < end && STOP[buf[p]] === 0) p++;
          if (p >= end && !final) {
            ok = false; // incomplete: nothing may be interned from half a field
            break;
          }
          ok = (p >= end || buf[p] !== QUOTE) && this.setField(kind, buf, fs, p, n);
        }
        if (!ok || p < 0) {
          ok = false; // malformed, or a quote: the exact path decides and reports
          break;
        }
        if (p >= end) {
          if (!final || c < last) ok = false;
          break;
        }
        if (c === last) {
          // Line end; a CR at the chunk's end (or a lone one) goes the exact way.
          if (buf[p] === LF) p++;
          else if (buf[p] === CR && buf[p + 1] === LF) p += 2;
          else ok = false;
          break;
        }
        ok = buf[p] === COMMA;
        p++;
      }
      if (ok) {
        this.line = line;
        this.hasAddr = hasAddr;
        this.hasTime = hasTime;
        this.finish(n);
        lines[n] = line++;
        batch.count = n + 1;
        continue;
      }
      this.line = line;
      const r = this.exactRecord(buf, rs, final);
      if (r === INCOMPLETE) return rs;
      p = r;
      line = this.line;
    }
    this.line = line;
    return p;
  }

  private exactLoop(buf: Buffer, p: number, final: boolean): number {
    while (p < buf.length && this.batch.count < this.batch.capacity) {
      const r = this.exactRecord(buf, p, final);
      if (r === INCOMPLETE) return p;
      p = r;
    }
    return p;
  }

  /** One line by RFC 4180: a comment, a blank line or a row. Reports every row error. */
  private exactRecord(buf: Buffer, p: number, final: boolean): number {
    const end = buf.length;
    if (buf[p] === HASH) {
      const nl = buf.indexOf(LF, p);
      if (nl < 0 && !final) return INCOMPLETE;
      this.line++;
      return nl < 0 ? end : nl + 1;
    }
    let q = p;
    while (q < end && (buf[q] === SP || buf[q] === TAB)) q++;
    if (q >= end) return final ? end : INCOMPLETE;
    if (buf[q] === LF || (buf[q] === CR && buf[q + 1] === LF)) {
      this.line++;
      return q + (buf[q] === CR ? 2 : 1);
    }
    if (buf[q] === CR && q + 1 >= end) return final ? end : INCOMPLETE;
    const sp = this.split;
    const r = sp.split(buf, p, final);
    if (r === INCOMPLETE) return r;
    const kinds = this.kinds;
    if (r === SPLIT_ERROR) {
      const f = sp.errorField;
      const field = kinds === null ? 'header' : f < kinds.length ? `column "${this.names[f]}"` : 'row';
      throw this.error(field, sp.errorText(buf), sp.error);
    }
    if (kinds === null) {
      this.setHeader();
      this.line += sp.lines;
      return r;
    }
    if (sp.count !== kinds.length) {
      const nl = buf.indexOf(LF, p);
      const text = buf.toString('utf8', p, nl < 0 ? end : nl).replace(/\r$/, '');
      throw this.error('row', clip(text), `is not a row of ${kinds.length} fields (expected ${kinds.length} as in the header, found ${sp.count})`);
    }
    const n = this.batch.count;
    this.hasAddr = this.hasTime = false;
    for (let c = 0; c < kinds.length; c++) {
      if (!this.setField(kinds[c], sp.src[c], sp.start[c], sp.end[c], n)) {
        throw this.error(`column "${this.names[c]}"`, clip(sp.text(c)), EXPECTED[kinds[c]]);
      }
    }
    this.finish(n);
    this.batch.line[n] = this.line;
    this.batch.count = n + 1;
    this.line += sp.lines;
    return r;
  }

  /** Leading comments (with metadata), blank lines, then the header row. */
  private readHeader(buf: Buffer, p: number, final: boolean): number {
    const file = this.info.path;
    while (p < buf.length) {
      if (buf[p] === HASH) {
        const nl = buf.indexOf(LF, p);
        if (nl < 0 && !final) return p;
        const text = buf.toString('utf8', p, nl < 0 ? buf.length : nl).replace(/\r$/, '');
        parseMetaComment(text, this.info.meta, file, this.line);
        this.line++;
        p = nl < 0 ? buf.length : nl + 1;
        continue;
      }
      const r = this.exactRecord(buf, p, final); // blank lines: skipped; the header: split only
      if (r === INCOMPLETE || this.kinds !== null) return r === INCOMPLETE ? p : r;
      p = r;
    }
    return p;
  }

  /** While there is no header, the first row exactRecord splits is the header. */
  private setHeader(): void {
    const sp = this.split;
    this.names = Array.from({ length: sp.count }, (_, f) => sp.text(f));
    this.kinds = parseHeader(this.names, this.options.ignoreColumns ?? false, this.info.path, this.line);
    this.info.columns = this.names.filter((_, i) => (this.kinds as Uint8Array)[i] !== K.SKIP);
    this.hasTimeColumn = this.kinds.includes(K.TIME);
    fillAbsentColumns(this.batch, this.kinds);
  }
}
