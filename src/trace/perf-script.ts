// `perf script` text of two recordings (FORMATS §2.3; the README's "Trace formats" has the exact
// commands). perf prints its fields in a fixed order whatever the -F order:
//   COMM PID[/TID] [[CPU]] SEC.USEC: [PERIOD] EVENT: ADDR [DATASYM] [DATA_SRC |OP ...|...] ... IP SYM ...
// (a) `perf record -e page-faults -c 1 -d`, `perf script -F comm,pid,tid,time,event,addr,ip,sym`:
//     each sample is a fault at ADDR (op fault: perf does not say read or write), weight 1;
//     the tracepoints exceptions:page_fault_user/kernel (address=, error_code=) work too.
// (b) `perf mem record`, `perf script -F comm,pid,tid,time,period,event,addr,phys_addr,
//     data_page_size,weight,data_src,ip,sym`: each sample is a read or write (data_src
//     `|OP LOAD|` / `|OP STORE|`, else the event name: ...load... / ...store...) at ADDR with
//     weight = PERIOD, the number of events the sample stands for. perf's own `weight` field is
//     the access latency in cycles, not a sample weight: it is not used.
// Samples at address 0 (no-address) or in the kernel half (kernel-address) and other events
// (event:NAME) are skipped and counted. pid is the process, tid the thread (a lone number is
// both); the agent is cpuN from [CPU] when printed (-F +cpu), else cpu0, unless --agent maps it.
import { TraceDataError } from '../errors.js';
import { encodeCpu, Op, type ReadOptions, type TraceInfo, type TraceReader } from './events.js';
import { AgentResolver, hasRules } from './agent-map.js';
import {
  Clock, Counter, defaultBatch, findTimestamp, headLines, isDigit, isKernelAddress, isSpace, type LineParser, readLines, S, scanHexAddr,
  scanSeconds, skipSpaces, textOf,
} from './lines.js';
import { faultFields, NO_ADDRESS, SYMBOLIC_ADDRESS } from './tp-fields.js';

export const PERF_FORMAT = 'perf-script';

const HASH = 35;
const COLON = 58;
const PIPE = 124;

/** Event classes. */
const FAULT = 1; // software page-fault events: ADDR is the fault address
const TP_FAULT = 2; // exceptions:page_fault_*: address= fields
const MEM = 3; // anything else: a memory sample when data_src or the name says load or store

function classify(name: string): number {
  const base = name.replace(/:[a-zA-Z]*$/, ''); // event modifiers, e.g. page-faults:u
  if (/^(?:page-faults|faults|minor-faults|major-faults)$/.test(base)) return FAULT;
  if (/(?:^|:)page_fault_(?:user|kernel)$/.test(base)) return TP_FAULT;
  return MEM;
}

/** Op a memory sample's event name implies, 0 when it names neither loads nor stores. */
function nameOp(name: string): number {
  const n = name.toLowerCase();
  if (n.includes('store')) return Op.write;
  if (n.includes('load') || n.includes('ldlat')) return Op.read;
  return 0;
}

class PerfParser implements LineParser {
  readonly batch;
  private readonly clock: Clock;
  private readonly resolver: AgentResolver | null;
  private readonly skipped = new Counter();
  private version: string | null = null;
  private kinds = 0; // bit 1: page-faults, bit 2: mem
  private lastName: Buffer = Buffer.alloc(0);
  private lastClass = 0;
  private lastNameOp = 0;
  private lastKey = '';
  private checkedDefault = false;

  constructor(private readonly info: TraceInfo, options: ReadOptions) {
    this.batch = defaultBatch(options);
    this.clock = new Clock(info);
    this.resolver = hasRules(options.agentMap) ? new AgentResolver(options.agentMap) : null;
    info.format = PERF_FORMAT;
    info.columns = ['op', 'addr', 'time', 'pid', 'tid', 'agent'];
  }

  line(b: Buffer, s: number, e: number, line: number): void {
    const p0 = skipSpaces(b, s, e);
    if (p0 === e) return;
    if (b[p0] === HASH) return this.header(b, p0, e);
    const c = findTimestamp(b, p0, e, true);
    if (c < 0) this.fail(b, s, e, line, 'line', 'is not a perf script sample (expected "COMM PID/TID SEC.USEC: EVENT: ADDR ...", see the README\'s perf -F list)');
    const ts = S.v;
    // Backwards from the time: [CPU], then PID/TID or PID; the rest is the task name.
    let k = ts - 1;
    while (k >= p0 && isSpace(b[k])) k--;
    let cpu = -1;
    if (k >= p0 && b[k] === 93) {
      let v = 0;
      let mul = 1;
      k--;
      while (k >= p0 && isDigit(b[k])) {
        v += (b[k--] - 48) * mul;
        mul *= 10;
      }
      if (k < p0 || b[k] !== 91) this.fail(b, s, e, line, 'cpu', 'is not [CPU] (expected a bracketed CPU number)');
      cpu = v;
      k--;
      while (k >= p0 && isSpace(b[k])) k--;
    }
    let tid = 0;
    let mul = 1;
    const tidEnd = k;
    while (k >= p0 && isDigit(b[k])) {
      tid += (b[k--] - 48) * mul;
      mul *= 10;
    }
    if (k === tidEnd || tid > 2147483647) this.fail(b, s, e, line, 'pid', 'is not given (expected PID/TID before the time: add pid,tid to -F)');
    let pid = tid;
    if (k >= p0 && b[k] === 47) { // '/'
      pid = 0;
      mul = 1;
      const pidEnd = --k;
      while (k >= p0 && isDigit(b[k])) {
        pid += (b[k--] - 48) * mul;
        mul *= 10;
      }
      if (k === pidEnd || pid > 2147483647) this.fail(b, s, e, line, 'pid', 'is not a PID/TID pair (expected e.g. 1234/1236)');
    }
    while (k >= p0 && isSpace(b[k])) k--;
    const commEnd = k + 1; // the task name: what is left, without its padding
    if (scanSeconds(b, ts, c) !== c) this.fail(b, ts, c, line, 'time', 'is not a time (expected SECONDS.FRACTION)');
    const sec = S.hi;
    const ns = S.lo;
    // [PERIOD] EVENT:
    let p = skipSpaces(b, c + 1, e);
    let period = 1;
    let q = p;
    while (q < e && isDigit(b[q])) q++;
    if (q > p && q < e && isSpace(b[q])) {
      period = 0;
      for (let i = p; i < q; i++) period = period * 10 + b[i] - 48;
      p = skipSpaces(b, q, e);
    }
    let ne = p;
    while (ne < e && !(b[ne] === COLON && (ne + 1 === e || isSpace(b[ne + 1])))) ne++;
    if (ne === p || ne === e) this.fail(b, p, e, line, 'event', 'is not an event name (expected EVENT: after the time)');
    const cls = this.classOf(b, p, ne);
    const fs = ne + 1;
    let op: number;
    let weight = 1;
    if (cls === TP_FAULT) {
      op = faultFields(b, fs, e);
      if (op === NO_ADDRESS) this.fail(b, fs, e, line, 'fields', 'have no address= (expected address=0x... ip=... error_code=0x...)');
      if (op === SYMBOLIC_ADDRESS) return this.skipped.add('symbolic-address');
      this.kind(1);
    } else {
      const a = skipSpaces(b, fs, e);
      const ae = scanHexAddr(b, a, e);
      if (cls === FAULT) {
        if (ae < 0 || (ae < e && !isSpace(b[ae]))) this.fail(b, a, e, line, 'addr', 'is not a data address (expected hex: record with -d and print addr, see the README\'s perf -F list)');
        if (!this.checkedDefault) this.checkDefault(b, fs, e, line);
        op = Op.fault;
        this.kind(1);
      } else {
        op = this.memOp(b, ae < 0 ? e : ae, e);
        if (op === 0) return this.skipped.add(this.lastKey);
        if (ae < 0 || (ae < e && !isSpace(b[ae]))) this.fail(b, a, e, line, 'addr', 'is not a data address (expected hex: print addr, see the README\'s perf -F list)');
        weight = period > 0 ? period : 1;
        this.kind(2);
      }
    }
    if (S.hi === 0 && S.lo === 0) return this.skipped.add('no-address');
    if (isKernelAddress(S.hi)) return this.skipped.add('kernel-address');
    const batch = this.batch;
    const n = batch.count++;
    batch.op[n] = op;
    batch.addrHi[n] = S.hi;
    batch.addrLo[n] = S.lo;
    batch.weight[n] = weight;
    batch.time[n] = this.clock.at(sec, ns, line, 'time');
    batch.pid[n] = pid;
    batch.tid[n] = tid;
    batch.agent[n] = this.resolver === null ? encodeCpu(cpu < 0 ? 0 : cpu) : this.resolver.resolve(pid, tid, b, p0, commEnd, cpu);
    batch.line[n] = line;
  }

  private classOf(b: Buffer, s: number, e: number): number {
    const last = this.lastName;
    if (last.length === e - s && b.compare(last, 0, last.length, s, e) === 0) return this.lastClass;
    this.lastName = Buffer.from(b.subarray(s, e));
    const name = b.toString('utf8', s, e);
    this.lastKey = `event:${name}`;
    this.lastNameOp = nameOp(name);
    return (this.lastClass = classify(name));
  }

  /** A memory sample's op from `|OP LOAD|` / `|OP STORE|` after p, else from its event name. */
  private memOp(b: Buffer, p: number, e: number): number {
    for (let i = p; i + 4 < e; i++) {
      if (b[i] !== PIPE || b[i + 1] !== 79 || b[i + 2] !== 80 || b[i + 3] !== 32) continue;
      const c = b[i + 4] | 32; // |OP L..., |OP S..., |OP Load (older perf)
      if (c === 108) return Op.read;
      if (c === 115) return Op.write;
      break;
    }
    return this.lastNameOp;
  }

  /** perf script's default output prints IP SYM+OFF (DSO), not the data address. */
  private checkDefault(b: Buffer, fs: number, e: number, line: number): void {
    this.checkedDefault = true;
    let t = e - 1;
    while (t > fs && isSpace(b[t])) t--;
    if (b[t] === 41 && b.subarray(fs, e).includes(' (')) {
      this.fail(b, fs, e, line, 'fields', 'look like perf script\'s default output (IP SYM (DSO)), which has no data address ' +
        '(expected perf script -F comm,pid,tid,time,event,addr,ip,sym)');
    }
  }

  private header(b: Buffer, s: number, e: number): void {
    if (this.version !== null) return;
    const m = /^#\s*perf version\s*:\s*(\S+)/.exec(b.toString('latin1', s, Math.min(e, s + 100)));
    if (m) this.version = m[1];
  }

  private fail(b: Buffer, s: number, e: number, line: number, field: string, expected: string): never {
    throw new TraceDataError(this.info.path, `${line}`, field, textOf(b, s, e), expected);
  }

  /** Notes a sample kind (1 page-faults, 2 mem); info.format names the kinds seen. */
  private kind(bit: number): void {
    if ((this.kinds & bit) !== 0) return;
    this.kinds |= bit;
    this.setFormat();
  }

  private setFormat(): void {
    const variant = ['', '/page-faults', '/mem', '/page-faults+mem'][this.kinds];
    this.info.format = `${PERF_FORMAT}${variant}${this.version ? `@${this.version}` : ''}`;
  }

  end(): void {
    this.setFormat();
    this.skipped.flushInto(this.info.skipped);
  }
}

const SAMPLE = /^\s*\S.*?\s\d+(?:\/\d+)?\s+(?:\[\d+\]\s+)?\d+\.\d+:\s+(?:\d+\s+)?\S+:(?:\s|$)/;

/** A `# perf version` header, or a first data line with perf script's sample prefix. */
export function sniffPerf(head: string): boolean {
  if (/^# perf version :/m.test(head)) return true;
  const data = headLines(head, 1, true);
  return data.length > 0 && SAMPLE.test(data[0]);
}

export const perfReader: TraceReader = {
  name: 'perf-script',
  description: 'perf script text of perf record -e page-faults -d (faults) or perf mem record (reads/writes weighted by period)',
  producedBy: 'perf record -e page-faults -c 1 -d -- PROGRAM; perf script -F comm,pid,tid,time,event,addr,ip,sym > trace.txt   or   ' +
    'perf mem record -- PROGRAM; perf script -F comm,pid,tid,time,period,event,addr,phys_addr,data_page_size,weight,data_src,ip,sym > trace.txt',
  reports: `${PERF_FORMAT}/page-faults, ${PERF_FORMAT}/mem or ${PERF_FORMAT}/page-faults+mem, with @PERF_VERSION when perf script --header was used`,
  options: ['agentMap'],
  sniff: sniffPerf,
  copiesChunks: true, // readLines copies the carried line; the parser keeps copies (event name, comm)
  read: (chunks, info, options) => readLines(chunks, info, new PerfParser(info, options)),
};
