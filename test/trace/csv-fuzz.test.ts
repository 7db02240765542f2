// Random traces, valid and not: the fast path, the exact path and any chunking must agree exactly
// (same rows, or the same one-line error).
import { describe, expect, it } from 'vitest';
import { bigintJson, read, type ReadCase } from './helpers.js';

const VALUES: Record<string, string[]> = {
  op: ['read', 'write', 'fault', 'mmap', 'mbind', 'exit', 'set_mempolicy', 'migrate', 'madvise', 'reed', ''],
  addr: ['0x1000', '4096', '0xfffffffffffff000', '18446744073709547520', '', '0x', '-1', '0x10000000000000000', '12a'],
  len: ['', '8', '0x1000', '0', '9007199254740992', 'x'],
  time: ['1732000000123456789', '1732000000123456790', '1732000000223456789', '5', '', '1.5'],
  pid: ['', '1', '2147483647', '2147483648', '-3'],
  tid: ['', '7', 'x'],
  agent: ['', 'cpu', 'cpu3', 'dev1', 'gpu', 'tpu0'],
  kind: ['', 'anon', 'file', 'shmem', 'ANON'],
  file: ['', '/lib/a.so', 'a,b', 'say "hi"', 'two\nlines'],
  policy: ['', 'bind', 'default', 'local', 'interleave', 'nope'],
  nodes: ['', '0', '0,1', '0-2', '32'],
  flags: ['', 'move', 'move;strict', 'hugepage', 'bogus'],
  memcg: ['', '/a', '/b/c'],
};
const COLUMNS = Object.keys(VALUES);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

function field(v: string, r: () => number): string {
  const needsQuotes = /[",\r\n]/.test(v);
  return needsQuotes || r() < 0.05 ? `"${v.replaceAll('"', '""')}"` : v;
}

function randomTrace(r: () => number): string {
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)];
  const valid = r() < 0.5; // half the traces are valid throughout, so rows past the first get read
  const cols = ['op', 'addr', ...COLUMNS.slice(2).filter(() => r() < 0.5)].filter((c) => !valid || c !== 'flags')
    .sort(() => r() - 0.5);
  const eol = r() < 0.3 ? '\r\n' : '\n';
  const lines = [cols.join(',')];
  let time = 1732000000123456789n;
  for (let i = 0, n = 1 + Math.floor(r() * 12); i < n; i++) {
    if (r() < 0.1) lines.push(r() < 0.5 ? '# comment, "x"' : '');
    time += BigInt(Math.floor(r() * 3));
    const value = (c: string): string => {
      if (!valid) return pick(VALUES[c]);
      if (c === 'op') return pick(['read', 'write', 'fault', 'mlock']);
      return c === 'time' ? `${time}` : pick(VALUES[c].slice(0, 3));
    };
    lines.push(cols.map((c) => field(value(c), r)).join(','));
  }
  return (r() < 0.2 ? '\uFEFF' : '') + lines.join(eol) + (r() < 0.8 ? eol : '');
}

async function outcome(text: string, c: ReadCase): Promise<string> {
  try {
    return JSON.stringify(await read(text, c), bigintJson);
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

describe('fuzz', () => {
  it('fast path, exact path and random chunking agree on 400 random traces', async () => {
    const r = rng(20251125);
    const rb = rng(7);
    let errors = 0;
    for (let t = 0; t < 400; t++) {
      const text = randomTrace(r);
      const size = Buffer.byteLength(text);
      const expected = await outcome(text, {});
      if (expected.startsWith('error')) errors++;
      expect(await outcome(text, { exactOnly: true }), text).toBe(expected);
      const chunks = Array.from({ length: 4 }, () => 1 + Math.floor(r() * size));
      expect(await outcome(text, { chunks }), `${text} @ ${chunks.join(',')}`).toBe(expected);
      // Tiny batches too (drawn apart, so the traces stay the same): batch starts meet every row kind.
      const batchSize = 1 + Math.floor(rb() * 3);
      expect(await outcome(text, { chunks, options: { batchSize } }), `${text} @ ${chunks.join(',')} batch ${batchSize}`)
        .toBe(expected);
    }
    // Both outcomes must be well represented for the comparison to mean anything.
    expect(errors).toBeGreaterThan(50);
    expect(errors).toBeLessThan(350);
  });
});
