// Byte sizes in configs: `4096`, `512B`, `4KiB`, `64MiB`, `1.5GiB`, `1TiB`. Binary suffixes only:
// an SI `GB` is ambiguous (10^9 or 2^30) and silently off by 7 %, so it is rejected, not guessed.

const UNITS: Record<string, number> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

export const SIZE_HELP = 'a byte size: whole bytes, or a number with B, KiB, MiB, GiB or TiB (e.g. 4096, 64MiB, 1.5GiB)';
export const SIZE_EXPECTED =
  'expected a byte size: a whole number of bytes or a number with B, KiB, MiB, GiB or TiB (e.g. 4096, 64MiB, 1.5GiB)';

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/;

export type SizeResult = { ok: true; bytes: number } | { ok: false; message: string };

/** Parses a size without throwing; the message says what was wrong and what is expected. */
export function trySize(value: unknown): SizeResult {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return { ok: true, bytes: value };
    return { ok: false, message: `${value} is not a whole, non-negative number of bytes; ${SIZE_EXPECTED}` };
  }
  if (typeof value !== 'string') {
    return { ok: false, message: `got ${value === null ? 'null' : typeof value}; ${SIZE_EXPECTED}` };
  }
  const text = value.trim();
  const m = SIZE_RE.exec(text);
  const unit = m?.[2] === '' ? 'B' : m?.[2];
  const factor = unit === undefined ? undefined : UNITS[unit];
  if (!m || factor === undefined) {
    const hint = m && /^[kmgt]i?b?$/i.test(m[2]) ? ` (write ${suggestUnit(m[2])}: sizes are binary)` : '';
    return { ok: false, message: `${JSON.stringify(value)} is not a size${hint}; ${SIZE_EXPECTED}` };
  }
  const bytes = exactProduct(m[1], factor);
  if (bytes === undefined) {
    return { ok: false, message: `${JSON.stringify(value)} is not a whole number of bytes; ${SIZE_EXPECTED}` };
  }
  if (!Number.isSafeInteger(bytes)) {
    return { ok: false, message: `${JSON.stringify(value)} is too large (over 2^53 bytes)` };
  }
  return { ok: true, bytes };
}

/** Parses a size or throws an Error whose message names the expected form. */
export function parseSize(value: unknown): number {
  const r = trySize(value);
  if (!r.ok) throw new Error(r.message);
  return r.bytes;
}

/** Formats bytes in the largest binary unit that divides them exactly (2048 → "2KiB", 1536 → "1536B"). */
export function formatSize(bytes: number): string {
  for (const unit of ['TiB', 'GiB', 'MiB', 'KiB'] as const) {
    const f = UNITS[unit];
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${unit}`;
  }
  return `${bytes}B`;
}

// Decimal digits times a power of two, done in integers so 1.1GiB is rejected for being
// fractional rather than accepted through float rounding.
function exactProduct(num: string, factor: number): number | undefined {
  const [int, frac = ''] = num.split('.');
  const scale = 10n ** BigInt(frac.length);
  const scaled = BigInt(int + frac) * BigInt(factor);
  if (scaled % scale !== 0n) return undefined;
  const bytes = scaled / scale;
  return bytes > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(bytes);
}

function suggestUnit(u: string): string {
  const letter = u[0].toUpperCase();
  return letter === 'B' ? 'B' : `${letter}iB`;
}
