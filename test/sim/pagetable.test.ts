import { describe, expect, it } from 'vitest';
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
