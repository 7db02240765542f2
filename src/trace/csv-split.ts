// The exact RFC 4180 record splitter: quoted fields with "" escapes, delimiters and line breaks
// inside quotes, CRLF. The reader's fast path handles plain rows itself and hands this splitter
// only what it cannot (quotes, odd line endings, errors), so clarity beats speed here.

export const INCOMPLETE = -1;
export const SPLIT_ERROR = -2;

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

export class RecordSplitter {
  /** Per field: the bytes holding its value (the input, or a copy when "" had to be unescaped). */
  readonly src: Buffer[] = [];
  readonly start: number[] = [];
  readonly end: number[] = [];
  count = 0;
  /** Line feeds consumed by the record, including its terminator. */
  lines = 0;
  /** After SPLIT_ERROR: which field, and what went wrong (the tail of the message). */
  errorField = 0;
  /** Where the bad field starts in the input, and where the problem was found. */
  errorAt = 0;
  errorPos = 0;
  error = '';

  /**
   * Splits the record starting at `p`. Returns the position after its line terminator,
   * INCOMPLETE when the data ends inside it and more may follow, or SPLIT_ERROR.
   */
  split(buf: Buffer, p: number, final: boolean): number {
    const end = buf.length;
    this.count = 0;
    this.lines = 0;
    for (;;) {
      const f = this.count++;
      this.errorAt = p;
      let s = p;
      let e: number;
      let src = buf;
      if (p < end && buf[p] === QUOTE) {
        s = ++p;
        let escaped = false;
        for (;;) {
          if (p >= end) return final ? this.fail(f, p, 'is not closed (expected a closing quote)') : INCOMPLETE;
          const b = buf[p];
          if (b === QUOTE) {
            // A quote as the last byte so far reads as closing; the row is then incomplete anyway.
            if (buf[p + 1] !== QUOTE) break;
            escaped = true;
            p += 2;
            continue;
          }
          if (b === LF) this.lines++;
          p++;
        }
        e = p++;
        if (escaped) {
          src = Buffer.from(buf.toString('utf8', s, e).replaceAll('""', '"'));
          s = 0;
          e = src.length;
        }
        if (p < end && buf[p] !== COMMA && buf[p] !== LF && buf[p] !== CR) {
          return this.fail(f, p, 'is not followed by a delimiter (expected , or a line end after the closing quote)');
        }
      } else {
        while (p < end && buf[p] !== COMMA && buf[p] !== LF && buf[p] !== CR) {
          if (buf[p] === QUOTE) return this.fail(f, p, 'is not a valid CSV field (expected a field with a quote to be quoted, "" escaping the quote)');
          p++;
        }
        e = p;
      }
      this.src[f] = src;
      this.start[f] = s;
      this.end[f] = e;
      if (p >= end) return final ? p : INCOMPLETE;
      const d = buf[p];
      if (d === COMMA) {
        p++;
        continue;
      }
      if (d === LF) {
        this.lines++;
        return p + 1;
      }
      // CR: the record ends at CRLF, or at a CR that ends the input.
      if (p + 1 >= end) return final ? p + 1 : INCOMPLETE;
      if (buf[p + 1] !== LF) return this.fail(f, p + 1, 'is not followed by a valid line end (expected LF or CRLF; a lone carriage return is not one)');
      this.lines++;
      return p + 2;
    }
  }

  private fail(field: number, pos: number, error: string): number {
    this.errorField = field;
    this.errorPos = pos;
    this.error = error;
    return SPLIT_ERROR;
  }

  /** Field f as text, for messages. */
  text(f: number): string {
    return this.src[f].toString('utf8', this.start[f], this.end[f]);
  }

  /** After SPLIT_ERROR: the bad field as written, up to the next delimiter after the problem. */
  errorText(buf: Buffer): string {
    let e = Math.min(this.errorPos, buf.length);
    while (e < buf.length && buf[e] !== COMMA && buf[e] !== LF && !(buf[e] === CR && buf[e + 1] === LF)) e++;
    return clip(buf.toString('utf8', this.errorAt, Math.min(e, this.errorAt + 200)));
  }
}

/** Keeps error messages one short line. */
export function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
