// Test helpers for the line-oriented readers: run a reader over text (optionally split into
// chunks at given sizes), flatten its batches, and capture located errors.
import { readFileSync } from 'node:fs';
import { TraceDataError } from '../../src/errors.js';
import type { ReadOptions, TraceInfo, TraceReader } from '../../src/trace/events.js';
import { chunked, newInfo, rowsOf, type Row } from './helpers.js';

export interface WeightedRow extends Row {
  weight: number;
}

export const fixture = (name: string): string => new URL(`../fixtures/formats/${name}`, import.meta.url).pathname;
export const fixtureText = (name: string): string => readFileSync(fixture(name), 'utf8');

export async function readWith(
  reader: TraceReader, text: string | Buffer, options: ReadOptions = {}, chunks: number[] = [], path = 't.txt',
): Promise<{ rows: WeightedRow[]; info: TraceInfo }> {
  const info = newInfo(path);
  const data = typeof text === 'string' ? Buffer.from(text) : text;
  const rows: WeightedRow[] = [];
  for await (const batch of reader.read(chunked(data, chunks), info, options)) {
    rowsOf(batch, info).forEach((r, i) => rows.push({ ...r, weight: batch.weight[i] }));
  }
  return { rows, info };
}

/** The TraceDataError message a reader gives for text, or 'no error'. */
export async function errorWith(reader: TraceReader, text: string, options: ReadOptions = {}): Promise<string> {
  try {
    await readWith(reader, text, options);
    return 'no error';
  } catch (err) {
    if (!(err instanceof TraceDataError)) throw err;
    return err.message;
  }
}

/** Reads text whole and split at every byte position; every split must give the same rows. */
export async function readAllSplits(reader: TraceReader, text: string, options: ReadOptions = {}): Promise<WeightedRow[]> {
  const whole = await readWith(reader, text, options);
  const want = JSON.stringify(whole.rows, bigint);
  for (let at = 1; at < Buffer.byteLength(text); at++) {
    const split = await readWith(reader, text, options, [at]);
    if (JSON.stringify(split.rows, bigint) !== want) throw new Error(`rows differ when split at byte ${at}`);
  }
  return whole.rows;
}

const bigint = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

/** A compact view of rows: op, hex address, and the fields named. */
export const brief = (rows: WeightedRow[], ...fields: (keyof WeightedRow)[]): string[] =>
  rows.map((r) => [r.op, `0x${r.addr.toString(16)}`, ...fields.map((f) => String(r[f]))].join(' '));
