// DAMON results as text of the `damon:damon_aggregated` tracepoint (FORMATS §2.4a): what
// `perf script` prints for a damo recording (damo's own parser: src/_damo_records.py), and the
// same event captured with ftrace / trace-cmd. Streamed line by line. Per region line:
//   <comm> <pid> [<cpu>] <secs>: damon:damon_aggregated: target_id=<id> nr_regions=<n> <start>-<end>: <nr_accesses> [<age>]
// (perf script, 9 fields, 10 with age on newer kernels) or the ftrace prefix
//   <comm>-<pid> [<cpu>] <flags> <secs>: damon_aggregated: ...
// A snapshot of a target ends when nr_regions of its regions have been read (as damo does).
import { TraceDataError } from '../errors.js';
import type { ReadOptions, TraceInfo, TraceReader } from './events.js';
import { AgentResolver, hasRules } from './agent-map.js';
import { clipText, EventWriter, skip } from './event-writer.js';
import { DAMO_COLUMNS, isFakeSnapshot, snapshotEvents, type DamonRegion, type DamonSnapshot } from './damo-snapshots.js';
import { textLines } from './text-lines.js';

export const DAMO_PERF_SCRIPT = 'damo-perf-script';

/** "<secs>: [damon:]<event>: <fields>", anywhere after the comm/pid/cpu prefix. */
const EVENT = /(?:^|\s)(\d+)\.(\d+):\s+(damon:)?(damon_aggregated|damos_before_apply):(.*)$/;
const FIELDS = /^\s*target_id=(\d+)\s+nr_regions=(\d+)\s+(\d+)-(\d+):\s+(\d+)(?:\s+(\d+))?\s*$/;

interface Target {
  index: number;
  /** Snapshots completed so far. */
  seq: number;
  /** End time of the last snapshot (the next one's start). */
  lastEnd: bigint | null;
  pending: (DamonSnapshot & { nrRegions: number }) | null;
}

/** "82820.952659" as nanoseconds (fraction truncated below 1 ns). */
const secondsToNs = (whole: string, frac: string): bigint => BigInt(whole) * 1_000_000_000n + BigInt(frac.slice(0, 9).padEnd(9, '0'));

/** Snapshots in completion order; fills info.skipped and info.meta. Shared with the golden test. */
export async function* perfScriptSnapshots(chunks: AsyncIterable<Buffer>, info: TraceInfo): AsyncGenerator<DamonSnapshot & { seq: number }> {
  const targets = new Map<string, Target>();
  let incomplete = 0;
  let variant = '';
  const finish = (t: Target) => {
    const s = t.pending as DamonSnapshot & { nrRegions: number };
    t.pending = null;
    if (s.regions.length < s.nrRegions) incomplete++;
    if (isFakeSnapshot(s.regions)) {
      skip(info, 'damon fake snapshot (damo placeholder)', s.regions.length);
      return null;
    }
    return { ...s, seq: t.seq++ };
  };
  for await (const { text, no } of textLines(chunks, info.path)) {
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const m = EVENT.exec(text);
    if (!m) {
      if (/damon_aggregated/.test(text)) {
        throw new TraceDataError(info.path, `${no}`, 'line', clipText(trimmed),
          'is not a damon_aggregated event (expected "<comm> <pid> [<cpu>] <seconds>: damon:damon_aggregated: target_id=...")');
      }
      skip(info, 'not a damon_aggregated event');
      continue;
    }
    if (m[4] === 'damos_before_apply') {
      skip(info, 'damos_before_apply (a DAMOS action, not a monitoring snapshot)');
      continue;
    }
    variant ||= m[3] ? 'perf-script' : 'ftrace';
    const f = FIELDS.exec(m[5]);
    if (!f || BigInt(f[3]) >= BigInt(f[4]) || f[2] === '0') {
      throw new TraceDataError(info.path, `${no}`, 'damon_aggregated fields', clipText(m[5].trim()),
        'is not "target_id=<n> nr_regions=<n> <start>-<end>: <nr_accesses> [<age>]" (expected decimal numbers, start < end, nr_regions > 0)');
    }
    const time = secondsToNs(m[1], m[2]);
    const nrRegions = Number(f[2]);
    let t = targets.get(f[1]);
    if (!t) targets.set(f[1], (t = { index: targets.size, seq: 0, lastEnd: null, pending: null }));
    if (t.lastEnd !== null && t.lastEnd > time) {
      throw new TraceDataError(info.path, `${no}`, 'time', `${m[1]}.${m[2]}`,
        `is not time-sorted (expected >= the target's previous snapshot at ${t.lastEnd} ns)`);
    }
    // A line of another aggregation before this one completed: events were lost; keep what came.
    if (t.pending && (t.pending.end !== time || t.pending.nrRegions !== nrRegions)) {
      const done = finish(t);
      if (done) yield done;
    }
    if (!t.pending) {
      t.pending = { target: t.index, targetId: f[1], start: t.lastEnd, end: time, regions: [], line: no, nrRegions };
      t.lastEnd = time;
    }
    const region: DamonRegion = { start: BigInt(f[3]), end: BigInt(f[4]), nrAccesses: Number(f[5]), age: f[6] === undefined ? null : Number(f[6]) };
    t.pending.regions.push(region);
    if (t.pending.regions.length === nrRegions) {
      const done = finish(t);
      if (done) yield done;
    }
  }
  const rest = [...targets.values()].filter((t) => t.pending !== null)
    .sort((a, b) => (a.pending!.end < b.pending!.end ? -1 : a.pending!.end > b.pending!.end ? 1 : a.index - b.index));
  for (const t of rest) {
    const done = finish(t);
    if (done) yield done;
  }
  info.meta['damon.variant'] = variant || 'perf-script';
  info.meta['damon.targets'] = String(targets.size);
  if (incomplete > 0) info.meta['damon.incomplete_snapshots'] = String(incomplete);
}

async function* readPerfScript(chunks: AsyncIterable<Buffer>, info: TraceInfo, options: ReadOptions) {
  info.format = DAMO_PERF_SCRIPT;
  info.columns = DAMO_COLUMNS(options);
  const w = new EventWriter(info, options);
  const agents = hasRules(options.agentMap) ? new AgentResolver(options.agentMap) : null;
  let snapshots = 0;
  for await (const s of perfScriptSnapshots(chunks, info)) {
    snapshots++;
    for (const e of snapshotEvents(s, s.seq)) {
      if (agents) e.agent = agents.resolve(e.pid, -1, null, 0, 0, -1);
      w.add(e, `${e.line}`);
      if (w.full) {
        yield w.take();
        w.batch.count = 0;
      }
    }
  }
  info.meta['damon.snapshots'] = String(snapshots);
  if (w.batch.count > 0) yield w.take();
}

export function sniffDamoPerfScript(head: string): boolean {
  return /\s\d+\.\d+:\s+(damon:)?damon_aggregated:\s+target_id=\d+ nr_regions=\d+ /.test(head);
}

export const damoPerfScriptReader: TraceReader = {
  name: DAMO_PERF_SCRIPT,
  description: 'DAMON damon_aggregated tracepoint text: `perf script` of a damo recording, or ftrace/trace-cmd',
  producedBy: 'damo record --output_type perf_script PROGRAM   or   perf record -e damon:damon_aggregated -a; perf script > damon.txt   or   ' +
    'trace-cmd record -e damon:damon_aggregated; trace-cmd report > damon.txt',
  options: ['agentMap'],
  sniff: sniffDamoPerfScript,
  copiesChunks: true, // textLines decodes each chunk to strings; nothing else sees the bytes
  read: readPerfScript,
};
