// Row rules that need the whole row (what each op requires, DESIGN §3), and time rebasing.
import { type EventBatch, Flag, FLAG_NAMES, Op, OP_BY_CODE, Policy, POLICY_NAMES } from './events.js';

const NEEDS_ADDR = 1;
const NEEDS_KIND = 2;
const NEEDS_POLICY = 4;
const NEEDS_NODES = 8;

/** Per op code: which columns it requires; every op but exit and set_mempolicy needs addr. */
const NEEDS = new Uint8Array(OP_BY_CODE.length).fill(NEEDS_ADDR);
NEEDS[0] = 0;
NEEDS[Op.exit] = 0;
NEEDS[Op.mmap] |= NEEDS_KIND;
NEEDS[Op.mbind] |= NEEDS_POLICY | NEEDS_NODES;
NEEDS[Op.set_mempolicy] = NEEDS_POLICY | NEEDS_NODES;
NEEDS[Op.migrate] |= NEEDS_NODES;

/** Per op code: the flags it accepts. */
const FLAGS_OK = new Uint8Array(OP_BY_CODE.length);
FLAGS_OK[Op.mbind] = Flag.move | Flag.move_all | Flag.strict;
FLAGS_OK[Op.madvise] = Flag.hugepage | Flag.nohugepage;

const flagNames = (mask: number, sep: string): string => FLAG_NAMES.filter((n) => mask & Flag[n]).join(sep);

/** True for the usual row, which opRuleError passes: no flags, and an address if the op needs one. */
export function usualRow(op: number, hasAddr: boolean, flags: number): boolean {
  const needs = NEEDS[op];
  return flags === 0 && (needs === 0 || (needs === NEEDS_ADDR && hasAddr));
}

/**
 * Checks row n against its op's requirements. Returns null when fine, else [column, value,
 * expected] for a TraceDataError (allocating only then).
 */
export function opRuleError(batch: EventBatch, n: number, hasAddr: boolean): [string, string, string] | null {
  const op = batch.op[n];
  const needs = NEEDS[op];
  const flags = batch.flags[n];
  if ((needs === NEEDS_ADDR && hasAddr && flags === 0) || (needs === 0 && flags === 0)) return null; // the usual row
  const name = OP_BY_CODE[op];
  if (needs & NEEDS_ADDR && !hasAddr) return ['addr', '', `is not given (expected an address: op "${name}" needs one)`];
  if (needs & NEEDS_KIND && batch.kind[n] === 0) {
    return ['kind', '', `is not given (expected anon, file or shmem: op "${name}" needs one)`];
  }
  const policy = batch.policy[n];
  if (needs & NEEDS_POLICY && policy === 0) {
    return ['policy', '', `is not given (expected default, local, bind, preferred, preferred_many or interleave: op "${name}" needs one)`];
  }
  if (needs & NEEDS_NODES && batch.nodes[n] === 0 && !(needs & NEEDS_POLICY && (policy === Policy.default || policy === Policy.local))) {
    const which = needs & NEEDS_POLICY ? ` with policy "${POLICY_NAMES[policy]}"` : '';
    return ['nodes', '', `is not given (expected a node list: op "${name}"${which} needs one)`];
  }
  const bad = flags & ~FLAGS_OK[op];
  if (bad !== 0) {
    const allowed = FLAGS_OK[op] ? flagNames(FLAGS_OK[op], ', ') : 'none: only mbind and madvise take flags';
    return ['flags', flagNames(bad, ';'), `is not valid on op "${name}" (expected ${allowed})`];
  }
  return null;
}

/** Decimal text of hi * 1e9 + lo. */
export const decimalString = (hi: number, lo: number): string => (hi > 0 ? `${hi}${`${lo}`.padStart(9, '0')}` : `${lo}`);

/**
 * Rebases times so the first is 0. Times arrive as exact (value / 1e9, value % 1e9) halves, so
 * epoch-sized nanoseconds (> 2^53) lose nothing: the difference is exact while the trace spans
 * less than 2^53 ns (104 days).
 */
export class TimeRebaser {
  /** Original first time, decimal; null until one is seen. */
  start: string | null = null;
  // NaN: double fields from the start (see S in csv-fields.ts).
  private baseHi = NaN;
  private baseLo = NaN;
  private prevHi = NaN;
  private prevLo = NaN;

  /** The rebased time, or -1 when it is earlier than the previous one (see previous()). */
  rebase(hi: number, lo: number): number {
    if (this.start === null) {
      this.start = decimalString(hi, lo);
      this.baseHi = this.prevHi = hi;
      this.baseLo = this.prevLo = lo;
    } else if (hi < this.prevHi || (hi === this.prevHi && lo < this.prevLo)) {
      return -1;
    }
    this.prevHi = hi;
    this.prevLo = lo;
    return (hi - this.baseHi) * 1e9 + (lo - this.baseLo);
  }

  previous(): string {
    return decimalString(this.prevHi, this.prevLo);
  }
}
