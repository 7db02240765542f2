// valgrind lackey --trace-mem=yes: FORMATS §2.1 lines verbatim, real recordings, malformed input.
import { describe, expect, it } from 'vitest';
import { lackeyReader, sniffLackey } from '../../src/trace/lackey.js';
import { parseAgentMap } from '../../src/trace/agent-map.js';
import { firstDifference, readFileTrace, textOverJoins, type JoinLine } from './join-helpers.js';
import { brief, errorWith, fixtureText, readAllSplits, readWith } from './reader-helpers.js';

// FORMATS §2.1: the CMU cachelab trace (SergeShpak/CacheSim traces/trans.trace), verbatim.
const CACHELAB = [' S 00600aa0,1', 'I  004005b6,5', ' L ff000384,4', ' M ff000388,4', ''].join('\n');

describe('lackey reader', () => {
  it('maps L to read, S and M to write, and skips and counts I', async () => {
    const rows = await readAllSplits(lackeyReader, CACHELAB);
    expect(brief(rows, 'len', 'line')).toEqual(['write 0x600aa0 1 1', 'read 0xff000384 4 3', 'write 0xff000388 4 4']);
    expect(rows.every((r) => Number.isNaN(r.time) && r.pid === 1 && r.tid === -1 && r.agent === 0 && r.weight === 1)).toBe(true);
    const { info } = await readWith(lackeyReader, CACHELAB);
    expect(info.format).toBe('valgrind-lackey');
    expect(info.skipped).toEqual({ 'instruction-fetch': 1 });
    expect(info.columns).toEqual(['op', 'addr', 'len']);
  });

  it('keeps instruction fetches as reads with --keep-instr', async () => {
    const { rows, info } = await readWith(lackeyReader, CACHELAB, { keepInstr: true });
    expect(brief(rows)).toEqual(['write 0x600aa0', 'read 0x4005b6', 'read 0xff000384', 'write 0xff000388']);
    expect(info.skipped).toEqual({});
  });

  it('parses the unusual width of FORMATS §3 (" L 7fefe0598,45") and 64-bit addresses exactly', async () => {
    const { rows } = await readWith(lackeyReader, ' L 7fefe0598,45\n S ffffffffffffffff,8\n');
    expect(brief(rows, 'len')).toEqual(['read 0x7fefe0598 45', 'write 0xffffffffffffffff 8']);
  });

  it('reads a complete real recording (test/fixtures/formats/lackey-touch.txt)', async () => {
    const text = fixtureText('lackey-touch.txt');
    const rows = await readAllSplits(lackeyReader, text);
    // touch.c: 4 stores one page apart, 4 loads, then one addb (a modify).
    expect(brief(rows)).toEqual([
      'write 0x403000', 'write 0x404000', 'write 0x405000', 'write 0x406000',
      'read 0x403008', 'read 0x404008', 'read 0x405008', 'read 0x406008', 'write 0x403064',
    ]);
    const { info } = await readWith(lackeyReader, text);
    expect(info.format).toBe('valgrind-lackey@3.19.0');
    expect(info.skipped).toEqual({ 'instruction-fetch': 20, 'valgrind-message': 25 });
  });

  it('reads the head of a real /bin/true recording with CRLF line ends too', async () => {
    const text = fixtureText('lackey-true-head.txt');
    const lf = await readWith(lackeyReader, text, {}, [4096, 4096, 7]);
    const crlf = await readWith(lackeyReader, text.replaceAll('\n', '\r\n'), {}, [100]);
    expect(lf.rows).toHaveLength(483);
    expect(crlf.rows.map((r) => r.addr)).toEqual(lf.rows.map((r) => r.addr));
    expect(lf.rows.some((r) => r.addr === 0x1fff000660n)).toBe(true); // 10 hex digits: the stack
    expect(lf.info.skipped).toEqual({ 'instruction-fetch': 1511, 'valgrind-message': 6 });
  });

  it('skips zero-size accesses, counted, and blank lines silently', async () => {
    const { rows, info } = await readWith(lackeyReader, '\n L 1000,0\n   \n L 2000,4\n');
    expect(brief(rows)).toEqual(['read 0x2000']);
    expect(info.skipped).toEqual({ 'zero-size': 1 });
  });

  it('applies --agent to every event (pid 1, no recorded CPU)', async () => {
    const { rows, info } = await readWith(lackeyReader, CACHELAB, { agentMap: parseAgentMap(['pid:1=dev0']) });
    expect(rows.map((r) => r.agent)).toEqual([-1, -1, -1]);
    expect(info.columns).toEqual(['op', 'addr', 'len', 'agent']);
  });

  it('fails on malformed lines with file:line, the line and what was expected', async () => {
    const cases: [string, string][] = [
      [' L 1000,4\n X 1000,4\n', 't.txt:2: line: " X 1000,4" is not a lackey line'],
      [' L 1000\n', 't.txt:1: line: " L 1000" is not a lackey line'],
      [' L 10zz,4\n', 't.txt:1: line: " L 10zz,4" is not a lackey line'],
      [' L 1000,4x\n', 't.txt:1: line: " L 1000,4x" is not a lackey line'],
      ['Hello from the program\n', 't.txt:1: line: "Hello from the program" is not a lackey line'],
      [' L 10000000000000000,4\n', 't.txt:1: line: " L 10000000000000000,4" is not a lackey line'],
    ];
    for (const [text, message] of cases) expect(await errorWith(lackeyReader, text)).toContain(message);
    expect(await errorWith(lackeyReader, 'oops\n')).toContain('valgrind --log-file=F');
  });

  it('sniffs lackey output, banner or not, and nothing else', () => {
    expect(sniffLackey(fixtureText('lackey-touch.txt'))).toBe(true);
    expect(sniffLackey(CACHELAB)).toBe(true);
    expect(sniffLackey('==123== Lackey, an example Valgrind tool\n==123== Copyright\n')).toBe(true);
    expect(sniffLackey('==123== Memcheck, a memory error detector\n')).toBe(false);
    expect(sniffLackey('op,addr\nread,0x1000\n')).toBe(false);
    expect(sniffLackey('0x7f2b3c41d093: W 0x7ffd7a8a1c58\n')).toBe(false);
    expect(sniffLackey('')).toBe(false);
  });
});

describe('lackey reader over many read chunks (the input refills one buffer for this reader)', () => {
  const KINDS = ['==4242== a valgrind message', 'I ', ' L', ' S', ' M', ' L'];
  const addr = (n: number): number => 0x4000000 + n * 52 + (n % 7) * 0x10000000;
  const line = ({ n }: JoinLine): string => {
    if (n === 0) return '==4242== Using Valgrind-3.22.0 and LibVEX; rerun with -h for copyright info';
    const k = KINDS[n % 6];
    return k.startsWith('==') ? `${k} ${n}` : `${k} ${addr(n).toString(16).padStart(8, '0')},${1 + (n % 8)}${' '.repeat(n % 5)}`;
  };

  it('reads every access once, lines across joins included, and counts what it skips', async () => {
    expect(lackeyReader.copiesChunks).toBe(true);
    const { text, lines } = textOverJoins(line, (w) => ' '.repeat(w));
    expect(text.length).toBeGreaterThan(3 << 20);
    const { rows, info } = await readFileTrace(text);
    const accesses = lines.filter((l) => l.n % 6 >= 2);
    expect(info).toMatchObject({
      format: 'valgrind-lackey@3.22.0', events: accesses.length,
      skipped: { 'instruction-fetch': lines.filter((l) => l.n % 6 === 1).length, 'valgrind-message': lines.filter((l) => l.n % 6 === 0).length },
    });
    const want = accesses.map((l) => [l.n % 6 === 2 || l.n % 6 === 5 ? 'read' : 'write', addr(l.n), 1 + (l.n % 8), l.no].join(' '));
    const got = rows.map((r) => [r.op, Number(r.addr), r.len, r.line].join(' '));
    expect(firstDifference(got, want)).toBe('');
  });
});
