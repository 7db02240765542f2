// Text input as numbered lines, streamed: for the line-oriented foreign formats (damo perf-script,
// KFD SMI events, nsys stats CSV). Memory holds one chunk and one partial line at a time.
import { StringDecoder } from 'node:string_decoder';
import { TraceDataError } from '../errors.js';
import { clipText } from './event-writer.js';

/** A line longer than this is an error: memory must not grow with a runaway line. */
const MAX_LINE = 1 << 20;

export interface Line {
  /** The line without its terminator (LF or CRLF). */
  text: string;
  /** 1-based line number. */
  no: number;
}

/** Yields the lines of decompressed chunks; a final line without a terminator counts too. */
export async function* textLines(chunks: AsyncIterable<Buffer>, file: string): AsyncGenerator<Line> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let no = 0;
  let first = true;
  for await (const chunk of chunks) {
    let text = rest + decoder.write(chunk);
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // UTF-8 BOM
      first = false;
    }
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield { text: text.slice(start, end), no: ++no };
      start = nl + 1;
    }
    rest = text.slice(start);
    if (rest.length > MAX_LINE) {
      throw new TraceDataError(file, `${no + 1}`, 'line', clipText(rest), `is not a plausible line (expected lines shorter than ${MAX_LINE} bytes)`);
    }
  }
  rest += decoder.end();
  if (rest.length > 0) yield { text: rest.replace(/\r$/, ''), no: ++no };
}

/**
 * The whole input as one Buffer, for formats that cannot be streamed (SQLite, JSON, zlib). It
 * keeps every chunk until the end: its readers must not declare copiesChunks.
 */
export async function allBytes(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}
