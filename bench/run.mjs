// `npm run bench`: the speed issue's measurements on this machine, against the floor of a plain
// byte scan. Generates its inputs with `cdm-replay gen`, writes bench/results.json and prints a
// table. Not part of `npm test`: timings belong here, never in assertions.
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', 'out');
mkdirSync(out, { recursive: true });
const bin = join(root, 'bin', 'cdm-replay.js');
const quick = process.argv.includes('--quick');
const M = quick ? 0.1 : 1; // --quick: a tenth of the sizes, for a smoke run

function gen(workload, events, pages, file) {
  const path = join(out, file);
  if (!existsSync(path)) {
    const r = spawnSync(process.execPath, [bin, 'gen', workload, '--events', String(events), '--pages', String(pages), '--out', path], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`gen ${workload} failed`);
  }
  return path;
}

/** The floor: the fastest plain JavaScript pass over the bytes (count rows). */
async function byteScan(path) {
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

function child(trace, backends, sets = []) {
  const args = [join(root, 'bench', 'replay-child.mjs'), trace, backends];
  for (const s of sets) args.push('--set', s);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`replay failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const best = (n, f) => { let b = null; for (let i = 0; i < n; i++) { const r = f(); if (!b || r.ms < b.ms) b = r; } return b; };
const rate = (events, ms) => Math.round(events / (ms / 1000));
// Big machine, so the workload never hits reclaim: the benchmark measures the replay path.
const BIG = ['nodes.0.capacity=16GiB', 'nodes.1.capacity=8GiB', 'kernel.numaBalancing=0'];

const results = { date: new Date().toISOString().slice(0, 10), machine: {
  cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.type()} ${os.release()}`,
} };

const e2 = Math.round(2e6 * M), e8 = Math.round(8e6 * M);
const csv2 = gen('random', e2, 65536, `random-${e2}.csv`);
const csv8 = gen('random', e8, 65536, `random-${e8}.csv`);
console.error(`inputs: ${csv2} (${(statSync(csv2).size / 2 ** 20).toFixed(0)} MiB), ${csv8}`);

const floor = [];
for (let i = 0; i < 3; i++) floor.push(await byteScan(csv2));
const scan = floor.sort((a, b) => a.ms - b.ms)[0];
results.floor = { byteScanRowsPerSec: rate(scan.rows, scan.ms) };
try {
  const cp = await csvParse(csv2);
  results.floor.csvParseRowsPerSec = rate(cp.rows, cp.ms);
} catch (e) {
  results.floor.csvParseRowsPerSec = null;
  console.error(`csv-parse skipped: ${e.message}`);
}

const one = best(3, () => child(csv2, 'mainline', BIG));
const all = best(3, () => child(csv2, 'all', BIG));
results.replay = {
  oneBackendEventsPerSec: rate(one.events, one.ms),
  allBackendsEventsPerSec: rate(all.events, all.ms),
  oneBackendVsFloor: +(results.floor.byteScanRowsPerSec / rate(one.events, one.ms)).toFixed(2),
  allVsOne: +(all.ms / one.ms).toFixed(2),
};
const r8 = child(csv8, 'mainline', BIG);
results.memory = {
  peakRssMiB2M: +(one.maxRssBytes / 2 ** 20).toFixed(1),
  peakRssMiB8M: +(r8.maxRssBytes / 2 ** 20).toFixed(1),
  ratio8Mto2M: +(r8.maxRssBytes / one.maxRssBytes).toFixed(2),
};

// Bytes per touched page: the RSS slope between two working sets with the same event count.
const small = gen('stream', Math.round(400000 * M), Math.round(100000 * M), `stream-small.csv`);
const large = gen('stream', Math.round(400000 * M), Math.round(400000 * M), `stream-large.csv`);
results.bytesPerPage = {};
for (const b of ['mainline', 'numa', 'cdm', 'hmm']) {
  try {
    const s = child(small, b, BIG), l = child(large, b, BIG);
    results.bytesPerPage[b] = Math.round((l.maxRssBytes - s.maxRssBytes) / (l.resident[0] - s.resident[0]));
  } catch (e) {
    results.bytesPerPage[b] = null;
    console.error(`bytes per page for ${b} skipped: ${e.message.split('\n')[0]}`);
  }
}

// Sweep throughput with 1 and 2 workers, when the sweep command exists.
results.sweep = null;
if (existsSync(join(root, 'dist', 'sweep'))) {
  const spec = join(out, 'sweep.yaml');
  writeFileSync(spec, `traces: [${csv2}]\nbackends: [mainline]\ngrid:\n  kernel.swappiness: [10, 20, 30, 40, 50, 60, 70, 80]\n`);
  const time = (jobs) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [bin, 'sweep', spec, '--jobs', String(jobs), '--out', join(out, `sweep-${jobs}`)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return performance.now() - t0;
  };
  const t1 = time(1), t2 = time(2);
  results.sweep = { runs: 8, oneWorkerMs: Math.round(t1), twoWorkersMs: Math.round(t2), speedup: +(t1 / t2).toFixed(2) };
}

writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
const f = (n) => (n === null || n === undefined ? 'n/a' : n.toLocaleString('en-US'));
console.log(`machine: ${results.machine.cpu}, ${results.machine.cores} cores, ${results.machine.memoryGiB} GiB, Node ${results.machine.node}`);
console.log(`floor: byte scan ${f(results.floor.byteScanRowsPerSec)} rows/s; csv-parse ${f(results.floor.csvParseRowsPerSec)} rows/s`);
console.log(`replay (canonical CSV, ${f(e2)} events): one backend ${f(results.replay.oneBackendEventsPerSec)} events/s (${results.replay.oneBackendVsFloor}x the floor); all backends ${f(results.replay.allBackendsEventsPerSec)} events/s (${results.replay.allVsOne}x one backend's time)`);
console.log(`peak RSS: ${results.memory.peakRssMiB2M} MiB at ${f(e2)} events, ${results.memory.peakRssMiB8M} MiB at ${f(e8)} (${results.memory.ratio8Mto2M}x)`);
console.log(`bytes per touched page: ${Object.entries(results.bytesPerPage).map(([k, v]) => `${k} ${f(v)}`).join(', ')}`);
console.log(results.sweep ? `sweep of 8 runs: 1 worker ${f(results.sweep.oneWorkerMs)} ms, 2 workers ${f(results.sweep.twoWorkersMs)} ms (${results.sweep.speedup}x)` : 'sweep: not built yet');
