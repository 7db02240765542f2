// trace.pages_touched: distinct (pid, page) pairs over the accesses, whatever order, length or
// repetition they come in (EventCounter keeps a bit per page in 32-page groups), and the
// weighted accesses beside them.
import { describe, expect, it } from 'vitest';
import { EventCounter } from '../../src/engine/outcome.js';
import { EventBatch, Op } from '../../src/trace/events.js';

function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 4294967296);
}

describe('EventCounter', () => {
  it('counts the distinct (pid, page) pairs of read, write and fault events, ranges included, and their weights', () => {
    const rnd = lcg(3);
    const counter = new EventCounter(1000, 4096);
    let accesses = 0;
    const model = new Set<string>();
    for (let round = 0; round < 40; round++) {
      const b = new EventBatch(256);
      for (let i = 0; i < 256; i++) {
        const r = rnd();
        b.op[i] = r < 0.3 ? Op.read : r < 0.6 ? Op.write : r < 0.8 ? Op.fault : Op.mmap;
        b.pid[i] = 1 + Math.floor(rnd() * 3);
        // Runs of neighbours, far pages above 2^32 bytes and beyond 2^52 bytes.
        const page = rnd() < 0.7 ? Math.floor(rnd() * 200) : rnd() < 0.5 ? 2 ** 21 + Math.floor(rnd() * 40) : 2 ** 40 + Math.floor(rnd() * 40);
        const addr = page * 4096 + Math.floor(rnd() * 4096);
        b.addrHi[i] = Math.floor(addr / 2 ** 32);
        b.addrLo[i] = addr % 2 ** 32;
        b.len[i] = rnd() < 0.2 ? 1 + Math.floor(rnd() * 5 * 4096) : NaN;
        b.weight[i] = 1 + Math.floor(rnd() * 3);
        if (b.op[i] === Op.mmap) continue;
        accesses += b.weight[i];
        const end = Number.isNaN(b.len[i]) ? addr + 1 : addr + b.len[i];
        for (let p = Math.floor(addr / 4096); p < Math.ceil(end / 4096); p++) model.add(`${b.pid[i]}:${p}`);
      }
      b.count = 256;
      counter.add(b);
      expect(counter.totals()).toMatchObject({ pagesTouched: model.size, accesses, events: (round + 1) * 256 });
    }
  });
});
