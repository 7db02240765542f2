// perf script text: real page-fault recordings (test/fixtures/formats), FORMATS §2.3 perf mem
// lines verbatim, tracepoint faults, the agent map, malformed input.
import { describe, expect, it } from 'vitest';
import { parseAgentMap } from '../../src/trace/agent-map.js';
import { encodeCpu, encodeDev } from '../../src/trace/events.js';
import { perfReader, sniffPerf } from '../../src/trace/perf-script.js';
import { firstDifference, readFileTrace, textOverJoins, type JoinLine } from './join-helpers.js';
import { brief, errorWith, fixtureText, readAllSplits, readWith } from './reader-helpers.js';

// FORMATS §2.3, verbatim (LKML perf-tools review, perf 6.11, Intel hybrid).
const MEM_LINES = [
  'taskset  182628 247517.778385:          1  cpu_core/mem-loads,ldlat=30/: ffffb33a850078a0     40268100142 |OP LOAD|LVL L1 hit|SNP None|TLB L1 or L2 hit|LCK No|BLK  Addr               5              33               0 ffffffff8cc2ba08 [unknown] ([unknown])',
  'chromium-browse   46572 [002] 544966.882384:      10000 \tcpu_core/MEM_UOPS_RETIRED.LOAD_LATENCY/: 7ffdf1391b0c     10268100142 |OP LOAD|LVL L1 hit|SNP None|TLB L1 or L2 hit|LCK No|BLK    N/A    5   7    0   7fad7c47425d [unknown] (/usr/lib64/libglib-2.0.so.0.8000.3)',
  '',
].join('\n');

describe('perf script reader: page faults', () => {
  it('reads a real perf record -e page-faults -d recording (fixture perf-page-faults-touch.txt)', async () => {
    const text = fixtureText('perf-page-faults-touch.txt');
    const rows = await readAllSplits(perfReader, text);
    expect(brief(rows, 'time', 'pid', 'tid', 'agent', 'weight')).toEqual([
      'fault 0x7ffc258bdfe9 0 19667 19667 0 1', // the kernel writing the new stack (execve)
      'fault 0x401000 146000 19667 19667 0 1', // the first instruction
      'fault 0x403000 2299000 19667 19667 0 1',
      'fault 0x404000 2319000 19667 19667 0 1',
      'fault 0x405000 2329000 19667 19667 0 1',
      'fault 0x406000 2339000 19667 19667 0 1',
    ]);
    const { info } = await readWith(perfReader, text);
    expect(info).toMatchObject({ format: 'perf-script/page-faults', startTime: '3256913551000', skipped: {} });
  });

  it('takes the perf version from perf script --header (fixture perf-page-faults-true.txt)', async () => {
    const { rows, info } = await readWith(perfReader, fixtureText('perf-page-faults-true.txt'));
    expect(rows).toHaveLength(47);
    expect(info.format).toBe('perf-script/page-faults@6.1.187');
    expect(rows.every((r) => r.op === 'fault' && r.pid === 21570)).toBe(true);
  });

  it('reads the perf mem field list on a software event (fixture perf-mem-layout-touch.txt) as faults', async () => {
    // page-faults recorded with -W --data-page-size --phys-data (perf mem is unavailable in a VM):
    // the layout of the documented perf mem -F list, data_src "OP N/A".
    const { rows, info } = await readWith(perfReader, fixtureText('perf-mem-layout-touch.txt'));
    expect(brief(rows).slice(2)).toEqual(['fault 0x403000', 'fault 0x404000', 'fault 0x405000', 'fault 0x406000']);
    expect(info.format).toBe('perf-script/page-faults');
  });

  it('reads exceptions:page_fault_user tracepoint samples by error_code, and event modifiers', async () => {
    const text = [
      '           touch 20159/20159 [001]  3270.700936: exceptions:page_fault_user: address=0x401000 ip=0x401000 error_code=0x14',
      '           touch 20159/20159 [001]  3270.701185: exceptions:page_fault_user: address=0x403000 ip=0x401000 error_code=0x6',
      '           touch 20159/20159  3270.701196: page-faults:u:     404000 [unknown]           401007 buf',
      '',
    ].join('\n');
    const { rows } = await readWith(perfReader, text);
    expect(brief(rows, 'agent')).toEqual(['read 0x401000 1', 'write 0x403000 1', 'fault 0x404000 0']);
  });
});

describe('perf script reader: perf mem', () => {
  it('reads the FORMATS §2.3 lines: period as weight, kernel data addresses skipped', async () => {
    const rows = await readAllSplits(perfReader, MEM_LINES);
    expect(brief(rows, 'pid', 'tid', 'agent', 'weight', 'time')).toEqual(['read 0x7ffdf1391b0c 46572 46572 2 10000 0']);
    const { info } = await readWith(perfReader, MEM_LINES);
    expect(info).toMatchObject({ format: 'perf-script/mem', skipped: { 'kernel-address': 1 }, startTime: '544966882384000' });
  });

  it('takes load or store from data_src, then from the event name; other events are counted', async () => {
    const text = [
      'a 10/11 1.000001: 7 cpu/mem-stores/P: 7f0000001000 0 5080144 |OP STORE|LVL L1 hit|SNP N/A|TLB N/A|LCK No|BLK N/A 0 401000 main',
      'a 10/11 1.000002: 3 cpu/mem-loads,ldlat=30/P: 7f0000002000',
      'a 10/11 1.000003: 3 ibs_op//: 7f0000003000 0 1 |OP N/A|LVL N/A',
      'a 10/11 1.000004: 9 cycles: 401000 main',
      'a 10/11 1.000005: 2 cpu/mem-loads/P: 0 0 |OP LOAD|LVL N/A',
      '',
    ].join('\n');
    const { rows, info } = await readWith(perfReader, text);
    expect(brief(rows, 'weight', 'pid', 'tid')).toEqual(['write 0x7f0000001000 7 10 11', 'read 0x7f0000002000 3 10 11']);
    expect(info.skipped).toEqual({ 'event:ibs_op//': 1, 'event:cycles': 1, 'no-address': 1 });
  });

  it('applies --agent by tid, pid, comm and cpu', async () => {
    const line = (comm: string, pidTid: string, cpu: string): string =>
      `${comm} ${pidTid} [${cpu}] 1.000000: 1 cpu/mem-loads/P: 7f0000001000 0 1 |OP LOAD|`;
    const text = [line('gpu-worker', '5/6', '001'), line('gpu-worker', '5/7', '001'), line('other', '8/8', '003'), line('other', '9/9', '000'), ''].join('\n');
    const agentMap = parseAgentMap(['tid:6=dev1', 'comm:gpu-worker=dev0', 'cpu:3=cpu1', 'cpu:*=cpu0']);
    const { rows } = await readWith(perfReader, text, { agentMap });
    expect(rows.map((r) => r.agent)).toEqual([-2, -1, 1, 0]);
  });
});

describe('perf script reader: errors and sniffing', () => {
  it('fails with file:line on malformed samples', async () => {
    expect(await errorWith(perfReader, 'just some text\n')).toContain('t.txt:1: line: "just some text" is not a perf script sample');
    expect(await errorWith(perfReader, 'true 1/1 5.000001: page-faults: nothex ip\n'))
      .toContain('t.txt:1: addr: "nothex ip" is not a data address');
    expect(await errorWith(perfReader, 'true 1/1 5.000002: page-faults: 7f00\ntrue 1/1 5.000001: page-faults: 7f01\n'))
      .toBe('t.txt:2: time: "5000001000" is not non-decreasing (expected >= 5000002000 ns, the previous event\'s time)');
    expect(await errorWith(perfReader, 'true 5.000002: page-faults: 7f00\n')).toContain('t.txt:1: pid:');
  });

  it("names perf script's default output, which has no data address", async () => {
    const text = '            true 12956  3023.539262:          1 page-faults:  ffffffff81775b9a elf_load+0x28a ([kernel.kallsyms])\n';
    expect(await errorWith(perfReader, text)).toContain("look like perf script's default output");
  });

  it('sniffs perf script samples and headers only', () => {
    expect(sniffPerf(fixtureText('perf-page-faults-touch.txt'))).toBe(true);
    expect(sniffPerf(fixtureText('perf-page-faults-true.txt'))).toBe(true);
    expect(sniffPerf(MEM_LINES)).toBe(true);
    expect(sniffPerf(fixtureText('ftrace-touch.txt'))).toBe(false);
    expect(sniffPerf(fixtureText('lackey-touch.txt'))).toBe(false);
    expect(sniffPerf('op,addr,time\nread,1,2\n')).toBe(false);
  });
});

describe('perf script reader over many read chunks (the input refills one buffer for this reader)', () => {
  // At each join, 'before' (alpha, mem-loads:P) is the last comm and event name the reader saw in
  // one chunk; 'across' (bravo, mem-store:P) is parsed after the next chunk has overwritten it with
  // 'after' (bravo, mem-store:P): a kept view would match and give alpha's agent and op.
  const comm = (l: JoinLine): string => (l.role === 'line' ? 'charlie' : l.role === 'before' ? 'alpha' : 'bravo');
  const event = (l: JoinLine): string => (l.role === 'line' ? 'page-faults' : l.role === 'before' ? 'mem-loads:P' : 'mem-store:P');
  const cpu = (n: number): number => n % 4;
  const sec = (n: number): number => 100000 + Math.floor(n / 16);
  const usec = (n: number): number => (n % 16) * 1000 + 1;
  const period = (n: number): number => 1 + (n % 900);
  const addr = (n: number): number => 0x7f0000000000 + n * 4096 + (n % 4096);
  const line = (l: JoinLine): string => {
    const n = l.n;
    return `${comm(l).padStart(16)} ${10000 + (n % 7)}/${10000 + (n % 90000)} [${String(cpu(n)).padStart(3, '0')}] ` +
      `${sec(n)}.${String(usec(n)).padStart(6, '0')}: ${String(period(n)).padStart(6)} ${event(l)}: ${addr(n).toString(16)} ${'s'.repeat(n % 29)}`;
  };

  it('reads every sample once, samples across joins included, and keeps no comm or event name of a refilled chunk', async () => {
    expect(perfReader.copiesChunks).toBe(true);
    const { text, lines } = textOverJoins(line, (w) => `#${'-'.repeat(w - 1)}`);
    expect(text.length).toBeGreaterThan(3 << 20);
    const agentMap = parseAgentMap(['comm:alpha=dev0', 'comm:bravo=dev1']);
    const { rows, info } = await readFileTrace(text, { agentMap });
    expect(info).toMatchObject({ format: 'perf-script/page-faults+mem', events: lines.length, skipped: {} });
    const t0 = sec(0) * 1e9 + usec(0) * 1000;
    const want = lines.map((l) => {
      const n = l.n;
      const mem = l.role !== 'line';
      return [mem ? (l.role === 'before' ? 'read' : 'write') : 'fault', addr(n), mem ? period(n) : 1, sec(n) * 1e9 + usec(n) * 1000 - t0,
        10000 + (n % 7), 10000 + (n % 90000), l.role === 'line' ? encodeCpu(cpu(n)) : encodeDev(l.role === 'before' ? 0 : 1), l.no].join(' ');
    });
    const got = rows.map((r) => [r.op, Number(r.addr), r.weight, r.time, r.pid, r.tid, r.agent, r.line].join(' '));
    expect(firstDifference(got, want)).toBe('');
  });
});
