// Measures candidate CSV parsers on a generated trace@1 file, streamed in 1 MiB chunks as the
// real input layer does; each is run RUNS times (default 3) and the best run is kept, since other
// work on the machine only ever slows a run down. Run: node bench/parsers.mjs [rows] [runs]
// csv-parse and udsv are optional: install them anywhere on the resolve path to include them.
// The cdm-replay reader is measured when built (npm run build), or from CDM_DIST=/path/to/dist.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const ROWS = Number(process.argv[2] ?? 3_000_000);
const RUNS = Number(process.argv[3] ?? 3);
const CHUNK = 1 << 20;
const file = path.join(os.tmpdir(), `cdm-replay-bench-${ROWS}.csv`);

function generate() {
  const out = fs.openSync(file, 'w');
  const ops = ['read', 'write', 'read', 'fault', 'read', 'write', 'read', 'mlock'];
  let t = 1732000000123456789n;
  let lines = ['op,addr,len,time,pid,tid,agent'];
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  for (let i = 0; i < ROWS; i++) {
    t += BigInt(Math.floor(rnd() * 500));
    const page = Math.floor(rnd() * 65536);
    const addr = '0x7f' + (0x3a120000 + page).toString(16) + '000';
    const pid = 1000 + (i & 3);
    const agent = i % 16 === 0 ? 'dev0' : 'cpu' + (i & 7);
    lines.push(`${ops[i & 7]},${addr},${i % 5 === 0 ? 64 : ''},${t},${pid},${pid + (i & 1)},${agent}`);
    if (lines.length >= 65536) { fs.writeSync(out, lines.join('\n') + '\n'); lines = []; }
  }
  if (lines.length) fs.writeSync(out, lines.join('\n') + '\n');
  fs.closeSync(out);
}

const chunks = () => fs.createReadStream(file, { highWaterMark: CHUNK });

async function byteScan() {
  let n = 0;
  for await (const c of chunks()) for (let i = 0; i < c.length; i++) if (c[i] === 10) n++;
  return n - 1;
}

async function csvParse(mod) {
  let n = 0;
  const parser = chunks().pipe(mod.parse({ from_line: 2 }));
  for await (const _rec of parser) n++;
  return n;
}

async function udsv(mod) {
  let parser = null;
  let n = 0;
  const count = () => { n++; };
  for await (const c of chunks()) {
    const s = c.toString();
    parser ??= mod.initParser(mod.inferSchema(s));
    parser.chunk(s, parser.stringArrs, count);
  }
  parser.end();
  return n;
}

// The approach in src/trace/csv.ts, reduced to its core: scan bytes to each delimiter, parse
// numbers and hex straight from the bytes into typed arrays, carry partial lines across chunks.
async function handScanner() {
  const cap = 4096;
  const addrHi = new Uint32Array(cap), addrLo = new Uint32Array(cap), time = new Float64Array(cap);
  const pid = new Int32Array(cap), len = new Float64Array(cap), op = new Uint8Array(cap);
  let n = 0, total = 0, tail = null, header = true;
  const hex = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) hex[48 + i] = i;
  for (let i = 0; i < 6; i++) { hex[97 + i] = 10 + i; hex[65 + i] = 10 + i; }
  const dec = (b, s, e) => { let v = 0; for (let i = s; i < e; i++) v = v * 10 + (b[i] - 48); return v; };
  function parse(b, p, end) {
    while (p < end) {
      const nl = b.indexOf(10, p);
      if (nl < 0) return p;
      if (header) { header = false; p = nl + 1; continue; }
      const fields = [];
      let s = p;
      for (let i = p; i <= nl; i++) if (b[i] === 44 || i === nl) { fields.push(s, i); s = i + 1; }
      op[n] = b[fields[0]];
      let hi = 0, lo = 0;
      for (let i = fields[2] + 2; i < fields[3]; i++) { hi = ((hi << 4) | (lo >>> 28)) >>> 0; lo = ((lo << 4) | hex[b[i]]) >>> 0; }
      addrHi[n] = hi; addrLo[n] = lo;
      len[n] = fields[5] > fields[4] ? dec(b, fields[4], fields[5]) : NaN;
      time[n] = dec(b, fields[6], fields[7] - 9) * 1e9 + dec(b, fields[7] - 9, fields[7]);
      pid[n] = dec(b, fields[8], fields[9]);
      if (++n === cap) { total += n; n = 0; }
      p = nl + 1;
    }
    return p;
  }
  for await (const c of chunks()) {
    const data = tail ? Buffer.concat([tail, c]) : c;
    const p = parse(data, 0, data.length);
    tail = p < data.length ? Buffer.from(data.subarray(p)) : null;
  }
  return total + n;
}

async function cdmReader(dist) {
  const { openTrace } = await import(pathToFileURL(path.join(dist, 'trace', 'registry.js')).href);
  const { info, batches } = await openTrace(file);
  for await (const _b of batches) { /* count only */ }
  return info.events;
}

async function measure(name, fn, baseline) {
  let s = Infinity;
  let rows = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    rows = await fn();
    s = Math.min(s, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const rate = rows / s;
  const mb = fs.statSync(file).size / s / 1e6;
  const ratio = baseline ? `  ${(baseline / rate).toFixed(2)}x the byte scan's time` : '';
  console.log(`${name.padEnd(34)} ${(rate / 1e6).toFixed(2).padStart(6)} M rows/s ${mb.toFixed(0).padStart(5)} MB/s  (${rows} rows)${ratio}`);
  if (rows !== ROWS) console.log(`  warning: expected ${ROWS} rows`);
  return rate;
}

function optional(name) {
  for (const base of [process.cwd() + '/', import.meta.url]) {
    try { return createRequire(base)(name); } catch { /* try the next base */ }
  }
  return null;
}

if (!fs.existsSync(file)) generate();
console.log(`${ROWS} rows, ${(fs.statSync(file).size / 1e6).toFixed(0)} MB in ${file}, best of ${RUNS}, node ${process.version}, ${os.cpus().length} cpus`);
await byteScan(); // warm the page cache
const base = await measure('plain byte scan (count LF)', byteScan);
const cp = optional('csv-parse');
if (cp) await measure('csv-parse (string arrays)', () => csvParse(cp), base);
else console.log('csv-parse: not installed, skipped');
const ud = optional('udsv');
if (ud) await measure('udsv (string arrays)', () => udsv(ud), base);
else console.log('udsv: not installed, skipped');
await measure('hand byte scanner (core only)', handScanner, base);
const dist = process.env.CDM_DIST ?? new URL('../dist/', import.meta.url).pathname;
if (fs.existsSync(path.join(dist, 'trace', 'registry.js'))) {
  await measure('cdm-replay trace@1 (validated)', () => cdmReader(dist), base);
} else {
  console.log(`cdm-replay reader: ${dist} not built, skipped (npm run build, or set CDM_DIST)`);
}
