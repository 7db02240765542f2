// valgrind lackey `--trace-mem=yes` (FORMATS §2.1; the printf formats of lackey/lk_main.c):
//   "I  %08lx,%lu"  instruction fetch   skipped and counted as instruction-fetch; --keep-instr: read
//   " L %08lx,%lu"  load                read
//   " S %08lx,%lu"  store               write
//   " M %08lx,%lu"  modify              write: a load and a store of one location; the store
//                                       decides placement (it faults the page in writable)
// The address is hex without 0x, of any width (%08lx is a minimum: " L 7fefe0598,45" occurs),
// the size decimal bytes (len: an access crossing a page boundary touches both pages). Valgrind's
// own `==PID== ...` messages are skipped and counted (valgrind-message); the banner's "Using
// Valgrind-X.Y.Z" gives the version. Lackey records no time, process or thread: events are pid 1
// on cpu0, spaced timing.eventNs apart, as a trace@1 file without those columns.
import { TraceDataError } from '../errors.js';
import { Op, type ReadOptions, type TraceInfo, type TraceReader } from './events.js';
import { AgentResolver, hasRules } from './agent-map.js';
import { defaultBatch, headLines, type LineParser, readLines, S, scanHexAddr, skipSpaces, textOf } from './lines.js';

export const LACKEY_FORMAT = 'valgrind-lackey';

const SP = 32;
const COMMA = 44;
const EQ = 61;
const I = 73;
const L = 76;
const M = 77;
const SS = 83;
const USING = Buffer.from('Using Valgrind-');

class LackeyParser implements LineParser {
  readonly batch;
  private fetches = 0;
  private messages = 0;
  private zero = 0;
  private version: string | null = null;
  private readonly fetchOp: number;

  constructor(private readonly info: TraceInfo, options: ReadOptions) {
    this.batch = defaultBatch(options);
    this.fetchOp = options.keepInstr ? Op.read : 0;
    if (hasRules(options.agentMap)) {
      this.batch.fillColumn('agent', new AgentResolver(options.agentMap).resolve(1, -1, null, 0, 0, -1));
    }
    info.format = LACKEY_FORMAT;
    info.columns = ['op', 'addr', 'len', ...(hasRules(options.agentMap) ? ['agent'] : [])];
  }

  line(b: Buffer, s: number, e: number, line: number): void {
    if (e === s) return;
    const c0 = b[s];
    let op: number;
    if (c0 === SP && e - s > 3 && b[s + 2] === SP) {
      const c1 = b[s + 1];
      op = c1 === L ? Op.read : c1 === SS || c1 === M ? Op.write : 0;
      if (op === 0) {
        if (skipSpaces(b, s, e) === e) return; // whitespace only
        this.fail(b, s, e, line);
      }
    } else if (c0 === I && b[s + 1] === SP && b[s + 2] === SP) {
      if (this.fetchOp === 0) {
        this.fetches++;
        return;
      }
      op = this.fetchOp;
    } else if (c0 === EQ && b[s + 1] === EQ) {
      this.messages++;
      if (this.version === null && this.messages < 20) this.findVersion(b, s, e);
      return;
    } else {
      if (skipSpaces(b, s, e) === e) return; // whitespace only
      return this.fail(b, s, e, line);
    }
    const p = scanHexAddr(b, s + 3, e);
    if (p < 0 || b[p] !== COMMA) this.fail(b, s, e, line);
    const hi = S.hi;
    const lo = S.lo;
    let q = p + 1;
    let size = 0;
    const d0 = q;
    while (q < e && b[q] - 48 >>> 0 <= 9) size = size * 10 + b[q++] - 48;
    if (q === d0 || skipSpaces(b, q, e) !== e || size > Number.MAX_SAFE_INTEGER) this.fail(b, s, e, line);
    if (size === 0) {
      this.zero++;
      return;
    }
    const batch = this.batch;
    const n = batch.count++;
    batch.op[n] = op;
    batch.addrHi[n] = hi;
    batch.addrLo[n] = lo;
    batch.len[n] = size;
    batch.line[n] = line;
  }

  private findVersion(b: Buffer, s: number, e: number): void {
    const at = b.subarray(s, e).indexOf(USING);
    if (at < 0) return;
    const v = /^[0-9][0-9A-Za-z.-]*/.exec(b.toString('latin1', s + at + USING.length, e));
    if (v) {
      this.version = v[0].replace(/[.-]$/, '');
      this.info.format = `${LACKEY_FORMAT}@${this.version}`;
    }
  }

  private fail(b: Buffer, s: number, e: number, line: number): never {
    throw new TraceDataError(this.info.path, `${line}`, 'line', textOf(b, s, e),
      'is not a lackey line (expected "I  ADDR,SIZE", " L ADDR,SIZE", " S ADDR,SIZE", " M ADDR,SIZE" with a hex ADDR ' +
      'and decimal SIZE, or a ==PID== message; send the program\'s own output elsewhere, e.g. valgrind --log-file=F)');
  }

  end(): void {
    const sk = this.info.skipped;
    if (this.fetches) sk['instruction-fetch'] = this.fetches;
    if (this.messages) sk['valgrind-message'] = this.messages;
    if (this.zero) sk['zero-size'] = this.zero;
  }
}

const ACCESS = /^(?:I {2}| [LSM] )[0-9a-fA-F]+,\d+\s*$/;
const MESSAGE = /^==\d+==/;

/**
 * The first line is a valgrind message or a lackey access, and an access or the Lackey banner
 * follows (a malformed line further on is the reader's to report, with its line number).
 */
export function sniffLackey(head: string): boolean {
  const lines = headLines(head, 12);
  if (lines.length === 0 || !(ACCESS.test(lines[0]) || MESSAGE.test(lines[0]))) return false;
  return lines.some((l) => ACCESS.test(l)) || /^==\d+== Lackey\b/m.test(head);
}

export const lackeyReader: TraceReader = {
  name: 'lackey',
  description: 'valgrind lackey --trace-mem=yes: I (instruction fetch, skipped unless --keep-instr), L read, S write, M write',
  producedBy: 'valgrind --tool=lackey --trace-mem=yes --log-file=trace.lackey PROGRAM [ARGS]',
  reports: `${LACKEY_FORMAT}[@VALGRIND_VERSION]`,
  options: ['keepInstr', 'agentMap'],
  sniff: sniffLackey,
  copiesChunks: true, // readLines copies the carried line; the parser keeps only numbers and strings
  read: (chunks, info, options) => readLines(chunks, info, new LackeyParser(info, options)),
};
