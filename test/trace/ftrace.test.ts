// ftrace / trace-cmd text: real recordings (test/fixtures/formats), FORMATS §2.8 lines verbatim,
// the zoneinfo node map, the agent map, malformed input.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseAgentMap } from '../../src/trace/agent-map.js';
import { encodeCpu, encodeDev } from '../../src/trace/events.js';
import { ftraceReader, sniffFtrace } from '../../src/trace/ftrace.js';
import { parseZoneinfo } from '../../src/trace/zoneinfo.js';
import { firstDifference, readFileTrace, textOverJoins, type JoinLine } from './join-helpers.js';
import { brief, errorWith, fixture, fixtureText, readAllSplits, readWith } from './reader-helpers.js';

// A prefix from the real recording, for FORMATS examples that show only the event part.
const PREFIX = '           touch-20159   [000] d....  3270.700936: ';
// FORMATS §2.8, verbatim (the first two after a real prefix; the `\|` of the markdown table is `|`).
const FAULT_LKML = 'page_fault_user: address=0x7fadaba40fd8 ip=0x7fadaba40fd8 error_code=0x14';
const ALLOC_NEW = 'mm_page_alloc: page=0xffffffff981685f3 pfn=0x122233 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP';
const ALLOC_OLD = 'gnome-terminal-1567  [000]  4415.246506: mm_page_alloc: page=ffffea0003db9f40 pfn=1155800 order=0 migratetype=0 gfp_flags=GFP_KERNEL';
const MIGRATE = 'kswapd0-101 [002] ..... 512.000123: mm_migrate_pages: nr_succeeded=512 nr_failed=0 nr_thp_succeeded=0 nr_thp_failed=0 nr_thp_split=0 nr_split=0 mode=MIGRATE_ASYNC reason=demotion';
const MIGRATE_START = 'mm_migrate_pages_start: mode=MIGRATE_SYNC reason=numa_misplaced';
const MOVE_NUMA = 'sched_move_numa: pid=4242 tgid=4242 ngid=0 src_cpu=3 src_nid=0 dst_cpu=40 dst_nid=1';

describe('ftrace reader', () => {
  it('reads a real recording: faults by error_code, the agent from [CPU], allocations counted', async () => {
    const text = fixtureText('ftrace-touch.txt');
    const rows = await readAllSplits(ftraceReader, text);
    expect(brief(rows, 'time', 'pid', 'tid', 'agent', 'line')).toEqual([
      'write 0x7ffcad333c69 0 20159 20159 0 23', // page_fault_kernel: execve writing the user stack
      'read 0x401000 218000 20159 20159 0 25', // error_code 0x14: an instruction fetch
      'write 0x403000 467000 20159 20159 0 29',
      'write 0x404000 478000 20159 20159 0 31',
      'write 0x405000 488000 20159 20159 0 33',
      'write 0x406000 501000 20159 20159 0 35',
    ]);
    const { info } = await readWith(ftraceReader, text);
    expect(info).toMatchObject({
      format: 'ftrace', startTime: '3270700718000',
      skipped: { 'mm_page_alloc:node-unknown': 20 }, meta: { 'mm_page_alloc.pages.node-unknown': '21' },
    });
  });

  it('takes the process from the tgid column (options/record-tgid)', async () => {
    const text = fixtureText('ftrace-touch-tgid.txt').replaceAll('touch-20166   (  20166)', 'touch-20170   (  20166)');
    const { rows } = await readWith(ftraceReader, text);
    expect(rows.every((r) => r.pid === 20166 && r.tid === 20170)).toBe(true);
    expect(rows).toHaveLength(6);
  });

  it('counts mm_page_alloc per node with --zoneinfo (hex and old decimal pfns)', async () => {
    const zones = fixture('zoneinfo-2node.txt');
    const text = [`${PREFIX}${ALLOC_NEW}`, ALLOC_OLD.replace('4415.246506', '4415.246507'),
      `${PREFIX}mm_page_alloc: page=0 pfn=0x2a0000 order=2 migratetype=1 gfp_flags=GFP_USER`,
      `${PREFIX}mm_page_alloc: page=0 pfn=0x9000000 order=0 migratetype=1 gfp_flags=GFP_USER`, ''].join('\n');
    const { rows, info } = await readWith(ftraceReader, text, { zoneinfo: zones });
    expect(rows).toHaveLength(0);
    expect(info.skipped).toEqual({ 'mm_page_alloc:node0': 2, 'mm_page_alloc:node1': 1, 'mm_page_alloc:pfn-outside-zones': 1 });
    expect(info.meta).toEqual({ 'mm_page_alloc.pages.node0': '2', 'mm_page_alloc.pages.node1': '4' });
    const real = await readWith(ftraceReader, fixtureText('ftrace-touch.txt'), { zoneinfo: fixture('zoneinfo-1node.txt') });
    expect(real.info.skipped).toEqual({ 'mm_page_alloc:node0': 20 });
  });

  it('counts migrations per reason (new and old field sets) and NUMA task moves', async () => {
    const text = [MIGRATE, MIGRATE.replace('512.000123', '512.000124').replace(/nr_succeeded=512 nr_failed=0 .* reason=demotion/, 'nr_succeeded=3 nr_failed=1 mode=MIGRATE_SYNC reason=autonuma'),
      `kswapd0-101 [002] ..... 512.000125: ${MIGRATE_START}`, `kswapd0-101 [002] ..... 512.000126: ${MOVE_NUMA}`,
      `kswapd0-101 [002] ..... 512.000127: ${MIGRATE.split(': ').slice(1).join(': ').replace('demotion', 'numa_misplaced')}`, ''].join('\n');
    const { rows, info } = await readWith(ftraceReader, text);
    expect(rows).toHaveLength(0);
    expect(info.skipped).toEqual({
      'mm_migrate_pages:demotion': 1, 'mm_migrate_pages:autonuma': 1, 'mm_migrate_pages:numa_misplaced': 1,
      'event:mm_migrate_pages_start': 1, sched_move_numa: 1,
    });
    expect(info.meta).toMatchObject({
      'mm_migrate_pages.demotion.succeeded': '512', 'mm_migrate_pages.autonuma.failed': '1', 'sched_move_numa.0-1': '1',
    });
  });

  it('reads the LKML page_fault_user line; kernel and symbolic addresses are counted, not replayed', async () => {
    const text = [`${PREFIX}${FAULT_LKML}`,
      `${PREFIX}page_fault_kernel: address=0xffffffff81000000 ip=_copy_to_user error_code=0x0`,
      `${PREFIX}page_fault_kernel: address=init_task ip=_copy_to_user error_code=0x0`,
      `${PREFIX}page_fault_user: address=0x1000 ip=0x1000`, ''].join('\n');
    const { rows, info } = await readWith(ftraceReader, text);
    expect(brief(rows)).toEqual(['read 0x7fadaba40fd8', 'fault 0x1000']);
    expect(info.skipped).toEqual({ 'page_fault_kernel:kernel-address': 1, 'page_fault_kernel:symbolic-address': 1 });
  });

  it('handles trace-cmd report lines, task names with spaces and dashes, and lost-event notices', async () => {
    const text = ['cpus=2', 'CPU 1 is empty',
      '   Web Content-x-4242  [001]  100.000001: page_fault_user:      address=0x7f0000001000 ip=0x401000 error_code=0x6',
      'CPU:1 [LOST 17 EVENTS]',
      '          <...>-4243  [000] d..1.  100.000002: page_fault_user: address=0x7f0000002000 ip=0x401000 error_code=0x4', ''].join('\n');
    const { rows, info } = await readWith(ftraceReader, text, { agentMap: parseAgentMap(['comm:Web Content-x=dev0']) });
    expect(brief(rows, 'pid', 'agent')).toEqual(['write 0x7f0000001000 4242 -1', 'read 0x7f0000002000 4243 0']);
    expect(info).toMatchObject({ format: 'ftrace/trace-cmd', meta: { cpus: '2', lost_events: '17' }, skipped: { 'lost-events-notice': 1 } });
  });

  it('fails with file:line on malformed input', async () => {
    expect(await errorWith(ftraceReader, '# tracer: nop\nsomething else\n')).toContain('t.txt:2: line: "something else" is not an ftrace line');
    expect(await errorWith(ftraceReader, `${PREFIX}page_fault_user: ip=0x1\n`)).toBe('t.txt:1: fields: " ip=0x1" have no address= (expected address=0x... ip=... error_code=0x...)');
    expect(await errorWith(ftraceReader, `${PREFIX}mm_page_alloc: page=0 order=0\n`)).toContain('t.txt:1: fields: " page=0 order=0" have no valid pfn= and order=');
    expect(await errorWith(ftraceReader, `${PREFIX}mm_migrate_pages: mode=MIGRATE_SYNC\n`)).toContain('have no valid nr_succeeded= and nr_failed=');
    const backwards = `${PREFIX}${FAULT_LKML}\n${PREFIX.replace('3270.700936', '3270.700935')}${FAULT_LKML}\n`;
    expect(await errorWith(ftraceReader, backwards)).toContain('t.txt:2: timestamp: "3270700935000" is not non-decreasing');
    await expect(readWith(ftraceReader, `${PREFIX}${FAULT_LKML}\n`, { zoneinfo: '/nonexistent/zoneinfo' })).rejects.toThrow(UsageError);
  });

  it('parses zoneinfo spans and rejects text that is not one', () => {
    const zones = parseZoneinfo(fixtureText('zoneinfo-2node.txt'), 'z');
    expect(zones.zones.map((z) => `${z.node}:${z.zone}:${z.start}-${z.end}`)).toEqual([
      '0:DMA:1-4096', '0:DMA32:4096-1048576', '0:Normal:1048576-2097152', '1:Normal:2097152-4194304']);
    expect([0, 1, 4095, 0x122233, 0x200000, 0x3fffff, 0x400000].map((p) => zones.nodeOf(p))).toEqual([-1, 0, 0, 0, 1, 1, -1]);
    expect(() => parseZoneinfo('hello\n', 'z')).toThrow('z:1: zoneinfo');
    expect(() => parseZoneinfo('Node 0, zone Normal\n  pages free 1\n', 'z')).toThrow('has no "spanned" line');
  });

  it('sniffs ftrace and trace-cmd text only', () => {
    expect(sniffFtrace(fixtureText('ftrace-touch.txt'))).toBe(true);
    expect(sniffFtrace(fixtureText('ftrace-touch-tgid.txt'))).toBe(true);
    expect(sniffFtrace(`${ALLOC_OLD}\n`)).toBe(true);
    expect(sniffFtrace(`${MIGRATE}\n`)).toBe(true);
    expect(sniffFtrace('cpus=4\n')).toBe(true);
    expect(sniffFtrace(fixtureText('perf-page-faults-touch.txt'))).toBe(false);
    expect(sniffFtrace(fixtureText('lackey-touch.txt'))).toBe(false);
  });
});

describe('ftrace reader over many read chunks (the input refills one buffer for this reader)', () => {
  // At each join, 'before' (alpha) is the last task the reader looked up in one chunk, and 'across'
  // (bravo) is parsed after the next chunk has put 'after' (bravo) where 'before' was: a kept view
  // would match and give alpha's agent. At join 2 the three are events the reader counts by name
  // (sched_switch, then sched_wakeup), for the same trap on the event name.
  const comm = (l: JoinLine): string => (l.role === 'line' ? 'charlie' : l.role === 'before' ? 'alpha' : 'bravo');
  const named = (l: JoinLine): boolean => l.join === 2;
  const event = (l: JoinLine): string => (!named(l) ? 'page_fault_user' : l.role === 'before' ? 'sched_switch' : 'sched_wakeup');
  const cpu = (n: number): number => n % 4;
  const sec = (n: number): number => 3000 + Math.floor(n / 16);
  const usec = (n: number): number => (n % 16) * 1000 + 7;
  const addr = (n: number): number => 0x7f0000000000 + n * 4096 + (n % 4096);
  const tid = (n: number): number => 10000 + (n % 90000);
  const tgid = (n: number): number => 10000 + (n % 7);
  const line = (l: JoinLine): string => {
    const n = l.n;
    const fields = named(l) ? `pid=${tid(n)} prio=120` : `address=0x${addr(n).toString(16)} ip=0x401000 error_code=0x${n % 2 ? 6 : 4}`;
    return `${comm(l).padStart(16)}-${tid(n)} (${tgid(n)}) [${String(cpu(n)).padStart(3, '0')}] d.... ` +
      `${sec(n)}.${String(usec(n)).padStart(6, '0')}: ${event(l)}: ${fields} ${'s'.repeat(n % 29)}`;
  };

  it('reads every event once, lines across joins included, and keeps no task or event name of a refilled chunk', async () => {
    expect(ftraceReader.copiesChunks).toBe(true);
    const { text, lines } = textOverJoins(line, (w) => `#${'-'.repeat(w - 1)}`);
    expect(text.length).toBeGreaterThan(3 << 20);
    const agentMap = parseAgentMap(['comm:alpha=dev0', 'comm:bravo=dev1']);
    const { rows, info } = await readFileTrace(text, { agentMap });
    const faults = lines.filter((l) => !named(l));
    expect(info).toMatchObject({ format: 'ftrace', events: faults.length, skipped: { 'event:sched_switch': 1, 'event:sched_wakeup': 2 } });
    const t0 = sec(0) * 1e9 + usec(0) * 1000;
    const want = faults.map((l) => {
      const n = l.n;
      return [n % 2 ? 'write' : 'read', addr(n), sec(n) * 1e9 + usec(n) * 1000 - t0, tgid(n), tid(n),
        l.role === 'line' ? encodeCpu(cpu(n)) : encodeDev(l.role === 'before' ? 0 : 1), l.no].join(' ');
    });
    const got = rows.map((r) => [r.op, Number(r.addr), r.time, r.pid, r.tid, r.agent, r.line].join(' '));
    expect(firstDifference(got, want)).toBe('');
  });
});
