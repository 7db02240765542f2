// Tiny sweeps in a temp folder: two small traces, a bad one, and spec writers.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const TRACE_A = [
  'op,addr,len,agent,policy,nodes,kind',
  'mmap,0x7f0000000000,1048576,cpu0,,,anon',
  'mbind,0x7f0000000000,1048576,cpu0,bind,1,',
  'write,0x7f0000000000,1048576,cpu0,,,',
  'migrate,0x7f0000000000,524288,cpu0,,0,',
  'read,0x7f0000000000,4096,dev0,,,',
  '',
].join('\n');
export const TRACE_B = 'op,addr,len\nwrite,0x1000,65536\nread,0x1000,4096\nwrite,0x200000,8192\n';
export const TRACE_BAD = 'op,addr\nwrite,0x1000\nwrite,0xzz\n';

/** A temp folder holding a.csv, b.csv and bad.csv. */
export function sweepDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cdm-sweep-'));
  writeFileSync(join(dir, 'a.csv'), TRACE_A);
  writeFileSync(join(dir, 'b.csv'), TRACE_B);
  writeFileSync(join(dir, 'bad.csv'), TRACE_BAD);
  return dir;
}

/** Writes a spec (YAML) into dir and returns its path. */
export function writeSpec(dir: string, spec: Record<string, unknown>, name = 'spec.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, stringify(spec));
  return path;
}

/** The two-node preset, two traces, a 2-point grid and two backends: 4 groups, 8 runs. */
export const SMALL_SPEC = {
  traces: ['a.csv', 'b.csv'],
  backends: ['mainline', 'numa'],
  preset: 'two-node',
  grid: { 'nodes.1.capacity': ['8MiB', '16MiB'] },
};

export const read = (path: string): string => readFileSync(path, 'utf8');

/** Run indices a sweep log (CDM_REPLAY_SWEEP_LOG) says were executed. */
export function executedRuns(log: string): number[] {
  return [...log.matchAll(/^sweep-log: group \d+ runs ([\d,]+) /gm)].flatMap((m) => m[1].split(',').map(Number)).sort((a, b) => a - b);
}
