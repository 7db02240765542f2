// AMD KFD SMI event text: the kfd_smi_events.c formats (FORMATS §2.7), device mapping, malformed
// lines, and replay through the engine.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kfdSmiReader } from '../../src/trace/kfd-smi.js';
import type { DeviceReadOptions } from '../../src/trace/device-map.js';
import { getReader, sniffFormat } from '../../src/trace/registry.js';
import { encodeDev } from '../../src/trace/events.js';
import { dataError, FIXTURES, readWith, replayFile } from './format-helpers.js';
import { firstDifference, readFileTrace, textOverJoins, type JoinLine } from './join-helpers.js';

const FIXTURE = join(FIXTURES, 'kfd/smi-events.txt');
/** FORMATS §2.7's (constructed) migrate-start example, verbatim. */
const FORMATS_LINE = '5 2840383812312 -4242 @7f3a2c000(200) 0->5fe1 0:5fe1 1';
const brief = (rows: Awaited<ReturnType<typeof readWith>>['rows']) => rows.map((r) => [r.op, r.addr, r.len, r.time, r.pid, r.agent, r.nodes]);

describe('kfd-smi reader', () => {
  it('is sniffed and named', () => {
    expect(sniffFormat(`${FORMATS_LINE}\n`)?.name).toBe('kfd-smi');
    expect(sniffFormat(readFileSync(FIXTURE, 'utf8'))?.name).toBe('kfd-smi');
    expect(getReader('kfd-smi')).toBe(kfdSmiReader);
  });

  it('replays fault starts as the GPU agent\'s accesses and migrate starts as driver migrations', async () => {
    const { rows, info } = await readWith(kfdSmiReader, readFileSync(FIXTURE), {}, [64, 5]);
    // Pages are 4 KiB: @7f3a2c000 is 0x7f3a2c000000; gpu 5fe1 = dev0 (agent -1) on node 1 (mask 2).
    expect(brief(rows)).toEqual([
      ['write', 0x7f3a2c000000n, NaN, 0, 4242, -1, 0],
      ['migrate', 0x7f3a2c000000n, 0x200 * 4096, 12312, 4242, -1, 2],
      ['read', 0x7f3a2c200000n, NaN, 1200000, 4242, -1, 0],
      ['migrate', 0x7f3a2c000000n, 0x100 * 4096, 2200000, 4242, -1, 1],
    ]);
    expect(info.format).toBe('kfd-smi');
    expect(info.startTime).toBe('2840383800000');
    expect(info.skipped).toEqual({
      'page fault end (replayed at its start)': 2, 'migrate end (replayed at its start)': 2, 'SMI event without a page (id 1)': 1,
      'SMI event without a page (id 9)': 1, 'SMI event without a page (id a)': 1, 'unmap from GPU': 1,
    });
    expect(info.meta).toMatchObject({ 'kfd.gpu_faults': '2', 'kfd.migrate_triggers': 'pagefault_gpu=1,pagefault_cpu=1', 'kfd.device_map': '5fe1=dev0@1,host=0' });
  });

  it('maps GPUs in order of first appearance, or by deviceMap', async () => {
    const two = `${FORMATS_LINE}\n7 2840383900000 -4242 @7f3a2c010(a2b3) R\n5 2840384000000 -4242 @7f3a2c010(1) 5fe1->a2b3 0:0 0\n`;
    const auto = await readWith(kfdSmiReader, two);
    expect(auto.rows.map((r) => [r.agent, r.nodes])).toEqual([[-1, 2], [-2, 0], [-2, 4]]);
    const mapped = await readWith(kfdSmiReader, two, { deviceMap: '0xA2B3=dev0@1,5fe1=dev1@2' } as DeviceReadOptions);
    expect(mapped.rows.map((r) => [r.agent, r.nodes])).toEqual([[-2, 4], [-1, 0], [-1, 2]]);
    expect(mapped.info.meta['kfd.device_map']).toBe('a2b3=dev0@1,5fe1=dev1@2,host=0');
  });

  it('raises a time earlier than the previous event\'s to it (two kernel clocks) and counts it', async () => {
    const { rows, info } = await readWith(kfdSmiReader, `${FORMATS_LINE}\n7 2840383800000 -4242 @7f3a2c000(5fe1) W\n`);
    expect(rows.map((r) => r.time)).toEqual([0, 0]);
    expect(info.meta['kfd.times_clamped']).toBe('1');
  });

  it('rejects malformed lines with a located error (exit 3)', async () => {
    expect(await dataError(kfdSmiReader, `${FORMATS_LINE}\n5 2840383812312 -4242 @7f3a2c000(200) 0->zz 0:5fe1 1\n`))
      .toBe('t.in:2: event 5: "@7f3a2c000(200) 0->zz 0:5fe1 1" is not a page fault ("@<page>(<gpu>) R|W|M|U") or migration ("@<page>(<npages>) <from>-><to> ...") (expected kfd_smi_events.c formats)');
    expect(await dataError(kfdSmiReader, `${FORMATS_LINE}\nhello @ world\n`))
      .toBe('t.in:2: line: "hello @ world" is not a KFD SMI event (expected "<event id hex> <ns> -<pid> @<page>(<gpu|npages>) ...")');
    expect(await dataError(kfdSmiReader, '5 2840383812312 -4242 @7f3a2c000(0) 0->5fe1 0:5fe1 1\n'))
      .toBe('t.in:1: npages: "0" is not a page count (expected hex, 0 < npages < 2^40)');
  });

  it('replays through the engine as device accesses and driver migrations', async () => {
    const r = await replayFile(FIXTURE);
    expect(r.trace).toMatchObject({ format: 'kfd-smi', events: 4, accesses: 2 });
    expect(r.backends[0].migrations.by_trigger.driver ?? 0).toBeGreaterThan(0);
  });
});

describe('--device-map on the command line', () => {
  it('is accepted for KFD input and refused for trace@1 input (exit 2)', async () => {
    const { spawnSync } = await import('node:child_process');
    const bin = join(import.meta.dirname, '../../bin/cdm-replay.js');
    const fixture = join(import.meta.dirname, '../fixtures/formats/kfd/smi-events.txt');
    const ok = spawnSync(process.execPath, [bin, fixture, '--backend', 'mainline', '--device-map', 'host=0', '--format', 'json'], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    const bad = spawnSync(process.execPath, [bin, fixture, '--device-map', 'zz'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    const csv = join(import.meta.dirname, '../../traces/pressure-device.csv.gz');
    const wrong = spawnSync(process.execPath, [bin, csv, '--device-map', '0=dev0'], { encoding: 'utf8' });
    expect(wrong.status).toBe(2);
  });
});

describe('kfd-smi reader over many read chunks (the input refills one buffer for this reader)', () => {
  // GPUs take dev0, dev1, ... as first met; beef is first met in the line across the first join.
  const gpu = (l: JoinLine): string => (l.role === 'across' ? 'beef' : ['5fe1', 'a2b3'][l.n % 2]);
  const DEV: Record<string, number> = { '5fe1': 0, a2b3: 1, beef: 2 };
  const TRIGGERS = ['prefetch', 'pagefault_gpu', 'pagefault_cpu', 'ttm_eviction'];
  const kind = (n: number): 'end' | 'migrate' | 'fault' => (n % 7 === 6 ? 'end' : n % 3 === 2 ? 'migrate' : 'fault');
  const page = (n: number): number => 0x7f3a2c000 + n * 3;
  const npages = (n: number): number => 1 + (n % 512);
  const ns = (n: number): number => 2840383800000 + n * 1000;
  const pid = (n: number): number => 4242 + (n % 3);
  const line = (l: JoinLine): string => {
    const { n } = l;
    const head = `${ns(n)} -${pid(n)} @${page(n).toString(16)}`;
    if (kind(n) === 'end') return `8 ${head}(${gpu(l)}) M`;
    if (kind(n) === 'migrate') return `5 ${head}(${npages(n).toString(16)}) 0->${gpu(l)} 0:${gpu(l)} ${n % 4}`;
    return `7 ${head}(${gpu(l)}) ${n % 2 ? 'W' : 'R'}`;
  };

  it('reads every event once, lines across joins included, and keeps the GPUs it met', async () => {
    expect(kfdSmiReader.copiesChunks).toBe(true);
    const { text, lines } = textOverJoins(line, (w) => `#${'-'.repeat(w - 1)}`);
    expect(text.length).toBeGreaterThan(3 << 20);
    const { rows, info } = await readFileTrace(text);
    const events = lines.filter((l) => kind(l.n) !== 'end');
    const triggers = new Map<string, number>();
    for (const l of events) if (kind(l.n) === 'migrate') triggers.set(TRIGGERS[l.n % 4], (triggers.get(TRIGGERS[l.n % 4]) ?? 0) + 1);
    expect(info).toMatchObject({
      format: 'kfd-smi', events: events.length,
      skipped: { 'page fault end (replayed at its start)': lines.length - events.length },
      meta: {
        'kfd.gpu_faults': String(events.filter((l) => kind(l.n) === 'fault').length),
        'kfd.migrate_triggers': [...triggers].map(([k, v]) => `${k}=${v}`).join(','),
        'kfd.device_map': '5fe1=dev0@1,a2b3=dev1@2,beef=dev2@3,host=0',
      },
    });
    const want = events.map((l) => {
      const { n } = l;
      const migrate = kind(n) === 'migrate';
      return [migrate ? 'migrate' : n % 2 ? 'write' : 'read', page(n) * 4096, migrate ? npages(n) * 4096 : NaN, ns(n) - ns(0), pid(n),
        encodeDev(DEV[gpu(l)]), migrate ? 1 << (DEV[gpu(l)] + 1) : 0, l.no].join(' ');
    });
    const got = rows.map((r) => [r.op, Number(r.addr), r.len, r.time, r.pid, r.agent, r.nodes, r.line].join(' '));
    expect(firstDifference(got, want)).toBe('');
  });
});
