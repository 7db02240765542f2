// DAMON results as damo's JSON records (FORMATS §2.4b): `damo record --output_type json`, or the
// default `json_compressed` (the same JSON zlib-deflated, magic 78 9c, as damo's
// write_json_compressed). A list of records
//   {kdamond_idx, context_idx, intervals, scheme_idx, target_id, snapshots: [{start_time, end_time,
//    total_bytes, regions: [{start, end, nr_accesses: {samples, percent}, age: {usec, aggr_intervals}}]}]}
// whose values may be formatted strings ("4,294,967,296", "143.027 MiB", "100 ms"), parsed as damo's
// _damo_fmt_str.py does. JSON is not streamable (and zlib input must be whole before parsing), so
// the file is read into memory; the events are still produced in batches.
import { inflateSync } from 'node:zlib';
import { TraceDataError } from '../errors.js';
import type { ReadOptions, TraceInfo, TraceReader } from './events.js';
import { AgentResolver, hasRules } from './agent-map.js';
import { clipText, EventWriter, skip } from './event-writer.js';
import {
  DAMO_COLUMNS, isFakeSnapshot, snapshotEvents, textToBytes, textToNr, textToNs, textToUs, type DamonRegion, type DamonSnapshot,
} from './damo-snapshots.js';
import { allBytes } from './text-lines.js';

export const DAMO_JSON = 'damo-json';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** zlib stream header: CMF 0x78 (deflate, 32 KiB window) and a valid FCHECK. */
export const isZlib = (b: Buffer): boolean => b.length >= 2 && b[0] === 0x78 && (b[0] * 256 + b[1]) % 31 === 0;

/** Every snapshot of every record, in time order (end time, then record and snapshot order). */
export function damoJsonSnapshots(bytes: Buffer, info: TraceInfo): (DamonSnapshot & { seq: number })[] {
  let text: string;
  if (isZlib(bytes)) {
    try {
      text = inflateSync(bytes).toString('utf8');
    } catch (err) {
      throw new TraceDataError(info.path, 'byte 0', 'zlib data', (err as Error).message,
        'is not valid zlib-compressed JSON (expected damo\'s json_compressed output, intact)');
    }
    info.meta['damon.compressed'] = 'zlib';
  } else {
    text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new TraceDataError(info.path, at === undefined ? 'JSON' : `JSON offset ${at}`, 'JSON', clipText(text.slice(Number(at ?? 0), Number(at ?? 0) + 40)),
      `is not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(doc)) throw bad(info, '$', 'records', doc, 'is not a list (expected a JSON list of damo records)');
  const targets = new Map<string, number>();
  const all: (DamonSnapshot & { seq: number; order: number })[] = [];
  doc.forEach((rec, ri) => {
    const where = `records[${ri}]`;
    if (!isObj(rec) || !Array.isArray(rec.snapshots)) throw bad(info, where, 'snapshots', rec, 'is not given (expected a record with a snapshots list)');
    const targetId = rec.target_id === undefined || rec.target_id === null ? String(ri) : String(rec.target_id);
    let target = targets.get(targetId);
    if (target === undefined) targets.set(targetId, (target = targets.size));
    const samplesPerAggr = samplesPerAggregation(rec.intervals);
    if (samplesPerAggr !== null && info.meta['damon.intervals'] === undefined) info.meta['damon.intervals'] = intervalsText(rec.intervals as Obj);
    let seq = 0;
    rec.snapshots.forEach((snap, si) => {
      const sw = `${where}.snapshots[${si}]`;
      if (!isObj(snap) || !Array.isArray(snap.regions)) throw bad(info, sw, 'regions', snap, 'is not given (expected a snapshot with a regions list)');
      const end = textToNs(snap.end_time);
      if (end === null) throw bad(info, sw, 'end_time', snap.end_time, 'is not a time (expected ns, e.g. "1,234,567" or "1 s 2 ms")');
      const start = snap.start_time === undefined || snap.start_time === null ? null : textToNs(snap.start_time);
      const regions = snap.regions.map((r, gi) => region(info, `${sw}.regions[${gi}]`, r, samplesPerAggr));
      if (isFakeSnapshot(regions)) {
        skip(info, 'damon fake snapshot (damo placeholder)', regions.length);
        return;
      }
      all.push({ target, targetId, start, end, regions, line: all.length + 1, seq: seq++, order: all.length });
    });
  });
  all.sort((a, b) => (a.end < b.end ? -1 : a.end > b.end ? 1 : a.order - b.order));
  info.meta['damon.targets'] = String(targets.size);
  info.meta['damon.snapshots'] = String(all.length);
  return all;
}

function region(info: TraceInfo, where: string, r: unknown, samplesPerAggr: number | null): DamonRegion {
  if (!isObj(r)) throw bad(info, where, 'region', r, 'is not an object (expected {start, end, nr_accesses, age})');
  const start = textToBytes(r.start);
  const end = textToBytes(r.end);
  if (start === null) throw bad(info, where, 'start', r.start, 'is not an address (expected a number, e.g. "4,294,967,296")');
  if (end === null || end < start) throw bad(info, where, 'end', r.end, 'is not an address at or above start (expected a number)');
  const nr = r.nr_accesses;
  let samples: number | null = null;
  if (isObj(nr)) {
    const s = nr.samples === null || nr.samples === undefined ? null : textToNr(nr.samples);
    const pct = nr.percent === null || nr.percent === undefined ? null : textToNr(String(nr.percent).replace(/\s*%$/, ''));
    if (s !== null) samples = Number(s);
    else if (pct !== null && samplesPerAggr !== null) samples = Math.round((Number(pct) * samplesPerAggr) / 100);
  } else {
    const s = textToNr(nr);
    if (s !== null) samples = Number(s);
  }
  if (samples === null || !Number.isInteger(samples)) {
    throw bad(info, where, 'nr_accesses', nr, 'is not a sample count (expected {"samples": N}, N, or a percent with the record\'s intervals)');
  }
  const age = isObj(r.age) ? r.age.aggr_intervals : r.age;
  const ageNr = age === null || age === undefined ? null : textToNr(age);
  return { start, end, nrAccesses: samples, age: ageNr === null ? null : Number(ageNr) };
}

/** aggr / sample from a record's intervals ({sample, aggr, ops_update}: µs numbers or "5 ms"), or null. */
function samplesPerAggregation(iv: unknown): number | null {
  if (!isObj(iv)) return null;
  const sample = textToUs(iv.sample);
  const aggr = textToUs(iv.aggr);
  return sample && aggr ? Math.max(1, Math.round(aggr / sample)) : null;
}

const intervalsText = (iv: Obj): string => `sample=${textToUs(iv.sample)}us aggr=${textToUs(iv.aggr)}us`;

function bad(info: TraceInfo, where: string, field: string, value: unknown, expected: string): TraceDataError {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return new TraceDataError(info.path, where, field, clipText(text), expected);
}

async function* readDamoJson(chunks: AsyncIterable<Buffer>, info: TraceInfo, options: ReadOptions) {
  info.format = DAMO_JSON;
  info.columns = DAMO_COLUMNS(options);
  const w = new EventWriter(info, options);
  const agents = hasRules(options.agentMap) ? new AgentResolver(options.agentMap) : null;
  for (const s of damoJsonSnapshots(await allBytes(chunks), info)) {
    for (const e of snapshotEvents(s, s.seq)) {
      if (agents) e.agent = agents.resolve(e.pid, -1, null, 0, 0, -1);
      w.add(e, `snapshot ${e.line}`);
      if (w.full) {
        yield w.take();
        w.batch.count = 0;
      }
    }
  }
  if (w.batch.count > 0) yield w.take();
}

/** Plain JSON records (a list whose text mentions snapshots), or zlib data (78 01 / 78 5e / 78 9c / 78 da). */
export function sniffDamoJson(head: string): boolean {
  // The sniffer sees bytes decoded as UTF-8: 0x9c and 0xda turn into U+FFFD.
  if (head.charCodeAt(0) === 0x78 && [0xfffd, 0x01, 0x5e].includes(head.charCodeAt(1))) return true;
  return /^\s*\[\s*\{/.test(head.replace(/^\uFEFF/, '')) && /"(snapshots|target_id|kdamond_idx)"\s*:/.test(head);
}

export const damoJsonReader: TraceReader = {
  name: DAMO_JSON,
  description: 'DAMON records from damo: JSON (--output_type json) or the default json_compressed (zlib)',
  producedBy: 'damo record PROGRAM (writes damon.data, json_compressed)   or   damo record --output_type json PROGRAM',
  options: ['agentMap'],
  sniff: sniffDamoJson,
  read: readDamoJson,
};
