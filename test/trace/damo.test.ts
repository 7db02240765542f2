// DAMON readers (damo perf-script text, damo JSON / json_compressed): golden parses against damo's
// own expected reports, real and malformed lines, the replay rule, and replay through the engine.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { damoJsonReader, damoJsonSnapshots } from '../../src/trace/damo-json.js';
import { damoPerfScriptReader, perfScriptSnapshots } from '../../src/trace/damo-perf-script.js';
import {
  DAMON_MAX_READS, snapshotEvents, textToBytes, textToNs, textToNr, type DamonSnapshot,
} from '../../src/trace/damo-snapshots.js';
import { parseAgentMap } from '../../src/trace/agent-map.js';
import { getReader, sniffFormat } from '../../src/trace/registry.js';
import { chunked, newInfo } from './helpers.js';
import { firstDifference, readFileTrace, textOverJoins, type JoinLine } from './join-helpers.js';
import { dataError, FIXTURES, readWith, replayFile } from './format-helpers.js';

const DIR = join(FIXTURES, 'damo');
const PERF = join(DIR, 'perf.data.script.cut');
const JSONZ = join(DIR, 'damon.data.json_compressed');
/** FORMATS §2.4a, verbatim: the first line of damo's tests/report/perf.data.script. */
const REAL_LINE = '       kdamond.0  4452 [000] 82820.952659: damon:damon_aggregated: target_id=18446623435582458880 nr_regions=8 94253027950592-94253031862272: 0';

interface Expected { targetId: string; nrRegions: number; regions: { start: bigint; end: bigint; size: string; nr: number; age: number }[] }

/** The snapshots of a `damo report access --raw_form` text. */
function rawReport(text: string): Expected[] {
  const out: Expected[] = [];
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null;
    if (/^monitoring_start:/.test(line)) out.push({ targetId: '', nrRegions: 0, regions: [] });
    else if ((m = /^target_id: (\d+)$/.exec(line))) out[out.length - 1].targetId = m[1];
    else if ((m = /^nr_regions: (\d+)$/.exec(line))) out[out.length - 1].nrRegions = Number(m[1]);
    else if ((m = /^([0-9a-f]+)-([0-9a-f]+) \(\s*([\d.]+ \w+)\)\s+(-?\d+)\s+(-?\d+)$/.exec(line))) {
      out[out.length - 1].regions.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), size: m[3], nr: Number(m[4]), age: Number(m[5]) });
    }
  }
  return out;
}

/** damo's format_sz (non-raw): Python's '%.3f' (round half to even on the exact value). */
function formatSz(bytes: bigint): string {
  const units: [bigint, string][] = [[1n << 60n, 'EiB'], [1n << 50n, 'PiB'], [1n << 40n, 'TiB'], [1n << 30n, 'GiB'], [1n << 20n, 'MiB'], [1n << 10n, 'KiB']];
  for (const [u, name] of units) {
    if (bytes <= u) continue;
    let q = (bytes * 1000n) / u;
    const r2 = ((bytes * 1000n) % u) * 2n;
    if (r2 > u || (r2 === u && q % 2n === 1n)) q++;
    return `${q / 1000n}.${String(q % 1000n).padStart(3, '0')} ${name}`;
  }
  return `${bytes} B`;
}

/** Parsed snapshots in the expected report's terms. */
const asExpected = (snaps: DamonSnapshot[]): Expected[] => snaps.map((s) => ({
  targetId: s.targetId,
  nrRegions: s.regions.length,
  regions: s.regions.map((r) => ({ start: r.start, end: r.end, size: formatSz(r.end - r.start), nr: r.nrAccesses, age: r.age ?? -1 })),
}));

async function collect<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

describe('damo golden parses (damo tests/report, expected outputs verbatim)', () => {
  it('perf-script text gives the region lists of expects/report-raw_perf_script', async () => {
    const info = newInfo('perf.data.script.cut');
    const snaps = await collect(perfScriptSnapshots(chunked(readFileSync(PERF), [4096, 777]), info));
    const expected = rawReport(readFileSync(join(DIR, 'report-raw_perf_script.cut'), 'utf8'));
    expect(expected).toHaveLength(15);
    expect(asExpected(snaps)).toEqual(expected);
    expect(snaps[0].end).toBe(82820952659000n); // the real line's timestamp
    expect(info.meta).toMatchObject({ 'damon.variant': 'perf-script', 'damon.targets': '1' });
  });

  it('json_compressed records give the region lists of expects/report-raw', () => {
    const info = newInfo('damon.data.json_compressed');
    const snaps = damoJsonSnapshots(readFileSync(JSONZ), info);
    const expected = rawReport(readFileSync(join(DIR, 'report-raw.cut'), 'utf8'));
    expect(expected).toHaveLength(15);
    expect(asExpected(snaps)).toEqual(expected);
    expect(snaps[0].end).toBe(539913599000n); // "8 m 59 s 913 ms 599 us"
    expect(info.meta).toMatchObject({ 'damon.compressed': 'zlib', 'damon.intervals': 'sample=5000us aggr=100000us' });
  });

  it('plain JSON (--output_type json) reads the same as json_compressed', async () => {
    const plain = await readWith(damoJsonReader, inflateSync(readFileSync(JSONZ)));
    const packed = await readWith(damoJsonReader, readFileSync(JSONZ));
    expect(plain.rows).toEqual(packed.rows);
    expect(plain.info.format).toBe('damo-json');
  });
});

describe('damo formatted numbers (_damo_fmt_str.py)', () => {
  it('parses commas, units and time pairs as damo does', () => {
    expect(textToNr('4,294,967,296')).toBe(4294967296n);
    expect(textToBytes('143.027 MiB')).toBe(BigInt(Math.floor(143.027 * 2 ** 20)));
    expect(textToBytes('4 KiB')).toBe(4096n);
    expect(textToNs('8 m 59 s 913 ms 599 us')).toBe(539913599000n);
    expect(textToNs('100 ms')).toBe(100000000n);
    expect(textToNs('5ms')).toBe(5000000n);
    expect(textToNs('82,820,952,659,000')).toBe(82820952659000n);
    expect(textToNr('max')).toBe((1n << 64n) - 1n);
    expect(textToBytes('lots')).toBeNull();
    expect(textToNs('3 fortnights')).toBeNull();
  });
});

describe('damo perf-script reader', () => {
  it('is sniffed, named, and reads FORMATS lines: 9 fields, 10 with age, ftrace prefix, damos_before_apply skipped', async () => {
    expect(sniffFormat(`${REAL_LINE}\n`)?.name).toBe('damo-perf-script');
    expect(getReader('damo-perf-script')).toBe(damoPerfScriptReader);
    const text = [
      REAL_LINE.replace('nr_regions=8', 'nr_regions=2'),
      '       kdamond.0  4452 [000] 82820.952659: damon:damon_aggregated: target_id=18446623435582458880 nr_regions=2 140731667070976-140731668037632: 0 3',
      '       kdamond.0  4452 [000] 82821.052659: damon:damon_aggregated: target_id=18446623435582458880 nr_regions=1 94253027950592-94253031862272: 2 1',
      '       kdamond.0 47293 [000] 80801.060214: damon:damos_before_apply: ctx_idx=0 scheme_idx=0 target_idx=0 nr_regions=11 121932607488-135128711168: 0 136',
      '            perf  4460 [001] 82821.060000: sched:sched_switch: prev_comm=perf',
      'kdamond.0-187 [001] ..... 82821.152659: damon_aggregated: target_id=0 nr_regions=11 4194304-66555904: 5 1',
      '',
    ].join('\n');
    expect(sniffFormat(text.split('\n').slice(5).join('\n'))?.name).toBe('damo-perf-script'); // ftrace line alone
    const { rows, info } = await readWith(damoPerfScriptReader, text, {}, [50, 3]);
    expect(info.format).toBe('damo-perf-script');
    expect(info.skipped).toEqual({ 'damos_before_apply (a DAMOS action, not a monitoring snapshot)': 1, 'not a damon_aggregated event': 1 });
    // Snapshot 2 (t = 100 ms): one region of 955 pages, 2 samples; the ftrace target (pid 2): 5 samples.
    expect(rows.map((r) => [r.op, r.pid, r.time])).toEqual([['read', 1, 0], ['read', 1, 0], ...Array(5).fill(['read', 2, 100000000])]);
    expect(rows.every((r) => r.addr >= 94253027950592n && r.addr < 94253031862272n || r.pid === 2)).toBe(true);
    expect(info.meta).toMatchObject({ 'damon.targets': '2', 'damon.snapshots': '3', 'damon.incomplete_snapshots': '1' });
    expect(info.startTime).toBe('82821052659000');
  });

  it('rejects malformed damon_aggregated lines and unsorted time with a located error (exit 3)', async () => {
    expect(await dataError(damoPerfScriptReader, `${REAL_LINE}\n  kdamond.0  4452 [000] 82820.952659: damon:damon_aggregated: target_id=1 nr_regions=2 10-5: 0\n`))
      .toBe('t.in:2: damon_aggregated fields: "target_id=1 nr_regions=2 10-5: 0" is not "target_id=<n> nr_regions=<n> <start>-<end>: <nr_accesses> [<age>]" (expected decimal numbers, start < end, nr_regions > 0)');
    expect(await dataError(damoPerfScriptReader, 'kdamond.0 4452 [000] 82820.95: damon:damon_aggregated: target_id=1 nr_regions=1 0x10-0x20: 1\n'))
      .toMatch(/^t\.in:1: damon_aggregated fields: /);
    expect(await dataError(damoPerfScriptReader, 'garbage damon_aggregated here\n')).toMatch(/^t\.in:1: line: "garbage damon_aggregated here" is not a damon_aggregated event/);
    const back = [REAL_LINE.replace('nr_regions=8', 'nr_regions=1'), REAL_LINE.replace('nr_regions=8', 'nr_regions=1').replace('82820.952659', '82819.000000')].join('\n');
    expect(await dataError(damoPerfScriptReader, back)).toBe('t.in:2: time: "82819.000000" is not time-sorted (expected >= the target\'s previous snapshot at 82820952659000 ns)');
  });
});

describe('damo JSON reader', () => {
  const record = (regions: unknown[], extra = {}) => JSON.stringify([{ target_id: 7, snapshots: [{ start_time: '0', end_time: '1 s', regions }], ...extra }]);

  it('is sniffed as JSON text or zlib bytes and accepts damo\'s other nr_accesses spellings', async () => {
    expect(sniffFormat(readFileSync(JSONZ).toString('utf8', 0, 4096))?.name).toBe('damo-json');
    expect(sniffFormat(inflateSync(readFileSync(JSONZ)).toString('utf8', 0, 4096))?.name).toBe('damo-json');
    const text = record([
      { start: '4,294,967,296', end: '4,294,979,584', nr_accesses: { samples: null, percent: 10 }, age: { usec: null, aggr_intervals: '3' } },
      { start: 8192, end: 12288, nr_accesses: '1' },
    ], { intervals: { sample: 5000, aggr: 100000, ops_update: 1000000 } });
    const { rows, info } = await readWith(damoJsonReader, deflateSync(text));
    // Region 1: 3 pages, 10 % of 20 samples (5 ms / 100 ms) = 2 reads at pages 0 and 2 (phase 0.618);
    // region 2: 1 page, 1 read. Interleaved: round 1 of both, then round 2.
    expect(rows.map((r) => [r.op, r.addr, r.pid, r.time])).toEqual([
      ['read', 4294967296n, 1, 0], ['read', 8192n, 1, 0], ['read', 4294967296n + 8192n, 1, 0]]);
    expect(info.meta['damon.targets']).toBe('1');
  });

  it('reads a file over many read chunks whole (it keeps every chunk, so it must not let the input refill one)', async () => {
    expect(damoJsonReader.copiesChunks).not.toBe(true);
    const start = (i: number): number => 94253027950592 + i * 8192;
    const snapshots = Array.from({ length: 400 }, (_, s) => ({
      start_time: `${s * 100} ms`, end_time: `${(s + 1) * 100} ms`,
      regions: Array.from({ length: 100 }, (_, j) => ({ start: start(s * 100 + j), end: start(s * 100 + j) + 4096, nr_accesses: { samples: 1 } })),
    }));
    const text = JSON.stringify([{ target_id: 7, snapshots }], null, 1);
    expect(text.length).toBeGreaterThan(3 << 20);
    const { rows, info } = await readFileTrace(text, {}, 'damon.json');
    expect(info).toMatchObject({ format: 'damo-json', events: 40000, meta: { 'damon.snapshots': '400' } });
    const want = Array.from({ length: 40000 }, (_, i) => `read ${start(i)} ${Math.floor(i / 100) * 100e6} 1`);
    expect(firstDifference(rows.map((r) => `${r.op} ${Number(r.addr)} ${r.time} ${r.pid}`), want)).toBe('');
  });

  it('rejects bad JSON, bad values and bad zlib with a located error (exit 3)', async () => {
    expect(await dataError(damoJsonReader, '[{"snapshots": [}')).toMatch(/^t\.in:JSON( offset \d+)?: JSON: .* is not valid JSON/);
    expect(await dataError(damoJsonReader, record([{ start: '1,000', end: '2,000', nr_accesses: { samples: 1 } }, { start: 'x', end: '1' }])))
      .toBe('t.in:records[0].snapshots[0].regions[1]: start: "x" is not an address (expected a number, e.g. "4,294,967,296")');
    expect(await dataError(damoJsonReader, record([{ start: '0', end: '4096', nr_accesses: { samples: null, percent: 5 } }])))
      .toMatch(/^t\.in:records\[0\]\.snapshots\[0\]\.regions\[0\]: nr_accesses: .* is not a sample count/);
    expect(await dataError(damoJsonReader, '{"a": 1}')).toBe('t.in:$: records: "{\\"a\\":1}" is not a list (expected a JSON list of damo records)');
    const z = deflateSync('[]');
    expect(await dataError(damoJsonReader, Buffer.concat([z.subarray(0, 4), Buffer.from('garbage')]))).toMatch(/^t\.in:byte 0: zlib data: .* is not valid zlib-compressed JSON/);
  });
});

describe('DAMON replay rule', () => {
  const snap = (regions: [number, number, number][], end = 1000n): DamonSnapshot => ({
    target: 0, targetId: '0', start: null, end, line: 1,
    regions: regions.map(([s, e, n]) => ({ start: BigInt(s), end: BigInt(e), nrAccesses: n, age: null })),
  });

  it('one single-page read per positive sample, capped, spread over the region, interleaved, at the end time', () => {
    const ev = [...snapshotEvents(snap([[0, 40960, 3], [40960, 81920, 0], [81920, 86016, 50]]), 0)];
    expect(ev).toHaveLength(3 + DAMON_MAX_READS);
    expect(ev.every((e) => e.time === 1000n && e.op === ev[0].op && Number.isNaN(e.len))).toBe(true);
    const first = ev.filter((e) => e.addr < 40960n).map((e) => Number(e.addr) / 4096);
    expect(first).toHaveLength(3);
    expect(new Set(first).size).toBe(3); // three distinct pages of the ten
    expect(ev.slice(0, 2).map((e) => e.addr < 40960n)).toEqual([true, false]); // round 1: both regions
    expect(ev.filter((e) => e.addr >= 81920n).every((e) => e.addr === 81920n)).toBe(true); // a one-page region
    // The phase moves with the snapshot ordinal, deterministically.
    const again = [...snapshotEvents(snap([[0, 40960, 3]]), 0)].map((e) => e.addr);
    const next = [...snapshotEvents(snap([[0, 40960, 3]]), 1)].map((e) => e.addr);
    expect(again).toEqual(first.map((p) => BigInt(p * 4096)));
    expect(next).not.toEqual(again);
  });
});

describe('damo through the engine', () => {
  it('replays the perf-script and json_compressed fixtures', async () => {
    const perf = await replayFile(PERF);
    expect(perf.trace).toMatchObject({ format: 'damo-perf-script', events: 1188, accesses: 1188 });
    expect(perf.backends[0].placement.accesses).toBe(1188);
    const json = await replayFile(JSONZ);
    expect(json.trace).toMatchObject({ format: 'damo-json', events: 602 });
    expect(json.trace.pages_touched).toBeGreaterThan(100);
  });

  it('lets --agent rules make a target the device', async () => {
    const { rows } = await readWith(damoPerfScriptReader, readFileSync(PERF), { agentMap: parseAgentMap(['pid:1=dev0']) });
    expect(rows.every((r) => r.agent === -1)).toBe(true);
  });
});

describe('damo perf-script reader over many read chunks (the input refills one buffer for this reader)', () => {
  // Snapshots of 4 one-page regions (nr_accesses 1: one read at the region's start each),
  // alternating between two targets; a snapshot may span a join.
  const TARGETS = ['18446623435582458880', '18446623438842130432'];
  const snap = (n: number): number => Math.floor(n / 4);
  const start = (n: number): number => 94253027950592 + n * 8192;
  const ns = (s: number): number => (82820 + s) * 1e9 + (s % 1000) * 1000;
  const line = ({ n }: JoinLine): string => {
    const s = snap(n);
    return `       kdamond.0  4452 [000] ${82820 + s}.${String(s % 1000).padStart(6, '0')}: damon:damon_aggregated: ` +
      `target_id=${TARGETS[s % 2]} nr_regions=4 ${start(n)}-${start(n) + 4096}: 1 ${n % 10}${' '.repeat(n % 3)}`;
  };

  it('reads every region once, lines across joins included, and keeps each target\'s snapshots apart', async () => {
    expect(damoPerfScriptReader.copiesChunks).toBe(true);
    const { text, lines } = textOverJoins(line, (w) => `#${'-'.repeat(w - 1)}`);
    expect(text.length).toBeGreaterThan(3 << 20);
    const { rows, info } = await readFileTrace(text, { agentMap: parseAgentMap(['pid:2=dev0']) });
    expect(info).toMatchObject({
      format: 'damo-perf-script', events: lines.length,
      meta: { 'damon.targets': '2', 'damon.snapshots': String(Math.ceil(lines.length / 4)), 'damon.variant': 'perf-script' },
    });
    expect(info.meta['damon.incomplete_snapshots']).toBe(lines.length % 4 ? '1' : undefined);
    // An event's line is its snapshot's first line.
    const want = lines.map((l) => ['read', start(l.n), ns(snap(l.n)) - ns(0), 1 + (snap(l.n) % 2), snap(l.n) % 2 ? -1 : 0, lines[l.n - (l.n % 4)].no].join(' '));
    const got = rows.map((r) => [r.op, Number(r.addr), r.time, r.pid, r.agent, r.line].join(' '));
    expect(firstDifference(got, want)).toBe('');
  });
});
