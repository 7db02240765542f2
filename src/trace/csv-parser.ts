// The trace@1 row parser. Two paths share the field setters of RowBuilder (csv-row.ts): a fast
// path for the common unquoted row (scan bytes, parse numbers in place, no strings) and an exact
// RFC 4180 path that takes any row the fast path is unsure of, so one place reports every error.
import { encodeCpu, NONE, type ReadOptions, type TraceInfo } from './events.js';
import { lookupOp, S, scanAgent, scanInt, scanTime, scanU64 } from './csv-fields.js';
import { EXPECTED, fillAbsentColumns, fillEmptyFields, K, parseHeader, parseMetaComment } from './csv-header.js';
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
    // A new batch: the values of empty fields the fast path skips (the exact path writes them).
    if (this.batch.count === 0) fillEmptyFields(this.batch, this.kinds);
    return this.exactOnly ? this.exactLoop(buf, p, final) : this.fastLoop(buf, p, final);
  }

  private fastLoop(buf: Buffer, p: number, final: boolean): number {
    // Rows before the chunk's last LF are complete, and an LF stops every scan, so plainRows needs
    // no end checks; after that LF comes a partial row, or the unterminated last one when final.
    const limit = buf.lastIndexOf(LF) + 1;
    const batch = this.batch;
    while (batch.count < batch.capacity && p < buf.length) {
      if (p < limit) {
        p = this.plainRows(buf, p, limit);
        if (p >= limit || batch.count >= batch.capacity) continue;
      } else if (!final) {
        break;
      }
      const r = this.exactRecord(buf, p, final); // a row plainRows left, or the last one
      if (r === INCOMPLETE) break;
      p = r;
    }
    return p;
  }

  /**
   * Parses plain rows of buf[p, limit) (limit follows an LF) into the batch. Returns where it
   * stopped: at limit, with the batch full, or at a row for the exact path (a quote, a comment or
   * blank with spaces, an odd line end, a bad value), which then decides and reports.
   */
  private plainRows(buf: Buffer, p: number, limit: number): number {
    const batch = this.batch;
    const kinds = this.kinds as Uint8Array;
    const last = kinds.length - 1;
    const { op, addrHi, addrLo, len, pid, tid, agent, line: lines } = batch;
    let n = batch.count;
    let line = this.line;
    rows: while (p < limit && n < batch.capacity) {
      if (buf[p] === LF) {
        p++;
        this.line = ++line;
        continue;
      }
      if (ODD_START[buf[p]] !== 0) break;
      let q = p;
      let hasAddr = false;
      let hasTime = false;
      for (let c = 0; ; c++) {
        // An empty field gets its column's empty value (as setField would); a quote where a value
        // or an empty field ends is no delimiter, so the check after the switch sends it on.
        const kind = kinds[c];
        const empty = STOP[buf[q]] !== 0;
        switch (kind) {
          case K.OP: {
            const s = q;
            while (STOP[buf[q]] === 0) q++;
            if ((op[n] = lookupOp(buf, s, q)) === 0) break rows;
            break;
          }
          case K.ADDR:
            if (empty) {
              addrHi[n] = addrLo[n] = 0;
              break;
            }
            q = scanU64(buf, q, limit);
            if (q < 0) break rows;
            addrHi[n] = S.hi;
            addrLo[n] = S.lo;
            hasAddr = true;
            break;
          case K.TIME:
            if (empty) break;
            q = scanTime(buf, q, limit);
            if (q < 0) break rows;
            this.tHi = S.hi;
            this.tLo = S.lo;
            hasTime = true;
            break;
          case K.LEN:
            if (empty) {
              len[n] = NaN;
              break;
            }
            q = scanU64(buf, q, limit);
            if (q < 0 || S.hi >= 0x200000 || (S.hi | S.lo) === 0) break rows; // 0 < len < 2^53
            len[n] = S.hi * 4294967296 + S.lo;
            break;
          case K.PID:
          case K.TID:
            if (empty) S.v = kind === K.PID ? 1 : NONE;
            else if ((q = scanInt(buf, q, limit)) < 0) break rows;
            (kind === K.PID ? pid : tid)[n] = S.v;
            break;
          case K.AGENT:
            if (empty) S.v = encodeCpu(0);
            else if ((q = scanAgent(buf, q, limit)) < 0) break rows;
            agent[n] = S.v;
            break;
          default: {
            // The rest, empty: the value fillEmptyFields wrote; else setField, on a whole field only
            // (it interns strings).
            const s = q;
            while (STOP[buf[q]] === 0) q++;
            if (!empty && kind !== K.SKIP && (buf[q] === QUOTE || !this.setField(kind, buf, s, q, n))) break rows;
          }
        }
        const d = buf[q];
        if (c === last) {
          if (d === LF) q++;
          else if (d === CR && buf[q + 1] === LF) q += 2;
          else break rows;
          break;
        }
        if (d !== COMMA) break rows;
        q++;
      }
      this.line = line;
      this.hasAddr = hasAddr;
      this.hasTime = hasTime;
      this.finish(n);
      lines[n] = line;
      this.line = ++line;
      batch.count = ++n;
      p = q;
    }
    // Nothing to store here: the first exit comes only after the optimiser has compiled the loop
    // (OSR), and code it has no feedback for would deopt.
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
