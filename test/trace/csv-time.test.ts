// The time column: exact rebasing of epoch-sized nanoseconds, monotonicity, absence.
import { describe, expect, it } from 'vitest';
import { errorOf, read, rows } from './helpers.js';

const trace = (...times: string[]): string => `op,addr,time\n${times.map((t) => `read,0,${t}`).join('\n')}\n`;

describe('time', () => {
  it('rebases epoch-sized nanoseconds without losing precision', async () => {
    const text = trace('1732000000123456789', '1732000000123456790', '1732000000123456790', '1732000000223456789', '1732003600123456789');
    const { rows: r, info } = await read(text);
    expect(r.map((x) => x.time)).toEqual([0, 1, 1, 100000000, 3600e9]);
    expect(info.startTime).toBe('1732000000123456789');
  });

  it('keeps odd values above 2^53 apart (a double would round them together)', async () => {
    const { rows: r, info } = await read(trace('9007199254740993', '9007199254740994', '9007199254740995'));
    expect(r.map((x) => x.time)).toEqual([0, 1, 2]);
    expect(info.startTime).toBe('9007199254740993');
  });

  it('accepts up to 2^63 - 1 and leading zeros', async () => {
    const { rows: r, info } = await read(trace('0009223372036854775806', '9223372036854775807'));
    expect(r.map((x) => x.time)).toEqual([0, 1]);
    expect(info.startTime).toBe('9223372036854775806');
    expect((await read(trace('0', '000', '5'))).rows.map((x) => x.time)).toEqual([0, 0, 5]);
  });

  it('rejects a decrease with the previous time in the message', async () => {
    expect(await errorOf(trace('100', '200', '199'))).toBe(
      't.csv:4: column "time": "199" is not non-decreasing (expected >= 200, the previous event\'s time)');
    expect(await errorOf(trace('1732000000123456789', '1732000000123456788'))).toBe('t.csv:3: column "time": ' +
      '"1732000000123456788" is not non-decreasing (expected >= 1732000000123456789, the previous event\'s time)');
    // The halves must be compared as a pair: a larger low part does not outweigh a smaller high part.
    expect(await errorOf(trace('2000000000', '1999999999'))).toMatch(/"1999999999" is not non-decreasing/);
  });

  it.each(['-1', '1.5', '0x10', '1e9', ' 1', '9223372036854775808', '18446744073709551616', '12345678901234567890123'])(
    'rejects %j', async (text) => {
      expect(await errorOf(trace('1', text))).toBe(`t.csv:3: column "time": ${JSON.stringify(text)} ` +
        'is not a valid time (expected integer nanoseconds in decimal, < 2^63)');
    });

  it('leaves empty cells NaN and starts at the first time given', async () => {
    const { rows: r, info } = await read(trace('', '50', '', '70'));
    expect(r.map((x) => x.time)).toEqual([NaN, 0, NaN, 20]);
    expect(info.startTime).toBe('50');
  });

  it('is NaN everywhere without a time column, and startTime null', async () => {
    const { rows: r, info } = await read('op,addr\nread,0\nwrite,1\n');
    expect(r.map((x) => x.time)).toEqual([NaN, NaN]);
    expect(info.startTime).toBeNull();
  });

  it('fills events and lines across small batches', async () => {
    const times = Array.from({ length: 10 }, (_, i) => `${1000 + i}`);
    const { rows: r, info } = await read(trace(...times), { options: { batchSize: 3 } });
    expect(r.map((x) => x.time)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(r.map((x) => x.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(info.events).toBe(10);
    expect(await rows(trace(...times), { batchSize: 4 })).toHaveLength(10);
  });
});
