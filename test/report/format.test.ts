import { describe, expect, it } from 'vitest';
import { formatBytes, formatDurationNs, formatInt, formatRatio, naturalCompare } from '../../src/report/format.js';

describe('number formatting', () => {
  it('groups thousands without depending on the locale', () => {
    expect(formatInt(0)).toBe('0');
    expect(formatInt(999)).toBe('999');
    expect(formatInt(1000)).toBe('1,000');
    expect(formatInt(1234567)).toBe('1,234,567');
    expect(formatInt(-1234.6)).toBe('-1,235');
  });

  it('shows ratios with 4 decimals', () => {
    expect(formatRatio(0)).toBe('0.0000');
    expect(formatRatio(9000 / 40960)).toBe('0.2197');
  });

  it('humanises bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(64 * 1024 * 1024)).toBe('64.00 MiB');
    expect(formatBytes(3 * 2 ** 30)).toBe('3.00 GiB');
  });

  it('humanises trace durations', () => {
    expect(formatDurationNs(2_500_000_000)).toBe('2.500 s');
    expect(formatDurationNs(1_500_000)).toBe('1.500 ms');
    expect(formatDurationNs(999)).toBe('999 ns');
  });

  it('orders names with numbers naturally', () => {
    expect(['cpu10', 'dev0', 'cpu2', 'cpu1'].sort(naturalCompare)).toEqual(['cpu1', 'cpu2', 'cpu10', 'dev0']);
    expect(['b', 'a', 'ab'].sort(naturalCompare)).toEqual(['a', 'ab', 'b']);
  });
});
