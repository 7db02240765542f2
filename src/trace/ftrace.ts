// ftrace / trace-cmd text (FORMATS §2.8): /sys/kernel/tracing/trace, trace_pipe, `trace-cmd report`.
// Line: `<comm>-<pid> [(<tgid>)] [<cpu>] [<flags>] <sec.usec>: <event>: <fields>`; the tgid column
// appears with options/record-tgid, the flags column is absent on old kernels and some tools.
// The prefix is parsed backwards from the timestamp, so task names with spaces or dashes are fine.
// What each event becomes (src/trace/ftrace-events.ts has the details):
//   page_fault_user        a read or write (error_code bit 1) at address= by the task, agent cpuN
//   page_fault_kernel      the same for a user address the kernel touched for the task; kernel
//                          addresses are skipped (kernel-address)
//   mm_page_alloc          no virtual address: counted per node (pfn -> node from --zoneinfo) in
//                          skipped as mm_page_alloc:nodeN, pages in meta; node-unknown without it
//   mm_migrate_pages       no address: counted per reason (mm_migrate_pages:REASON), pages in meta
//   sched_move_numa        no address: counted, moves per src->dst node in meta
//   anything else          counted as event:NAME
// pid = tgid when recorded (record-tgid), else the task's pid, which for a multi-threaded program
// makes each thread its own process: record with record-tgid. tid = the task's pid.
import { TraceDataError } from '../errors.js';
import { encodeCpu, type ReadOptions, type TraceInfo, type TraceReader } from './events.js';
import { AgentResolver, hasRules } from './agent-map.js';
import { FtraceEvents } from './ftrace-events.js';
import {
  Clock, defaultBatch, findTimestamp, headLines, isDigit, isSpace, type LineParser, readLines, S, scanSeconds, skipSpaces, textOf,
} from './lines.js';
import { loadZoneinfo, type ZoneMap } from './zoneinfo.js';

export const FTRACE_FORMAT = 'ftrace';

const HASH = 35;
const COLON = 58;

class FtraceParser implements LineParser {
  readonly batch;
  private readonly clock: Clock;
  private readonly resolver: AgentResolver | null;
  readonly events: FtraceEvents;
  // The prefix of the current line.
  private pid = 0;
  private tid = 0;
  private cpu = 0;
  private commStart = 0;
  private commEnd = 0;

  constructor(private readonly info: TraceInfo, options: ReadOptions, zones: ZoneMap | null) {
    this.batch = defaultBatch(options);
    this.clock = new Clock(info);
    this.resolver = hasRules(options.agentMap) ? new AgentResolver(options.agentMap) : null;
    this.events = new FtraceEvents(info, zones);
    info.format = FTRACE_FORMAT;
    info.columns = ['op', 'addr', 'time', 'pid', 'tid', 'agent'];
  }

  line(b: Buffer, s: number, e: number, line: number): void {
    const p0 = skipSpaces(b, s, e);
    if (p0 === e || b[p0] === HASH) return;
    const c = findTimestamp(b, p0, e, true);
    if (c < 0 || !this.prefix(b, p0, S.v)) {
      if (this.events.header(b, p0, e, line)) return;
      throw new TraceDataError(this.info.path, `${line}`, 'line', textOf(b, s, e),
        'is not an ftrace line (expected "COMM-PID [CPU] FLAGS SECONDS.USEC: EVENT: FIELDS", as /sys/kernel/tracing/trace or trace-cmd report print)');
    }
    if (scanSeconds(b, S.v, c) !== c) throw new TraceDataError(this.info.path, `${line}`, 'timestamp', textOf(b, S.v, c), 'is not a time (expected SECONDS.FRACTION)');
    const sec = S.hi;
    const ns = S.lo;
    const nameStart = skipSpaces(b, c + 1, e);
    let nameEnd = nameStart;
    while (nameEnd < e && b[nameEnd] !== COLON && !isSpace(b[nameEnd])) nameEnd++;
    if (nameEnd === nameStart || b[nameEnd] !== COLON) {
      throw new TraceDataError(this.info.path, `${line}`, 'event', textOf(b, nameStart, e), 'is not an event name (expected NAME: after the timestamp)');
    }
    const op = this.events.handle(b, nameStart, nameEnd, nameEnd + 1, e, line);
    if (op <= 0) return;
    const batch = this.batch;
    const n = batch.count++;
    batch.op[n] = op;
    batch.addrHi[n] = S.hi;
    batch.addrLo[n] = S.lo;
    batch.time[n] = this.clock.at(sec, ns, line, 'timestamp');
    batch.pid[n] = this.pid;
    batch.tid[n] = this.tid;
    batch.agent[n] = this.resolver === null ? encodeCpu(this.cpu)
      : this.resolver.resolve(this.pid, this.tid, b, this.commStart, this.commEnd, this.cpu);
    batch.line[n] = line;
  }

  /** Reads `COMM-PID [(TGID)] [CPU] [FLAGS]` backwards from the timestamp at t; false when it is not that. */
  private prefix(b: Buffer, s: number, t: number): boolean {
    let k = t - 1;
    while (k >= s && isSpace(b[k])) k--;
    if (k >= s && b[k] !== 93) { // not ']': a flags column
      while (k >= s && !isSpace(b[k])) k--;
      while (k >= s && isSpace(b[k])) k--;
    }
    if (k < s || b[k] !== 93) return false;
    let cpu = 0;
    let mul = 1;
    k--;
    const cpuEnd = k;
    while (k >= s && isDigit(b[k])) {
      cpu += (b[k--] - 48) * mul;
      mul *= 10;
    }
    if (k === cpuEnd || k < s || b[k] !== 91) return false; // '['
    k--;
    while (k >= s && isSpace(b[k])) k--;
    let tgid = -1;
    if (k >= s && b[k] === 41) { // ')'
      let open = k - 1;
      while (open >= s && b[open] !== 40) open--;
      if (open < s) return false;
      const v = skipSpaces(b, open + 1, k);
      let x = 0;
      let q = v;
      while (q < k && isDigit(b[q])) x = x * 10 + b[q++] - 48;
      if (q > v && q === k) tgid = x; // "(-------)": unknown
      k = open - 1;
      while (k >= s && isSpace(b[k])) k--;
    }
    let pid = 0;
    mul = 1;
    const pidEnd = k;
    while (k >= s && isDigit(b[k])) {
      pid += (b[k--] - 48) * mul;
      mul *= 10;
    }
    if (k === pidEnd || k < s || b[k] !== 45 || pid > 2147483647) return false; // '-'
    this.commStart = s;
    this.commEnd = k;
    this.tid = pid;
    this.pid = tgid >= 0 ? tgid : pid;
    this.cpu = cpu;
    return true;
  }

  end(): void {
    this.events.end();
  }
}

const LINE = /^\s*.+-\d+\s+(?:\(\s*(?:\d+|-+)\)\s+)?\[\d+\]\s+(?:\S+\s+)?\d+\.\d+:\s+\w+:/;

/** A `# tracer:` header, a trace-cmd `cpus=` line, or a first data line with the ftrace prefix. */
export function sniffFtrace(head: string): boolean {
  if (/^# tracer: /m.test(head) || /^cpus=\d+\s*$/m.test(head.split('\n', 1)[0])) return true;
  const data = headLines(head, 1, true);
  return data.length > 0 && LINE.test(data[0]);
}

export const ftraceReader: TraceReader = {
  name: 'ftrace',
  description: 'ftrace / trace-cmd text: page_fault_user/kernel (read/write by error_code, agent cpuN from [CPU]); mm_page_alloc, mm_migrate_pages, sched_move_numa counted',
  producedBy: 'echo 1 > /sys/kernel/tracing/events/exceptions/page_fault_user/enable (and kmem/mm_page_alloc, migrate/mm_migrate_pages, sched/sched_move_numa; options/record-tgid); cat /sys/kernel/tracing/trace > trace.txt   or   trace-cmd record -e exceptions:page_fault_user ... PROGRAM; trace-cmd report > trace.txt',
  reports: `${FTRACE_FORMAT} or ${FTRACE_FORMAT}/trace-cmd`,
  options: ['agentMap', 'zoneinfo'],
  sniff: sniffFtrace,
  copiesChunks: true, // readLines copies the carried line; the parser keeps copies (event name, comm)
  read: async function* (chunks, info, options) {
    const zones = options.zoneinfo === undefined ? null : await loadZoneinfo(options.zoneinfo);
    yield* readLines(chunks, info, new FtraceParser(info, options, zones));
  },
};
