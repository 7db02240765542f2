// Helpers for the foreign-format reader tests (damo, nsys, kfd): run one reader over bytes, catch
// its located error, and replay a file through the engine as the CLI would.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseBackendList } from '../../src/backends/registry.js';
import { loadConfig } from '../../src/config/index.js';
import { replay } from '../../src/engine/replay.js';
import { TraceDataError } from '../../src/errors.js';
import type { ReadOptions, TraceInfo, TraceReader } from '../../src/trace/events.js';
import type { Report } from '../../src/report/schema.js';
import { chunked, newInfo, rowsOf, type Row } from './helpers.js';

export const FIXTURES = join(import.meta.dirname, '../fixtures/formats');

/** Every event a reader produces from `data` (split into chunks of `sizes`), and its info. */
export async function readWith(reader: TraceReader, data: string | Buffer | Uint8Array, options: ReadOptions = {}, sizes: number[] = []):
Promise<{ rows: Row[]; info: TraceInfo }> {
  const info = newInfo('t.in');
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
  const rows: Row[] = [];
  for await (const b of reader.read(chunked(bytes, sizes), info, options)) rows.push(...rowsOf(b, info));
  return { rows, info };
}

/** The TraceDataError message (exit 3) a reader raises on `data`; fails the test when there is none. */
export async function dataError(reader: TraceReader, data: string | Buffer | Uint8Array, options: ReadOptions = {}): Promise<string> {
  try {
    await readWith(reader, data, options);
  } catch (err) {
    if (!(err instanceof TraceDataError)) throw err;
    expectExit3(err);
    return err.message;
  }
  throw new Error('no TraceDataError');
}

function expectExit3(err: TraceDataError): void {
  if (err.exitCode !== 3) throw new Error(`exit code ${err.exitCode}, expected 3`);
}

/** Replays a trace file through the engine (preset two-node, mainline), as `cdm-replay FILE` does. */
export async function replayFile(path: string, inputFormat?: string): Promise<Report> {
  const { config, warnings } = loadConfig({ preset: 'two-node', sets: [] });
  return replay({ tracePath: path, config, presetName: 'two-node', backends: parseBackendList('mainline'), warnings, inputFormat });
}

const BIN = join(import.meta.dirname, '../../bin/cdm-replay.js');

/** Runs the built CLI (`npm run build` first, as `npm test` does). */
export function cli(args: string[]): { code: number | null; out: string; err: string } {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.FORCE_COLOR;
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
