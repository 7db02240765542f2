// EventBatch keeps its columns in one buffer, so the threaded engine can hand a reader's batch to
// a worker whole (swapBuffer) while the reader goes on in another buffer.
import { describe, expect, it } from 'vitest';
import { EventBatch, NONE } from '../../src/trace/events.js';

describe('EventBatch', () => {
  it('keeps every column in its one buffer, and reads back a batch built over that buffer', () => {
    const b = new EventBatch(8);
    b.op[2] = 4;
    b.addrHi[2] = 0x7f;
    b.addrLo[2] = 0x1000;
    b.len[2] = 12345;
    b.time[2] = 2 ** 40 + 0.5;
    b.tid[2] = NONE;
    b.line[2] = 99;
    b.count = 3;
    const copy = new EventBatch(8, b.buffer.slice(0));
    expect([copy.op[2], copy.addrHi[2], copy.addrLo[2], copy.len[2], copy.time[2], copy.tid[2], copy.line[2], copy.weight[2]])
      .toEqual([4, 0x7f, 0x1000, 12345, 2 ** 40 + 0.5, NONE, 99, 1]);
    expect(() => new EventBatch(9, b.buffer)).toThrow(/buffer/);
  });

  it('hands over its buffer with the rows, refilling the filled columns in the one it goes on in', () => {
    const b = new EventBatch(4);
    b.fillColumn('pid', 1);
    b.fillColumn('time', NaN);
    b.fillColumn('pid', 7); // the latest value counts, once
    for (let i = 0; i < 4; i++) {
      b.op[i] = 3;
      b.addrLo[i] = i;
      b.weight[i] = 5;
    }
    b.count = 4;
    const next = new ArrayBuffer(EventBatch.bytes(4));
    new Uint8Array(next).fill(0xff); // a buffer a worker handed back: stale bytes everywhere
    const out = b.swapBuffer(next);
    const sent = new EventBatch(4, out);
    expect([...sent.addrLo]).toEqual([0, 1, 2, 3]);
    expect([...sent.pid]).toEqual([7, 7, 7, 7]);
    expect(b.buffer).toBe(next);
    expect([...b.pid]).toEqual([7, 7, 7, 7]);
    expect(b.time.every((t) => Number.isNaN(t))).toBe(true);
    expect([...b.weight]).toEqual([1, 1, 1, 1]); // filled by the constructor
    expect(b.count).toBe(4); // the reader resets it
  });
});
