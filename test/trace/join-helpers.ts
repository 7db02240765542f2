// Helpers for the "over many read chunks" reader tests: text whose lines straddle the input's
// 1 MiB read joins, read from a real file through openTrace, so a reader that declares
// copiesChunks gets one refilled buffer, as the CLI does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadOptions, TraceInfo } from '../../src/trace/events.js';
import { openTrace } from '../../src/trace/registry.js';
import { rowsOf, type Row } from './helpers.js';

/** The input's read size (src/trace/input.ts). */
export const READ_CHUNK = 1 << 20;

/** What a line made by textOverJoins is for. */
export interface JoinLine {
  /** 0-based among the lines `line` made (pads not counted). */
  n: number;
  /**
   * 'before': a line in the middle of a read chunk, followed by pads only up to 'across', which
   * straddles the join; 'after': the line at 'before''s offset in the next chunk, so a reader that
   * kept a view of 'before' (a name, a comm) reads 'after''s bytes there when it parses 'across'.
   * 'line': any other.
   */
  role: 'line' | 'before' | 'across' | 'after';
  /** The join (1-based) a trap line belongs to; 0 for 'line'. */
  join: number;
  /** 1-based line number in the file. */
  no: number;
}

/**
 * Text over `joins` + 1 read chunks (more than 3 MiB for 3) with a trap at each join (see
 * JoinLine). `line` gives a line's text from n, role and join (not its `no`); `pad(width)` a line
 * of exactly `width` ASCII bytes (100 to 299) that the reader skips without noting anything.
 * For the trap, 'before' and 'after' must place what the reader keeps at the same column.
 */
export function textOverJoins(line: (l: JoinLine) => string, pad: (width: number) => string, joins = 3): { text: string; lines: JoinLine[] } {
  const out: string[] = [];
  const lines: JoinLine[] = [];
  let pos = 0;
  const put = (s: string): void => {
    out.push(s);
    pos += Buffer.byteLength(s) + 1;
  };
  const make = (role: JoinLine['role'], joinNo: number): { l: JoinLine; s: string } => {
    const l = { n: lines.length, role, join: joinNo, no: 0 };
    lines.push(l);
    return { l, s: line(l) };
  };
  const place = (m: { l: JoinLine; s: string }): void => {
    m.l.no = out.length + 1;
    put(m.s);
  };
  const pads = (to: number): void => {
    while (to - pos > 300) put(checked(pad(199), 199));
    if (to - pos <= 100) throw new Error(`cannot pad to ${to} from ${pos}`);
    put(checked(pad(to - pos - 1), to - pos - 1));
  };
  const fill = (to: number): void => {
    while (pos < to - 4096) place(make('line', 0));
    pads(to);
  };
  for (let k = 1; k <= joins; k++) {
    const at = k * READ_CHUNK;
    const back = (joins - k + 2) * 16384; // 'before' sits this far before its join, 'after' before the next
    fill(at - back);
    place(make('before', k));
    const across = make('across', k);
    pads(at - (Buffer.byteLength(across.s) >> 1));
    place(across);
    fill(at + READ_CHUNK - back);
    place(make('after', k));
  }
  for (let i = 0; i < 100; i++) place(make('line', 0));
  return { text: out.join('\n') + '\n', lines };
}

function checked(s: string, width: number): string {
  if (Buffer.byteLength(s) !== width) throw new Error(`pad(${width}) gave ${Buffer.byteLength(s)} bytes`);
  return s;
}

export interface FileRow extends Row {
  weight: number;
}

/** Every event openTrace reads from `text` written to a file, and the final info. */
export async function readFileTrace(text: string, options: ReadOptions & { inputFormat?: string } = {}, name = 'trace.txt'):
Promise<{ rows: FileRow[]; info: TraceInfo }> {
  const dir = mkdtempSync(join(tmpdir(), 'cdm-joins-'));
  try {
    const path = join(dir, name);
    writeFileSync(path, text);
    const { info, batches } = await openTrace(path, options);
    const rows: FileRow[] = [];
    for await (const b of batches) rowsOf(b, info).forEach((r, i) => rows.push({ ...r, weight: b.weight[i] }));
    return { rows, info };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** '' when the lists agree, else where they first differ (a readable failure for long lists). */
export function firstDifference(got: readonly string[], want: readonly string[]): string {
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    if (got[i] !== want[i]) return `#${i} of ${got.length} (want ${want.length}): got ${got[i]}, want ${want[i]}`;
  }
  return '';
}
