import { describe, expect, it } from 'vitest';
import { PageMap } from '../../src/sim/pagemap.js';
import { PageTable } from '../../src/sim/pagetable.js';

// A deterministic generator, so a failure replays the same way.
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 4294967296);
}

describe('PageTable', () => {
  it('behaves like a map of (space, vpn) under random sets, deletes and lookups', () => {
    const t = new PageTable(1);
    const model = new Map<string, number>();
    const rnd = lcg(7);
    const spaces = [1, 2, -5, 0];
    for (let i = 0; i < 50000; i++) {
      const space = spaces[Math.floor(rnd() * spaces.length)];
      // Dense low pages, a few far ones (above 2^32 and near 2^45) to cover the high half.
      const r = rnd();
      const vpn = r < 0.8 ? Math.floor(rnd() * 300) : r < 0.9 ? 2 ** 33 + Math.floor(rnd() * 40) : 2 ** 45 - Math.floor(rnd() * 70);
      const key = `${space}:${vpn}`;
      const op = rnd();
      if (op < 0.45) {
        const value = Math.floor(rnd() * 1000) - 3; // slots and the negative PTE markers
        t.set(space, vpn, value);
        model.set(key, value);
      } else if (op < 0.8) {
        expect(t.delete(space, vpn, -99)).toBe(model.get(key) ?? -99);
        model.delete(key);
      } else {
        expect(t.get(space, vpn, -99)).toBe(model.get(key) ?? -99);
      }
      expect(t.size).toBe(model.size);
    }
    const seen = new Map<string, number>();
    t.forEach((space, vpn, value) => seen.set(`${space}:${vpn}`, value));
    expect(seen).toEqual(model);
  });

  it('returns emptied leaves to the pool, so churn over new ranges does not grow it', () => {
    const t = new PageTable(4);
    for (let round = 0; round < 200; round++) {
      const base = round * 1000;
      for (let v = base; v < base + 96; v++) t.set(1, v, v);
      for (let v = base; v < base + 96; v++) expect(t.delete(1, v)).toBe(v);
    }
    const after = t.bytes;
    for (let v = 5e6; v < 5e6 + 96; v++) t.set(1, v, 1);
    expect(t.size).toBe(96);
    expect(t.bytes).toBe(after);
  });
});

describe('PageMap.or', () => {
  it('ORs bits into a key, an absent key counting as 0, and returns the value before', () => {
    const m = new PageMap(1);
    const model = new Map<string, number>();
    const rnd = lcg(11);
    for (let i = 0; i < 20000; i++) {
      const space = [3, -1, 7][Math.floor(rnd() * 3)];
      const index = rnd() < 0.9 ? Math.floor(rnd() * 500) : 2 ** 40 + Math.floor(rnd() * 9);
      const bits = 1 << Math.floor(rnd() * 32);
      const key = `${space}:${index}`;
      const before = model.get(key) ?? 0;
      expect(m.or(space, index, bits)).toBe(before);
      model.set(key, before | bits);
      expect(m.get(space, index, -99)).toBe(before | bits);
    }
    expect(m.size).toBe(model.size);
  });
});
