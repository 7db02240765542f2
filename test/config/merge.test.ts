import { describe, expect, it } from 'vitest';
import { applySet, deepMerge, deriveDistance, parseSetArg } from '../../src/config/merge.js';
import { ConfigError } from '../../src/errors.js';

describe('applySet', () => {
  it('walks objects and lists, creating what is missing', () => {
    const o: Record<string, unknown> = { nodes: [{ id: 0 }, { id: 1, capacity: '1GiB' }] };
    applySet(o, 'nodes.1.capacity', '8GiB');
    applySet(o, 'backends.hmm.variant', 'private');
    applySet(o, 'memcgs.0.path', '/job');
    applySet(o, 'nodes.2', { id: 2 });
    expect(o).toEqual({
      nodes: [{ id: 0 }, { id: 1, capacity: '8GiB' }, { id: 2 }],
      backends: { hmm: { variant: 'private' } },
      memcgs: [{ path: '/job' }],
    });
  });

  it('deletes a key given null, so its default returns', () => {
    const o: Record<string, unknown> = { kernel: { minFreeKbytes: 1024, thp: 'never' } };
    applySet(o, 'kernel.minFreeKbytes', null);
    expect(o).toEqual({ kernel: { thp: 'never' } });
  });

  it('names its source in errors (for sweep grids)', () => {
    const o = { swap: 0 };
    expect(() => applySet(o, 'swap.x', 1, 'spec.yaml grid')).toThrow(ConfigError);
    expect(() => applySet(o, 'swap.x', 1, 'spec.yaml grid')).toThrow('config error: spec.yaml grid: swap.x: swap is a number, not an object or list');
    expect(() => applySet(o, 'a..b', 1)).toThrow(/not a dotted key path/);
  });
});

describe('parseSetArg', () => {
  it('parses values as YAML', () => {
    expect(parseSetArg('kernel.numaBalancing=0')).toEqual({ key: 'kernel.numaBalancing', value: 0 });
    expect(parseSetArg('nodes.1.capacity=8GiB').value).toBe('8GiB');
    expect(parseSetArg('kernel.demotion=true').value).toBe(true);
    expect(parseSetArg('distance=[[10, 80], [80, 10]]').value).toEqual([[10, 80], [80, 10]]);
    expect(parseSetArg('a=b=c').value).toBe('b=c');
    expect(parseSetArg('kernel.minFreeKbytes=').value).toBeNull();
    expect(() => parseSetArg('=1')).toThrow(/expected KEY=VALUE/);
    expect(() => parseSetArg('x=[1')).toThrow(/not valid YAML/);
  });
});

describe('deepMerge / deriveDistance', () => {
  it('merges objects, replaces lists, never aliases the overlay', () => {
    const over = { kernel: { thp: 'never' }, nodes: [{ id: 5 }] };
    const m = deepMerge({ kernel: { thp: 'always', swappiness: 1 }, nodes: [{ id: 0 }, { id: 1 }] }, over);
    expect(m).toEqual({ kernel: { thp: 'never', swappiness: 1 }, nodes: [{ id: 5 }] });
    (m.nodes as { id: number }[])[0].id = 9;
    expect(over.nodes[0].id).toBe(5);
  });

  it('keeps base distances by node id, whatever the order', () => {
    const base = { nodes: [{ id: 0 }, { id: 1 }, { id: 2 }], distance: [[10, 40, 80], [40, 10, 80], [80, 80, 10]] };
    expect(deriveDistance(base, [{ id: 2 }, { id: 0 }, { id: 7 }])).toEqual([[10, 80, 20], [80, 10, 20], [20, 20, 10]]);
    expect(deriveDistance(base, [{ id: 'x' }])).toBeUndefined();
  });
});
