// Grid expansion and sharding (DESIGN §5a). The run order is fixed and documented (README
// "Sweeps"):
//   traces in spec order
//     × grid points: the cartesian product of the grid's value lists, keys in the order written,
//       the first key varying slowest and the last fastest (an odometer), values in list order
//       × backends in spec order (`all` expands in registry order).
// Run i's index is its position in that order. The runs sharing (trace, grid point) form a group,
// the unit of sharding; a worker replays all the groups of a trace it holds in one pass, reading
// the trace once (run.ts splits each trace's groups into one task per worker).
import { UsageError } from '../errors.js';

export type Params = Record<string, unknown>;

export interface RunKey {
  index: number;
  group: number;
  trace: string;
  params: Params;
  backend: string;
}

export interface Group {
  index: number;
  /** Index into the spec's traces. */
  trace: number;
  params: Params;
  /** Run indices, contiguous, in backend order. */
  runs: number[];
}

export interface Expansion {
  runs: RunKey[];
  groups: Group[];
}

/** The grid's points in run order: an odometer over the keys as written, first key slowest. */
export function gridPoints(grid: Record<string, readonly unknown[]>): Params[] {
  let points: Params[] = [{}];
  for (const [key, values] of Object.entries(grid)) {
    points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  }
  return points;
}

export function expand(traces: readonly string[], grid: Record<string, readonly unknown[]>, backends: readonly string[]): Expansion {
  const points = gridPoints(grid);
  const runs: RunKey[] = [];
  const groups: Group[] = [];
  traces.forEach((trace, t) => {
    for (const params of points) {
      const group: Group = { index: groups.length, trace: t, params, runs: [] };
      for (const backend of backends) {
        group.runs.push(runs.length);
        runs.push({ index: runs.length, group: group.index, trace, params, backend });
      }
      groups.push(group);
    }
  });
  return { runs, groups };
}

/** The identity of a run across files: what merge matches shards' runs by. */
export const runId = (r: { trace: string; params: Params; backend: string }): string => JSON.stringify([r.trace, r.params, r.backend]);

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** Parses `--shard I/N` (1 ≤ I ≤ N). */
export function parseShard(arg: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(arg.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard ${arg}: expected I/N with 1 ≤ I ≤ N (e.g. --shard 1/4)`);
  }
  return { index, count };
}

/**
 * The groups shard I/N runs: round-robin by group index (group g belongs to shard g mod N + 1), so
 * every run is in exactly one shard, a group (one parse of a trace) is never split, and each shard
 * gets a mix of traces and grid points rather than one slow corner of the grid.
 */
export function shardGroups<G extends { index: number }>(groups: readonly G[], shard: Shard | undefined): G[] {
  if (!shard) return [...groups];
  return groups.filter((g) => g.index % shard.count === shard.index - 1);
}

/** `--set`-style overrides for a grid point; JSON text is YAML, so values arrive unchanged. */
export function pointSets(params: Params): string[] {
  return Object.entries(params).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
}

/** `nodes.1.capacity=8MiB, kernel.thp=never` for messages. */
export function describeParams(params: Params): string {
  const parts = Object.entries(params).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join(', ') : '(no grid)';
}
