// How close the simulator must come to the kernel, per observable (docs/fidelity.md, "Tolerances").
// A value is judged against the simulator's value plus any documented adjustment (`expected`).

export type Tolerance =
  /** |kernel - expected| <= pages. */
  | { kind: 'pages'; pages: number }
  /** |kernel - expected| <= max(pages, fraction * max(|kernel|, |expected|)): an outcome range. */
  | { kind: 'relative'; fraction: number; pages: number }
  /** Shown for context, never judged. */
  | { kind: 'info' };

/**
 * Syscall-driven paths (first touch under a policy, mbind MOVE, move_pages, memcg charge and OOM)
 * reproduce to within 2 pages of system-wide noise across boots (KERNEL-CHECK caveat 1).
 */
export const EXACT: Tolerance = { kind: 'pages', pages: 2 };
/**
 * Timing-driven paths (NUMA balancing, kswapd) vary between boots (KERNEL-CHECK caveat 1:
 * pgdemote_kswapd 15939 vs 26320): compared as outcomes, within a quarter of the larger value.
 */
export const TIMING: Tolerance = { kind: 'relative', fraction: 0.25, pages: 8 };
/** Counts of events rather than pages (OOM kills, skipped trace events, memory.events): no noise. */
export const COUNT: Tolerance = { kind: 'pages', pages: 0 };
export const INFO: Tolerance = { kind: 'info' };

/** Widens a page tolerance by `extra` pages (fallback-point slack); relative ones keep their band. */
export function widen(t: Tolerance, extra: number): Tolerance {
  if (t.kind === 'pages') return { kind: 'pages', pages: t.pages + extra };
  if (t.kind === 'relative') return { ...t, pages: t.pages + extra };
  return t;
}

/** The allowed distance for these two values. */
export function allowance(t: Tolerance, kernel: number, expected: number): number {
  if (t.kind === 'pages') return t.pages;
  if (t.kind === 'relative') return Math.max(t.pages, Math.floor(t.fraction * Math.max(Math.abs(kernel), Math.abs(expected))));
  return Infinity;
}

export function within(t: Tolerance, kernel: number, expected: number): boolean {
  return Math.abs(kernel - expected) <= allowance(t, kernel, expected);
}

export function describeTolerance(t: Tolerance): string {
  if (t.kind === 'pages') return t.pages === 0 ? 'exact' : `±${t.pages}`;
  if (t.kind === 'relative') return `±${Math.round(t.fraction * 100)}% (min ${t.pages})`;
  return 'info';
}
