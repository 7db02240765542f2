// `npm run bench`: the speed issue's measurements on this machine, against the floor of a plain
// JavaScript byte scan. Generates its inputs (`cdm-replay gen`, and bench/formats.mjs for the other
// input formats) into bench/out, prints tables and whether each target is met, and writes
// bench/results.json. Not part of `npm test`: timings belong here, never in assertions.
//   --quick          a tenth of the sizes, for a smoke run; writes bench/out/results-quick.json
//   --only=A,B       only these sections (floor, replay, memory, pages, sweep, formats); writes
//                    bench/out/results-partial.json (replay needs floor for its ratio: both run)
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { checkStream, FORMATS } from './formats.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', 'out');
mkdirSync(out, { recursive: true });
const bin = join(root, 'bin', 'cdm-replay.js');
const quick = process.argv.includes('--quick');
const M = quick ? 0.1 : 1; // --quick: a tenth of the sizes, for a smoke run
const SECTIONS = ['floor', 'replay', 'memory', 'pages', 'sweep', 'formats'];
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',').filter(Boolean)) : null;
for (const s of only ?? []) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section "${s}" (known: ${SECTIONS.join(', ')})`);
if (only?.has('replay')) only.add('floor');
const want = (s) => only === null || only.has(s);
const log = (s) => process.stderr.write(`${s}\n`);
const started = performance.now();

function gen(workload, events, pages, file) {
  const path = join(out, file);
  if (!existsSync(path)) {
    const r = spawnSync(process.execPath, [bin, 'gen', workload, '--events', String(events), '--pages', String(pages), '--out', `${path}.tmp`], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`gen ${workload} failed`);
    renameSync(`${path}.tmp`, path);
  }
  return path;
}

/** The floor: plain JavaScript looking at every byte of the file, streamed in 1 MiB chunks (counts rows). */
async function byteScan(path) {
  const t0 = performance.now();
  let rows = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) rows++;
  }
  return { rows, ms: performance.now() - t0 };
}

/** Informational: the same count with Buffer.indexOf (native memchr), faster than any JS loop. */
async function newlineSearch(path) {
  const t0 = performance.now();
  let rows = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rows++;
  }
  return { rows, ms: performance.now() - t0 };
}

async function csvParse(path) {
  const { parse } = await import('csv-parse');
  const t0 = performance.now();
  let rows = 0;
  const parser = createReadStream(path).pipe(parse({ comment: '#', relax_column_count: true }));
  for await (const _ of parser) rows++;
  return { rows, ms: performance.now() - t0 };
}

function child(trace, backends, sets = [], inputFormat = undefined, traceOptions = undefined, threads = undefined) {
  const args = [join(root, 'bench', 'replay-child.mjs'), trace, backends];
  for (const s of sets) args.push('--set', s);
  if (threads !== undefined) args.push('--threads', String(threads));
  if (inputFormat) args.push('--input-format', inputFormat);
  if (traceOptions) args.push('--trace-options', JSON.stringify(traceOptions));
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`replay failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const best = (n, f) => { let b = null; for (let i = 0; i < n; i++) { const r = f(); if (!b || r.ms < b.ms) b = r; } return b; };
const bestAsync = async (n, f) => { let b = null; for (let i = 0; i < n; i++) { const r = await f(); if (!b || r.ms < b.ms) b = r; } return b; };
const rate = (events, ms) => Math.round(events / (ms / 1000));
const mib = (bytes) => +(bytes / 2 ** 20).toFixed(1);
const mibText = (v) => v.toFixed(1);
// Big machine, so the workload never hits reclaim: the benchmark measures the replay path.
const BIG = ['nodes.0.capacity=16GiB', 'nodes.1.capacity=8GiB', 'kernel.numaBalancing=0'];

const results = { date: new Date().toISOString().slice(0, 10), quick, machine: {
  cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.type()} ${os.release()}`,
} };

const e2 = Math.round(2e6 * M), e8 = Math.round(8e6 * M);
const needCsv = want('floor') || want('replay') || want('memory') || want('sweep');
const csv2 = needCsv ? gen('random', e2, 65536, `random-${e2}.csv`) : null;
if (csv2) log(`input: ${csv2} (${(statSync(csv2).size / 2 ** 20).toFixed(0)} MiB)`);

if (want('floor')) {
  const scan = await bestAsync(3, () => byteScan(csv2));
  const search = await bestAsync(3, () => newlineSearch(csv2));
  results.floor = { byteScanRowsPerSec: rate(scan.rows, scan.ms), newlineSearchRowsPerSec: rate(search.rows, search.ms) };
  try {
    const cp = await csvParse(csv2);
    results.floor.csvParseRowsPerSec = rate(cp.rows, cp.ms);
  } catch (e) {
    results.floor.csvParseRowsPerSec = null;
    log(`csv-parse skipped: ${e.message}`);
  }
}

// One backend, all four, and one backend in one thread, interleaved five times, best of each: the
// VM's neighbours come and go, and a burst should not land on one of the three alone.
const keep = (a, b) => (!a || b.ms < a.ms ? b : a);
let one = null;
let all = null;
let oneThread = null;
if (want('replay') || want('memory')) {
  for (let i = 0; i < (want('replay') ? 5 : 3); i++) {
    one = keep(one, child(csv2, 'mainline', BIG));
    if (!want('replay')) continue;
    all = keep(all, child(csv2, 'all', BIG));
    oneThread = keep(oneThread, child(csv2, 'mainline', BIG, undefined, undefined, 1));
  }
}
// The same on the 8M-event trace: users' traces are long, and there the fixed cost of a replay
// (workers' start, JIT warm-up, the report) weighs a quarter as much. The two lengths also give
// the sustained rate (the slope: extra events over extra time) and the fixed cost (what the 2M
// replay took beyond its events at that rate).
let longOne = null;
let longAll = null;
if (want('replay')) {
  const csv8 = gen('random', e8, 65536, `random-${e8}.csv`);
  for (let i = 0; i < 3; i++) {
    longOne = keep(longOne, child(csv8, 'mainline', BIG));
    longAll = keep(longAll, child(csv8, 'all', BIG));
  }
}
if (want('replay')) {
  const slope = (longOne.events - one.events) / (longOne.ms - one.ms); // events per ms
  results.replay = {
    events: one.events,
    oneBackendEventsPerSec: rate(one.events, one.ms),
    oneBackendOneThreadEventsPerSec: rate(oneThread.events, oneThread.ms),
    allBackendsEventsPerSec: rate(all.events, all.ms),
    // The floor's rate over one backend's: how many times the floor's time a replay takes.
    oneBackendVsFloor: +(results.floor.byteScanRowsPerSec / rate(one.events, one.ms)).toFixed(2),
    allVsOne: +(all.ms / one.ms).toFixed(2),
    allBackendsPeakRssMiB: mib(all.maxRssBytes),
    long: {
      events: longOne.events,
      oneBackendEventsPerSec: rate(longOne.events, longOne.ms),
      allBackendsEventsPerSec: rate(longAll.events, longAll.ms),
      oneBackendVsFloor: +(results.floor.byteScanRowsPerSec / rate(longOne.events, longOne.ms)).toFixed(2),
      allVsOne: +(longAll.ms / longOne.ms).toFixed(2),
    },
    // One backend: events/s once started, and the time a replay costs whatever its length.
    oneBackendSustainedEventsPerSec: slope > 0 ? Math.round(slope * 1000) : null,
    oneBackendFixedCostMs: slope > 0 ? Math.round(one.ms - one.events / slope) : null,
  };
}

if (want('memory')) {
  // Both in one thread: --threads auto turns worker threads on from 32 MiB of input, whose fixed
  // memory (a second heap, batches in flight) would otherwise be counted as growth with length.
  const csv8 = gen('random', e8, 65536, `random-${e8}.csv`);
  const r2 = child(csv2, 'mainline', BIG, undefined, undefined, 1);
  const r8 = child(csv8, 'mainline', BIG, undefined, undefined, 1);
  const r8auto = child(csv8, 'mainline', BIG);
  results.memory = {
    peakRssMiB2M: mib(r2.maxRssBytes),
    peakRssMiB8M: mib(r8.maxRssBytes),
    ratio8Mto2M: +(r8.maxRssBytes / r2.maxRssBytes).toFixed(2),
    peakRssMiB8MThreadsAuto: mib(r8auto.maxRssBytes),
  };
}

// Bytes per touched page: the RSS slope between two working sets with the same event count.
if (want('pages')) {
  const small = gen('stream', Math.round(400000 * M), Math.round(100000 * M), `stream-small-${M}.csv`);
  const large = gen('stream', Math.round(400000 * M), Math.round(400000 * M), `stream-large-${M}.csv`);
  results.bytesPerPage = {};
  for (const b of ['mainline', 'numa', 'cdm', 'hmm']) {
    try {
      const s = child(small, b, BIG), l = child(large, b, BIG);
      results.bytesPerPage[b] = Math.round((l.maxRssBytes - s.maxRssBytes) / (l.resident[0] - s.resident[0]));
    } catch (e) {
      results.bytesPerPage[b] = null;
      log(`bytes per page for ${b} skipped: ${e.message.split('\n')[0]}`);
    }
  }
}

// Sweep throughput with 1 and 2 workers. The sweep is one a CDM study would run: the four designs
// on a host node smaller than the workload's 256 MiB (mainline spills onto the device, the others
// reclaim and swap) and on one that holds it all: 8 runs of very different cost. Each --jobs value
// is timed three times, interleaved, best kept (the VM's neighbours are noisy).
if (want('sweep')) {
  const spec = join(out, 'sweep.yaml');
  writeFileSync(join(out, 'sweep-base.yaml'), [
    'nodes:', '  - { id: 0, kind: cpu, capacity: 16GiB, cpus: 2 }', '  - { id: 1, kind: device, capacity: 8GiB }',
    'swap: 1GiB', 'kernel: { numaBalancing: 0 }', '',
  ].join('\n'));
  writeFileSync(spec, `traces: [${csv2}]\nbackends: [mainline, numa, cdm, hmm]\npreset: two-node\nconfig: sweep-base.yaml\ngrid:\n  nodes.0.capacity: [192MiB, 16GiB]\n`);
  const time = (jobs) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [bin, 'sweep', spec, '--jobs', String(jobs), '--out', join(out, `sweep-${jobs}`)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return performance.now() - t0;
  };
  let t1 = Infinity, t2 = Infinity;
  for (let i = 0; i < 3; i++) {
    t1 = Math.min(t1, time(1));
    t2 = Math.min(t2, time(2));
  }
  // For scale: the two halves --jobs 2 deals (runs 0,2,4,6 and 1,3,5,7: mainline and cdm, numa
  // and hmm) as two 1-worker sweeps at once, two processes sharing nothing: what two workers give
  // with no coordination at all on this machine.
  const half = (tag, backends) => {
    const path = join(out, `sweep-half-${tag}.yaml`);
    writeFileSync(path, `traces: [${csv2}]\nbackends: [${backends}]\npreset: two-node\nconfig: sweep-base.yaml\ngrid:\n  nodes.0.capacity: [192MiB, 16GiB]\n`);
    return path;
  };
  const halves = [half('a', 'mainline, cdm'), half('b', 'numa, hmm')];
  let pair = Infinity;
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    await Promise.all(halves.map((path, k) => new Promise((resolve, reject) => {
      const c = spawn(process.execPath, [bin, 'sweep', path, '--jobs', '1', '--out', join(out, `sweep-half-${k}`)], { stdio: 'ignore' });
      c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sweep exited ${code}`))));
    })));
    pair = Math.min(pair, performance.now() - t0);
  }
  results.sweep = {
    runs: 8, oneWorkerMs: Math.round(t1), twoWorkersMs: Math.round(t2), speedup: +(t1 / t2).toFixed(2),
    independentHalvesSpeedup: +(t1 / pair).toFixed(2),
  };
}

// Every other input format: the same random workload in its syntax (bench/formats.mjs), one
// backend and all backends in one pass, best of 2 each (the inputs are a few seconds' work).
if (want('formats')) {
  checkStream();
  const version = createHash('sha256').update(readFileSync(join(root, 'bench', 'formats.mjs'))).digest('hex').slice(0, 8);
  results.formats = {};
  for (const f of FORMATS) {
    if (f.skip) {
      results.formats[f.name] = null;
      results.formatsSkipped = { ...results.formatsSkipped, [f.name]: f.skip };
      continue;
    }
    const n = Math.round(f.events * M);
    // Inputs are cached by the writers' source hash and size; the expected count beside them.
    const path = join(out, `${version}-${n}-${f.file}`);
    const metaPath = `${path}.json`;
    let w;
    if (existsSync(path) && existsSync(metaPath)) w = JSON.parse(readFileSync(metaPath, 'utf8'));
    else {
      const t0 = performance.now();
      w = await f.write(path, n);
      writeFileSync(metaPath, JSON.stringify(w));
      log(`generated ${f.name}: ${(statSync(path).size / 2 ** 20).toFixed(1)} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const run = (b) => child(path, b, BIG, f.name, w.options);
    const o = best(2, () => run('mainline'));
    const a = best(2, () => run('all'));
    for (const r of [o, a]) {
      // Each input must replay whole and cleanly: a mismatch is a writer (or reader) bug.
      if (r.events !== w.events) throw new Error(`${f.name}: replayed ${r.events} events, the writer wrote ${w.events}`);
      if (r.warnings.length) throw new Error(`${f.name}: the replay warned: ${r.warnings.join('; ')}`);
    }
    results.formats[f.name] = {
      events: o.events,
      fileMiB: mib(statSync(path).size),
      oneBackendEventsPerSec: rate(o.events, o.ms),
      allBackendsEventsPerSec: rate(a.events, a.ms),
      peakRssMiB: mib(o.maxRssBytes),
      allBackendsPeakRssMiB: mib(a.maxRssBytes),
    };
  }
}

// The issue's targets, each with what it needs and whether this run meets it.
const targets = [];
const target = (name, goal, value, met) => targets.push({ name, target: goal, value, met });
if (results.replay) {
  const r = results.replay;
  const ev = (n) => (n >= 1e6 ? `${Math.round(n / 1e6)}M events` : `${Math.round(n / 1e3)}k events`);
  for (const [x, n] of [[r, r.events], [r.long, r.long.events]]) {
    target(`one backend vs floor (${ev(n)})`, '≤ 3× the floor\'s time', `${x.oneBackendVsFloor}×`, x.oneBackendVsFloor <= 3);
    target(`one backend events/s (${ev(n)})`, '≥ 4,000,000 events/s', x.oneBackendEventsPerSec.toLocaleString('en-US'), x.oneBackendEventsPerSec >= 4e6);
    target(`all backends vs one (${ev(n)})`, '≤ 2.5× one backend\'s time', `${x.allVsOne}×`, x.allVsOne <= 2.5);
  }
}
if (results.memory) target('peak RSS 8M vs 2M events', '≤ 1.3×', `${results.memory.ratio8Mto2M}×`, results.memory.ratio8Mto2M <= 1.3);
if (results.bytesPerPage) {
  for (const [b, v] of Object.entries(results.bytesPerPage)) target(`bytes per touched page (${b})`, '< 100', v === null ? 'n/a' : String(v), v !== null && v < 100);
}
if (results.sweep) target('sweep speed-up 1 → 2 workers', '≥ 1.7×', `${results.sweep.speedup}×`, results.sweep.speedup >= 1.7);
results.targets = targets;

const file = quick ? 'out/results-quick.json' : only ? 'out/results-partial.json' : 'results.json';
writeFileSync(join(root, 'bench', file), `${JSON.stringify(results, null, 2)}\n`);

const f = (n) => (n === null || n === undefined ? 'n/a' : n.toLocaleString('en-US'));
console.log(`machine: ${results.machine.cpu}, ${results.machine.cores} cores, ${results.machine.memoryGiB} GiB, Node ${results.machine.node}${quick ? ' (--quick: tenth sizes)' : ''}`);
if (results.floor) {
  console.log(`floor: JS byte loop ${f(results.floor.byteScanRowsPerSec)} rows/s; csv-parse ${f(results.floor.csvParseRowsPerSec)} rows/s; `
    + `(informational: Buffer.indexOf newline search ${f(results.floor.newlineSearchRowsPerSec)} rows/s)`);
}
if (results.replay) {
  console.log(`replay (canonical CSV, ${f(results.replay.events)} events): one backend ${f(results.replay.oneBackendEventsPerSec)} events/s (${results.replay.oneBackendVsFloor}× the floor's time; `
    + `${f(results.replay.oneBackendOneThreadEventsPerSec)} events/s with --threads 1); `
    + `all backends ${f(results.replay.allBackendsEventsPerSec)} events/s (${results.replay.allVsOne}× one backend's time)`);
  const l = results.replay.long;
  console.log(`replay (canonical CSV, ${f(l.events)} events): one backend ${f(l.oneBackendEventsPerSec)} events/s (${l.oneBackendVsFloor}× the floor's time); `
    + `all backends ${f(l.allBackendsEventsPerSec)} events/s (${l.allVsOne}× one backend's time); one backend once started `
    + `${f(results.replay.oneBackendSustainedEventsPerSec)} events/s, plus ${f(results.replay.oneBackendFixedCostMs)} ms a replay whatever its length`);
}
if (results.memory) console.log(`peak RSS (one thread): ${results.memory.peakRssMiB2M} MiB at ${f(e2)} events, ${results.memory.peakRssMiB8M} MiB at ${f(e8)} (${results.memory.ratio8Mto2M}×); ${results.memory.peakRssMiB8MThreadsAuto} MiB at ${f(e8)} with --threads auto (reader + worker)`);
if (results.bytesPerPage) console.log(`bytes per touched page: ${Object.entries(results.bytesPerPage).map(([k, v]) => `${k} ${f(v)}`).join(', ')}`);
if ('sweep' in results) {
  console.log(`sweep of 8 runs: 1 worker ${f(results.sweep.oneWorkerMs)} ms, 2 workers ${f(results.sweep.twoWorkersMs)} ms (${results.sweep.speedup}×); `
    + `its two halves as independent processes at once: ${results.sweep.independentHalvesSpeedup}×`);
}
if (results.formats) {
  const rows = [['format', 'events', 'file MiB', 'one backend ev/s', 'all backends ev/s', 'peak RSS MiB (one / all)']];
  if (results.replay && results.memory) {
    rows.push(['trace@1 (canonical CSV)', f(results.replay.events), mibText(mib(statSync(csv2).size)), f(results.replay.oneBackendEventsPerSec),
      f(results.replay.allBackendsEventsPerSec), `${results.memory.peakRssMiB2M} / ${results.replay.allBackendsPeakRssMiB}`]);
  }
  for (const [name, r] of Object.entries(results.formats)) {
    rows.push(r ? [name, f(r.events), mibText(r.fileMiB), f(r.oneBackendEventsPerSec), f(r.allBackendsEventsPerSec), `${r.peakRssMiB} / ${r.allBackendsPeakRssMiB}`]
      : [name, '-', '-', '-', '-', 'not measured (results.json formatsSkipped says why)']);
  }
  const width = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  console.log('input formats (the random workload in each format\'s syntax; bench/formats.mjs):');
  for (const r of rows) console.log(`  ${r.map((v, c) => (c === 0 ? v.padEnd(width[c]) : c === r.length - 1 ? v : v.padStart(width[c]))).join('  ')}`);
}
if (targets.length) {
  console.log('targets (speed issue):');
  for (const t of targets) console.log(`  ${t.met ? '✓' : '✗'} ${t.name}: ${t.value} (target ${t.target})`);
}
console.log(`bench took ${Math.round((performance.now() - started) / 1000)} s (inputs generated this run included)`);
