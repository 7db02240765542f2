import { describe, expect, it } from 'vitest';
import { formatSize, parseSize, trySize } from '../../src/config/size.js';

describe('parseSize', () => {
  it.each([
    [4096, 4096],
    ['4096', 4096],
    ['512B', 512],
    ['4KiB', 4096],
    ['64MiB', 64 * 2 ** 20],
    ['16GiB', 16 * 2 ** 30],
    ['1TiB', 2 ** 40],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['0.5KiB', 512],
    [' 8 MiB ', 8 * 2 ** 20],
    [0, 0],
  ])('%j → %d bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it.each([
    ['1.3KiB', /whole number of bytes/],
    ['1.5', /whole number of bytes/],
    ['1.5B', /whole number of bytes/],
    [1.5, /whole, non-negative/],
    [-1, /whole, non-negative/],
    ['-4KiB', /not a size/],
    ['', /not a size/],
    ['GiB', /not a size/],
    ['12XB', /not a size/],
    ['1e6', /not a size/],
    ['0x1000', /not a size/],
    [true, /got boolean/],
    [null, /got null/],
    ['9000000TiB', /too large/],
  ])('rejects %j', (input, why) => {
    expect(() => parseSize(input)).toThrow(why);
    expect(() => parseSize(input)).toThrow(/expected a byte size|too large/);
  });

  it('rejects SI suffixes and says to use binary ones', () => {
    const r = trySize('4GB');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('write GiB');
    expect(trySize('64k').ok).toBe(false);
  });
});

describe('formatSize', () => {
  it('uses the largest exact binary unit', () => {
    expect(formatSize(2 ** 30)).toBe('1GiB');
    expect(formatSize(1536)).toBe('1536B');
    expect(formatSize(490037 * 2 ** 20)).toBe('490037MiB');
    expect(formatSize(0)).toBe('0B');
  });
});
