// Grid expansion order, grouping and sharding (DESIGN §5a; README "Sweeps").
import { describe, expect, it } from 'vitest';
import { parseSetArg } from '../../src/config/index.js';
import { expand, gridPoints, parseShard, pointSets, shardGroups } from '../../src/sweep/grid.js';

const GRID = { 'nodes.1.capacity': ['8MiB', '16MiB', '32MiB'], 'kernel.thp': ['always', 'never'] };

describe('grid expansion', () => {
  it('is an odometer over the keys as written: first key slowest, values in list order', () => {
    expect(gridPoints(GRID)).toEqual([
      { 'nodes.1.capacity': '8MiB', 'kernel.thp': 'always' },
      { 'nodes.1.capacity': '8MiB', 'kernel.thp': 'never' },
      { 'nodes.1.capacity': '16MiB', 'kernel.thp': 'always' },
      { 'nodes.1.capacity': '16MiB', 'kernel.thp': 'never' },
      { 'nodes.1.capacity': '32MiB', 'kernel.thp': 'always' },
      { 'nodes.1.capacity': '32MiB', 'kernel.thp': 'never' },
    ]);
    // Written the other way round, the other key varies slowest.
    expect(gridPoints({ 'kernel.thp': ['always', 'never'], 'nodes.1.capacity': ['8MiB', '16MiB'] }).map((p) => p['kernel.thp'])).toEqual([
      'always',
      'always',
      'never',
      'never',
    ]);
    expect(gridPoints({})).toEqual([{}]);
  });

  it('orders runs traces × grid points × backends and groups each (trace, point)', () => {
    const { runs, groups } = expand(['a.csv', 'b.csv'], GRID, ['numa', 'mainline']);
    expect(runs).toHaveLength(2 * 6 * 2);
    expect(groups).toHaveLength(2 * 6);
    expect(runs.slice(0, 5).map((r) => [r.trace, r.params['nodes.1.capacity'], r.params['kernel.thp'], r.backend])).toEqual([
      ['a.csv', '8MiB', 'always', 'numa'],
      ['a.csv', '8MiB', 'always', 'mainline'],
      ['a.csv', '8MiB', 'never', 'numa'],
      ['a.csv', '8MiB', 'never', 'mainline'],
      ['a.csv', '16MiB', 'always', 'numa'],
    ]);
    expect(runs[12].trace).toBe('b.csv');
    runs.forEach((r, i) => expect(r.index).toBe(i));
    for (const g of groups) {
      expect(g.runs).toEqual([2 * g.index, 2 * g.index + 1]);
      for (const i of g.runs) expect(runs[i]).toMatchObject({ group: g.index, params: g.params });
    }
  });
});

describe('sharding', () => {
  it('puts every run in exactly one shard, never splitting a group, for several N', () => {
    const { runs, groups } = expand(['a', 'b', 'c'], GRID, ['x', 'y', 'z']);
    for (const n of [1, 2, 3, 4, 5, 7, 18, 25]) {
      const seen = new Array<number>(runs.length).fill(0);
      for (let i = 1; i <= n; i++) {
        for (const g of shardGroups(groups, { index: i, count: n })) for (const r of g.runs) seen[r]++;
      }
      expect(seen.every((c) => c === 1), `N=${n}`).toBe(true);
    }
  });

  it('is deterministic and round-robin by group', () => {
    const { groups } = expand(['a', 'b'], GRID, ['x']);
    expect(shardGroups(groups, { index: 2, count: 3 }).map((g) => g.index)).toEqual([1, 4, 7, 10]);
    expect(shardGroups(groups, undefined)).toHaveLength(groups.length);
  });

  it('parses I/N, 1-based', () => {
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    for (const bad of ['0/3', '4/3', '1/0', '1', 'a/b', '-1/2']) expect(() => parseShard(bad), bad).toThrow(/--shard/);
  });
});

describe('grid points as config overrides', () => {
  it('pass values through --set parsing unchanged', () => {
    const params = { 'nodes.1.capacity': '8MiB', 'kernel.numaBalancing': 0, 'kernel.demotion': true, distance: [[10, 40], [40, 10]], swap: null, 'x.y': 'a=b, "c"' };
    const back = Object.fromEntries(pointSets(params).map((s) => {
      const { key, value } = parseSetArg(s);
      return [key, value];
    }));
    expect(back).toEqual(params);
  });
});
