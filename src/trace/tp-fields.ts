// Tracepoint text fields (`key=value ...`, each event's TP_printk) as ftrace, trace-cmd and perf
// script print them. Fields are found by name, never by position: kernels add and drop fields
// (mm_migrate_pages grew nr_thp_* and nr_split; some trees add nr_free= to mm_page_alloc).
import { Op } from './events.js';
import { S, scanU64 } from './csv-fields.js';
import { isSpace, scanHexAddr, skipSpaces, skipToken } from './lines.js';

/** Start of the value of `key` (bytes of "name=") in the fields b[p, e), or -1 when absent. */
export function fieldAt(b: Uint8Array, p: number, e: number, key: Uint8Array): number {
  const k = key.length;
  p = skipSpaces(b, p, e);
  while (p < e) {
    let i = 0;
    while (i < k && p + i < e && b[p + i] === key[i]) i++;
    if (i === k) return p + k;
    p = skipSpaces(b, skipToken(b, p, e), e);
  }
  return -1;
}

/** Field value as an unsigned integer (0x hex or decimal) into S.hi / S.lo: 1, 0 when absent, -1 when malformed. */
export function fieldU64(b: Uint8Array, p: number, e: number, key: Uint8Array): number {
  const v = fieldAt(b, p, e, key);
  if (v < 0) return 0;
  const end = scanU64(b, v, e);
  return end > v && (end === e || isSpace(b[end])) ? 1 : -1;
}

/** Field value as a small number (< 2^53), NaN when absent or malformed. */
export function fieldNumber(b: Uint8Array, p: number, e: number, key: Uint8Array): number {
  if (fieldU64(b, p, e, key) !== 1 || S.hi >= 0x200000) return NaN;
  return S.hi * 4294967296 + S.lo;
}

/** Field value as text, null when absent. */
export function fieldText(b: Buffer, p: number, e: number, key: Uint8Array): string | null {
  const v = fieldAt(b, p, e, key);
  return v < 0 ? null : b.toString('latin1', v, skipToken(b, v, e));
}

const ADDRESS = Buffer.from('address=');
const ERROR_CODE = Buffer.from('error_code=');

/** What faultFields found besides an op. */
export const NO_ADDRESS = -1;
export const SYMBOLIC_ADDRESS = -2;

/**
 * exceptions:page_fault_user / page_fault_kernel (x86, arch/x86/include/asm/trace/exceptions.h):
 * "address=%ps ip=%ps error_code=0x%lx". The address goes to S.hi / S.lo. Returns the op: write
 * when error_code bit 1 (X86_PF_WRITE) is set, else read (instruction fetches, bit 4, are reads
 * of code); `fault` when error_code is absent. NO_ADDRESS when there is no address field;
 * SYMBOLIC_ADDRESS when %ps printed a kernel symbol instead of a number.
 */
export function faultFields(b: Uint8Array, p: number, e: number): number {
  const v = fieldAt(b, p, e, ADDRESS);
  if (v < 0) return NO_ADDRESS;
  const end = scanHexAddr(b, v, e);
  if (end < 0 || (end < e && !isSpace(b[end]))) return SYMBOLIC_ADDRESS;
  const hi = S.hi;
  const lo = S.lo;
  const c = fieldU64(b, p, e, ERROR_CODE);
  const op = c === 1 ? ((S.lo & 2) !== 0 ? Op.write : Op.read) : Op.fault;
  S.hi = hi;
  S.lo = lo;
  return op;
}
