// Runs a small trace through the library as the CLI would and returns the report.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBackendList } from '../../src/backends/registry.js';
import { loadConfig } from '../../src/config/index.js';
import { replay } from '../../src/engine/replay.js';
import type { Report } from '../../src/report/schema.js';

export async function run(csv: string, opts: { backend?: string; preset?: string; sets?: string[] } = {}): Promise<Report> {
  const dir = mkdtempSync(join(tmpdir(), 'cdm-scn-'));
  const path = join(dir, 'trace.csv');
  writeFileSync(path, csv);
  const { config, warnings } = loadConfig({ preset: opts.preset ?? 'two-node', sets: opts.sets ?? [] });
  return replay({ tracePath: path, config, presetName: opts.preset ?? 'two-node', backends: parseBackendList(opts.backend ?? 'mainline'), warnings });
}

export const backend = (r: Report, label = 'mainline') => r.backends.find((b) => b.label === label)!;
export const numastat = (r: Report, node: number, label = 'mainline') => backend(r, label).nodes.find((n) => n.id === node)!.numastat;

/** A trace@1 CSV from rows of [op, addr, len, extra columns...] with a fixed header. */
export function trace(header: string, rows: (string | number)[][]): string {
  return `${header}\n${rows.map((r) => r.join(',')).join('\n')}\n`;
}

export const MiB = 1 << 20;
export const hex = (n: number) => `0x${n.toString(16)}`;
