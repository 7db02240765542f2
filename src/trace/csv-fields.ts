// Byte-level value scanners for trace@1 fields. They read straight from the input Buffer so the
// common unquoted row allocates nothing. A scanner starts at `p`, stops at the first byte that is
// not part of its value and returns that position, or -1 when the value is malformed or out of
// range; the caller checks that it stopped exactly at the field's end. Results go to `S` (one
// shared scratch object instead of a tuple per call).
import {
  encodeCpu, encodeDev, Flag, FLAG_NAMES, MAP_KIND_NAMES, MAX_NODES, OP_BY_CODE, POLICY_NAMES,
} from './events.js';

/** NaN, not 0: the fields hold doubles from the start, so V8 never reshapes S mid-run (a deopt). */
export const S = { hi: NaN, lo: NaN, v: NaN };

const TWO32 = 4294967296;
const INT32_MAX = 2147483647;

/** Hex digit values, -1 for anything else. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) HEX[97 + i] = HEX[65 + i] = 10 + i;

/** An unsigned 64-bit integer, `0x` hex or decimal, into S.hi / S.lo (uint32 halves). */
export function scanU64(b: Uint8Array, p: number, end: number): number {
  return p + 1 < end && b[p] === 48 && (b[p + 1] | 32) === 120 ? scanHex(b, p + 2, end) : scanDec64(b, p, end);
}

/** Hex digits (after the 0x) of a value < 2^64 into S.hi / S.lo. */
export function scanHex(b: Uint8Array, p: number, end: number): number {
  // int32 halves: lo keeps the last 8 digits, hi the 8 before, whatever shifts out of hi must
  // be a leading zero (checked only when there are more than 16 digits).
  let hi = 0;
  let lo = 0;
  const s = p;
  for (; p < end; p++) {
    const d = HEX[b[p]];
    if (d < 0) break;
    hi = (hi << 4) | (lo >>> 28);
    lo = (lo << 4) | d;
  }
  if (p === s) return -1;
  if (p - s > 16) {
    let z = s;
    while (b[z] === 48) z++;
    if (p - z > 16) return -1; // a 17th significant hex digit: >= 2^64
  }
  S.hi = hi >>> 0;
  S.lo = lo >>> 0;
  return p;
}

/** Decimal digits of a value < 2^64 into S.hi / S.lo. */
function scanDec64(b: Uint8Array, p: number, end: number): number {
  const s = p;
  let v = 0;
  for (; p < end; p++) {
    const d = b[p] - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  if (p === s) return -1;
  if (p - s > 15) return scanDec64Long(b, s, p); // v may have rounded: above 2^53
  S.lo = v >>> 0; // v mod 2^32, exact
  S.hi = (v - S.lo) / TWO32;
  return p;
}

/** scanDec64 for more than 15 digits, in b[p, e) (all digits). */
function scanDec64Long(b: Uint8Array, p: number, e: number): number {
  let hi = 0;
  let lo = 0;
  for (; p < e; p++) {
    // Base-2^32 long multiplication in doubles: every intermediate stays below 2^53.
    lo = lo * 10 + b[p] - 48;
    hi *= 10;
    if (lo >= TWO32) {
      const carry = Math.floor(lo / TWO32);
      lo -= carry * TWO32;
      hi += carry;
    }
    if (hi >= TWO32) return -1;
  }
  S.hi = hi;
  S.lo = lo;
  return p;
}

/**
 * Decimal nanoseconds < 2^63 into S.hi (value / 1e9) and S.lo (value % 1e9): epoch-sized times
 * exceed 2^53, and two exact halves avoid a BigInt per event. The halves are independent digit
 * runs, so their two loops overlap in the CPU.
 */
export function scanTime(b: Uint8Array, p: number, end: number): number {
  let s = p;
  while (p < end && b[p] - 48 >>> 0 <= 9) p++;
  if (p === s) return -1;
  while (s < p - 1 && b[s] === 48) s++; // leading zeros do not count towards the 19 digits
  if (p - s > 19) return -1;
  // Branch-free split and one helper for both halves: while times are below 1e9 the high half
  // has no digits, and code of its own would reach the optimiser without type feedback and
  // deopt at the first time above (mid-trace).
  const m = Math.max(s, p - 9);
  const lo = decimal(b, m, p);
  const hi = decimal(b, s, m);
  if (hi > 9223372036 || (hi === 9223372036 && lo >= 854775808)) return -1;
  S.hi = hi;
  S.lo = lo;
  return p;
}

/** The value of the decimal digits b[s, e), at most 15 of them (exact in a double). */
function decimal(b: Uint8Array, s: number, e: number): number {
  let v = 0;
  for (; s < e; s++) v = v * 10 + b[s] - 48;
  return v;
}

/** A non-negative int32 in decimal into S.v. */
export function scanInt(b: Uint8Array, p: number, end: number): number {
  const s = p;
  let v = 0;
  for (; p < end; p++) {
    const d = b[p] - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  if (p === s || v > INT32_MAX) return -1;
  S.v = v;
  return p;
}

/** `cpuN`, `devN`, `gpuN` (N optional, default 0) into S.v as encodeCpu/encodeDev do. */
export function scanAgent(b: Uint8Array, p: number, end: number): number {
  if (p + 3 > end) return -1;
  const c0 = b[p];
  const c1 = b[p + 1];
  const c2 = b[p + 2];
  let dev: boolean;
  if (c1 === 112 && c2 === 117 && (c0 === 99 || c0 === 103)) dev = c0 === 103; // cpu, gpu
  else if (c0 === 100 && c1 === 101 && c2 === 118) dev = true; // dev
  else return -1;
  p += 3;
  let v = 0;
  for (; p < end; p++) {
    const d = b[p] - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  if (v > INT32_MAX - 1) return -1; // -(N + 1) must fit an Int32Array
  S.v = dev ? encodeDev(v) : encodeCpu(v); // no digits: N = 0
  return p;
}

const ascii = (names: readonly string[]): Uint8Array[] => names.map((n) => Buffer.from(n, 'latin1'));
const OP_BYTES = ascii(OP_BY_CODE.map((n) => n ?? ''));

/** Op code by (length, second byte), verified by a full compare: one probe per row. */
const OP_LUT = new Uint8Array(16 * 128);
for (let code = 1; code < OP_BYTES.length; code++) {
  const n = OP_BYTES[code];
  const key = (n.length << 7) | (n[1] & 127);
  if (OP_LUT[key] !== 0) throw new Error(`op lookup collision: ${OP_BY_CODE[code]}`);
  OP_LUT[key] = code;
}

/** Op code of b[s, e), 0 when it is no op name. */
export function lookupOp(b: Uint8Array, s: number, e: number): number {
  const len = e - s;
  if (len < 2 || len > 15) return 0;
  const code = OP_LUT[(len << 7) | (b[s + 1] & 127)];
  if (code === 0) return 0;
  const name = OP_BYTES[code];
  if (name.length !== len) return 0;
  for (let i = 0; i < len; i++) if (b[s + i] !== name[i]) return 0;
  return code;
}

/** Index of b[s, e) in `names`, -1 when absent. */
export function matchName(b: Uint8Array, s: number, e: number, names: readonly Uint8Array[]): number {
  const len = e - s;
  outer: for (let k = 0; k < names.length; k++) {
    const n = names[k];
    if (n.length !== len) continue;
    for (let i = 0; i < len; i++) if (b[s + i] !== n[i]) continue outer;
    return k;
  }
  return -1;
}

// Index 0 of each is the "none" placeholder, which no trace may spell.
export const KIND_BYTES = ascii(MAP_KIND_NAMES.map((n, i) => (i === 0 ? '' : n)));
export const POLICY_BYTES = ascii(POLICY_NAMES.map((n, i) => (i === 0 ? '' : n)));
const FLAG_BYTES = ascii(FLAG_NAMES);

/** A node list (`1`, `0,1`, `0-2`, `0-1,3`) as a bit mask, -1 when malformed or an id >= MAX_NODES. */
export function parseNodes(b: Uint8Array, s: number, e: number): number {
  let mask = 0;
  let p = s;
  for (;;) {
    p = scanInt(b, p, e);
    if (p < 0) return -1;
    const first = S.v;
    let last = first;
    if (p < e && b[p] === 45) {
      p = scanInt(b, p + 1, e);
      if (p < 0) return -1;
      last = S.v;
    }
    if (last >= MAX_NODES || first > last) return -1;
    for (let id = first; id <= last; id++) mask |= 1 << id;
    if (p === e) return mask >>> 0;
    if (b[p] !== 44) return -1;
    p++;
  }
}

/** `;`-separated flag names as a Flag bit mask, -1 when malformed. */
export function parseFlags(b: Uint8Array, s: number, e: number): number {
  let mask = 0;
  let p = s;
  while (p <= e) {
    let q = p;
    while (q < e && b[q] !== 59) q++;
    const k = matchName(b, p, q, FLAG_BYTES);
    if (k < 0) return -1;
    mask |= Flag[FLAG_NAMES[k]];
    p = q + 1;
  }
  return mask;
}
