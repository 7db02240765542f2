import { describe, expect, it } from 'vitest';
import { allowance, COUNT, describeTolerance, EXACT, INFO, TIMING, widen, within } from '../../src/kernel-check/tolerance.js';

describe('tolerances', () => {
  it('syscall-driven paths: ±2 pages (KERNEL-CHECK caveat 1)', () => {
    expect(within(EXACT, 1026, 1024)).toBe(true);
    expect(within(EXACT, 1021, 1024)).toBe(false);
    expect(describeTolerance(EXACT)).toBe('±2');
  });

  it('event counts are exact', () => {
    expect(within(COUNT, 1, 1)).toBe(true);
    expect(within(COUNT, 1, 0)).toBe(false);
    expect(describeTolerance(COUNT)).toBe('exact');
  });

  it('timing-driven paths: a quarter of the larger value, at least 8', () => {
    expect(allowance(TIMING, 1024, 900)).toBe(256);
    expect(within(TIMING, 2055, 3072)).toBe(false);
    expect(within(TIMING, 5, 0)).toBe(true);
    expect(describeTolerance(TIMING)).toBe('±25% (min 8)');
  });

  it('widening adds pages; info is never judged', () => {
    expect(widen(EXACT, 100)).toEqual({ kind: 'pages', pages: 102 });
    expect(widen(TIMING, 100)).toMatchObject({ kind: 'relative', pages: 108 });
    expect(within(INFO, 0, 1e9)).toBe(true);
    expect(describeTolerance(widen(INFO, 5))).toBe('info');
  });
});
