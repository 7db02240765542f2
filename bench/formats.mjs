// Writers for `npm run bench`'s per-format inputs: the canonical `cdm-replay gen random` stream
// (src/gen/workloads.ts: seed 1, uniform pages of a 65,536-page working set at 0x7f0000000000,
// 1 in 4 a write, events alternating cpu0/cpu1, 1 µs apart) written in each other format's own
// syntax, as the tool that produces the format would print it (FORMATS.md §2, the readers in
// src/trace/*.ts and the fixtures in test/fixtures/formats). Generated, never committed: every
// writer is deterministic (same events, same bytes) and streams its output, except nsys-sqlite
// (an SQLite file is built in memory by sql.js, as its reader loads it whole).
//
// What each format can say of the stream (the rest is lost in that format, as it would be in a
// real recording):
//   lackey        " L ADDR,8" / " S ADDR,8" per access, each after its instruction's "I  ADDR,4"
//                 line (skipped by the reader); no time, no thread: all cpu0
//   pinatrace     "0xIP: R|W 0xADDR"; no time, no thread: all cpu0; "#eof" trailer
//   perf-script   perf mem samples (mem-loads / mem-stores, period 1) with -F +cpu: [000]/[001]
//                 give cpu0/cpu1, µs times
//   ftrace        page_fault_user (error_code 0x4 read, 0x6 write) on [000]/[001], µs times, an
//                 mm_page_alloc after each page's first touch (counted per node: --zoneinfo)
//   kfd-smi       GPU page fault start/end pairs of one GPU (gpu_id 5fe1 = dev0 on node 1,
//                 --device-map): KFD records the GPU's faults only, so the GPU plays the stream
//   nsys-sqlite   cpu0's events as CUDA_UM_CPU_PAGE_FAULT_EVENTS rows (op fault, cpu0), cpu1's
//                 as CUDA_UM_GPU_PAGE_FAULT_EVENTS rows of device 0 (read/write access type)
//   damo-*        DAMON's view of the stream: 1,000 regions, one page per region sampled every
//                 16,384 events, 20 samples per aggregation (damon_aggregated per region); the
//                 reader replays min(nr_accesses, 20) reads per region per snapshot, so one
//                 replayed event stands for ~74 events of the stream
// The canonical CSV's leading mmap row has no counterpart in these formats (a first touch maps
// the page), so they replay N events where the CSV replays N + 1.
import { closeSync, createWriteStream, openSync, writeFileSync, writeSync } from 'node:fs';
import { createDeflate } from 'node:zlib';
import { prng, getWorkload } from '../dist/gen/workloads.js';

export const PAGES = 65536;
const PAGE = 4096;
const BASE = 0x7f0000000000;
const STEP_NS = 1000;
const SEED = 1;

/**
 * The random workload's access events, as the numbers the writers need (no strings): page index,
 * write or not, agent cpu (0/1), time in ns. Exactly the rows of `gen random` after its mmap row.
 */
export function* randomStream(n, seed = SEED) {
  const r = prng(seed);
  const e = { i: 0, page: 0, write: false, cpu: 0, ns: 0 };
  for (let i = 0; i < n; i++) {
    e.i = i;
    e.page = Math.floor(r() * PAGES);
    e.write = r() < 0.25;
    e.cpu = i & 1;
    e.ns = (i + 1) * STEP_NS;
    yield e;
  }
}

/** Checks randomStream against the workload generator itself (its first n rows). */
export function checkStream(n = 20000) {
  const rows = getWorkload('random').rows({ seed: SEED, events: n, pages: PAGES, pageSize: PAGE, stepNs: STEP_NS });
  rows.next(); // mmap
  for (const e of randomStream(n)) {
    const want = `${e.write ? 'write' : 'read'},0x${(BASE + e.page * PAGE).toString(16)},,cpu${e.cpu},,,${e.ns}`;
    const got = rows.next().value;
    if (got !== want) throw new Error(`bench/formats.mjs: stream row ${e.i} is "${want}", gen random wrote "${got}"`);
  }
}

/** Line sink: writes lines in chunks of about 256 KiB (small enough to stay cheap for the GC). */
class Out {
  constructor(path) {
    this.fd = openSync(path, 'w');
    this.buf = '';
  }
  line(s) {
    this.buf += `${s}\n`;
    if (this.buf.length >= 1 << 18) this.flush();
  }
  flush() {
    if (this.buf.length) writeSync(this.fd, this.buf);
    this.buf = '';
  }
  close() {
    this.flush();
    closeSync(this.fd);
  }
}

const hex = (n) => n.toString(16);
const addrOf = (page) => BASE + page * PAGE;
/** An 8-byte-aligned offset inside the page, varying by event (never crossing the page). */
const offsetOf = (i) => (i * 40) & 0xff8;
/** An instruction address in a small loop body. */
const ipOf = (i) => 0x401130 + (i % 7) * 4;
/** SEC.USEC of a time, from a base in seconds. */
const usec = (baseSec, ns) => {
  const us = Math.floor(ns / 1000);
  return `${baseSec + Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
};
const pad = (s, w) => (s.length >= w ? s : ' '.repeat(w - s.length) + s);

// --- per-format writers: write(path, n) -> { events (the replay's expected count), options }

function writeLackey(path, n) {
  const o = new Out(path);
  const v = '==4242==';
  for (const l of [' Lackey, an example Valgrind tool', ' Copyright (C) 2002-2017, and GNU GPL\'d, by Nicholas Nethercote.',
    ' Using Valgrind-3.19.0 and LibVEX; rerun with -h for copyright info', ' Command: ./random', ' Parent PID: 4241', '']) o.line(v + l);
  for (const e of randomStream(n)) {
    o.line(`I  ${hex(ipOf(e.i)).padStart(8, '0')},4`);
    o.line(` ${e.write ? 'S' : 'L'} ${hex(addrOf(e.page) + offsetOf(e.i)).padStart(8, '0')},8`);
  }
  for (const l of ['', ' Counted 1 call to main()', '', ' Jccs:', '   total:         0', '   taken:         0 (0%)', '',
    ' Executed:', `   SBs entered:   ${n}`, `   guest instrs:  ${n}`, '', ' Exit code:     0']) o.line(v + l);
  o.close();
  return { events: n, options: {} };
}

function writePin(path, n) {
  const o = new Out(path);
  for (const e of randomStream(n)) o.line(`0x${hex(ipOf(e.i))}: ${e.write ? 'W' : 'R'} 0x${hex(addrOf(e.page) + offsetOf(e.i))}`);
  o.line('#eof');
  o.close();
  return { events: n, options: {} };
}

// perf script -F comm,pid,tid,cpu,time,period,event,addr,phys_addr,data_page_size,weight,data_src,ip,sym
// of a `perf mem record` (Intel PEBS event names), in perf's fixed print order.
const LOAD = 'cpu/mem-loads,ldlat=30/P:';
const STORE = '      cpu/mem-stores/P:';
const LOAD_SRC = '     40268100142 |OP LOAD|LVL L1 hit|SNP None|TLB L1 or L2 hit|LCK No|BLK  N/A';
const STORE_SRC = '       268080144 |OP STORE|LVL L1 hit|SNP N/A|TLB N/A|LCK N/A|BLK  N/A';
function writePerf(path, n) {
  const o = new Out(path);
  for (const e of randomStream(n)) {
    const a = addrOf(e.page) + offsetOf(e.i);
    const phys = 0x100000000 + ((e.page * 7919) % PAGES) * PAGE + offsetOf(e.i);
    o.line(`          random 4242/${4242 + e.cpu} [00${e.cpu}] ${usec(1000, e.ns)}:          1 ${e.write ? STORE : LOAD} ${pad(hex(a), 16)} [unknown]`
      + `${e.write ? STORE_SRC : LOAD_SRC}   ${pad(String(e.write ? 0 : 33 + (e.i % 9)), 4)} ${pad(hex(ipOf(e.i)), 16)} kernel_loop ${pad(hex(phys), 16)} 4K`);
  }
  o.close();
  return { events: n, options: {} };
}

// /sys/kernel/tracing/trace text (a 6.x kernel, no record-tgid): page_fault_user per access,
// mm_page_alloc after each page's first fault. The zoneinfo gives the pfn ranges of two nodes.
const FTRACE_HEADER = `# tracer: nop
#
# entries-in-buffer/entries-written: ENTRIES/ENTRIES   #P:2
#
#                                _-----=> irqs-off/BH-disabled
#                               / _----=> need-resched
#                              | / _---=> hardirq/softirq
#                              || / _--=> preempt-depth
#                              ||| / _-=> migrate-disable
#                              |||| /     delay
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
#              | |         |   |||||     |         |`;
const zone = (node, name, start, spanned) => `Node ${node}, zone ${pad(name, 8)}
  pages free     ${Math.floor(spanned / 2)}
        boost    0
        min      9575
        low      11968
        high     14361
        spanned  ${spanned}
        present  ${spanned}
        managed  ${spanned - 1024}
        cma      0
        protection: (0, 0, 0, 0, 0)
      nr_free_pages ${Math.floor(spanned / 2)}
  pagesets
    cpu: 0
              count: 12
              high:  378
              batch: 63
  vm stats threshold: 24
    cpu: 1
              count: 40
              high:  378
              batch: 63
  vm stats threshold: 24
  node_unreclaimable:  0
  start_pfn:           ${start}`;
function writeFtrace(path, n) {
  const zoneinfo = `${path}.zoneinfo`;
  writeFileSync(zoneinfo, `${[zone(0, 'Normal', 0x100000, 0x100000), zone(1, 'Normal', 0x200000, 0x200000)].join('\n')}\n`);
  const seen = new Uint8Array(PAGES);
  let allocs = 0;
  for (const e of randomStream(n)) if (!seen[e.page]) { seen[e.page] = 1; allocs++; }
  seen.fill(0);
  const o = new Out(path);
  o.line(FTRACE_HEADER.replaceAll('ENTRIES', String(n + allocs)));
  for (const e of randomStream(n)) {
    const pre = `          random-${4242 + e.cpu}    [00${e.cpu}] d.... ${pad(usec(1000, e.ns), 12)}: `;
    o.line(`${pre}page_fault_user: address=0x${hex(addrOf(e.page) + offsetOf(e.i))} ip=0x${hex(ipOf(e.i))} error_code=0x${e.write ? 6 : 4}`);
    if (!seen[e.page]) {
      seen[e.page] = 1;
      const pfn = 0x100000 + ((e.page * 7919) % PAGES) * 32; // spread over both nodes' zones
      o.line(`${pre.replace('d....', '.....')}mm_page_alloc: page=00000000${hex(0x53d30000 + e.page)} pfn=0x${hex(pfn)} order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_ZERO|__GFP_COMP`);
    }
  }
  o.close();
  return { events: n, options: { zoneinfo } };
}

// KFD SMI event text of one GPU (gpu_id 5fe1): PAGE_FAULT_START (7) and PAGE_FAULT_END (8, 'U':
// the GPU mapping was updated in place) per access; addresses in pages, boot-time ns.
function writeKfd(path, n) {
  const o = new Out(path);
  const t0 = 2840383800000;
  for (const e of randomStream(n)) {
    const page = hex(addrOf(e.page) / PAGE);
    o.line(`7 ${t0 + e.ns} -4242 @${page}(5fe1) ${e.write ? 'W' : 'R'}`);
    o.line(`8 ${t0 + e.ns + 700} -4242 @${page}(5fe1) U`);
  }
  o.close();
  return { events: n, options: { deviceMap: '5fe1=dev0@1,host=0' } };
}

// Nsight Systems SQLite export: the table layouts of test/fixtures/formats/nsys/make-fixture.mjs
// (the nsys "Exporter SQLite schema"), with its enums.
const NSYS_SCHEMA = `
CREATE TABLE StringIds (id INTEGER PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE META_DATA_EXPORT (name TEXT, value TEXT);
CREATE TABLE ENUM_CUDA_MEMCPY_OPER (id INTEGER NOT NULL PRIMARY KEY, name TEXT, label TEXT);
CREATE TABLE ENUM_CUDA_UNIF_MEM_ACCESS_TYPE (id INTEGER NOT NULL PRIMARY KEY, name TEXT, label TEXT);
CREATE TABLE CUDA_UM_CPU_PAGE_FAULT_EVENTS (start INTEGER NOT NULL, globalPid INTEGER NOT NULL, address INTEGER NOT NULL,
  originalFaultPc INTEGER, CpuInstruction INTEGER NOT NULL, module INTEGER NOT NULL, unresolvedFaultPc INTEGER,
  sourceFile INTEGER, sourceLine INTEGER);
CREATE TABLE CUDA_UM_GPU_PAGE_FAULT_EVENTS (start INTEGER NOT NULL, end INTEGER NOT NULL, globalPid INTEGER NOT NULL,
  deviceId INTEGER NOT NULL, address INTEGER NOT NULL, numberOfPageFaults INTEGER NOT NULL, faultAccessType INTEGER NOT NULL);
INSERT INTO ENUM_CUDA_MEMCPY_OPER VALUES (1, 'CUDA_MEMCPY_KIND_HTOD', 'Host-to-Device'), (2, 'CUDA_MEMCPY_KIND_DTOH', 'Device-to-Host'),
  (11, 'CUDA_MEMCPY_KIND_UVM_HTOD', 'Unified Host-to-Device'), (12, 'CUDA_MEMCPY_KIND_UVM_DTOH', 'Unified Device-to-Host');
INSERT INTO ENUM_CUDA_UNIF_MEM_ACCESS_TYPE VALUES (1, 'CUDA_UNIF_MEM_ACCESS_TYPE_READ', 'Read'), (2, 'CUDA_UNIF_MEM_ACCESS_TYPE_WRITE', 'Write'),
  (3, 'CUDA_UNIF_MEM_ACCESS_TYPE_ATOMIC', 'Atomic'), (4, 'CUDA_UNIF_MEM_ACCESS_TYPE_PREFETCH', 'Prefetch');
INSERT INTO META_DATA_EXPORT VALUES ('EXPORT_SCHEMA_VERSION', '3');
INSERT INTO StringIds VALUES (1, 'random_kernel(float*, int)'), (2, '/tmp/random');
`;
async function writeNsys(path, n) {
  const { default: initSqlJs } = await import('sql.js');
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  db.run(NSYS_SCHEMA);
  const T0 = 1732000000000000000n;
  const GPID = (1n << 56n) | (4242n << 24n);
  const cpu = db.prepare('INSERT INTO CUDA_UM_CPU_PAGE_FAULT_EVENTS VALUES (?, ?, ?, ?, 1, 2, 0, NULL, NULL)');
  const gpu = db.prepare('INSERT INTO CUDA_UM_GPU_PAGE_FAULT_EVENTS VALUES (?, ?, ?, 0, ?, 1, ?)');
  db.run('BEGIN');
  for (const e of randomStream(n)) {
    const t = T0 + BigInt(e.ns);
    const a = BigInt(addrOf(e.page) + offsetOf(e.i));
    if (e.cpu === 0) cpu.run([t, GPID, a, BigInt(ipOf(e.i))]);
    else gpu.run([t, t + 700n, GPID, a, e.write ? 2 : 1]);
  }
  db.run('COMMIT');
  cpu.free();
  gpu.free();
  writeFileSync(path, db.export());
  db.close();
  return { events: n, options: { deviceMap: '0=dev0@1,host=0' } };
}

// DAMON: the stream seen through DAMON's sampling (see the top of this file). Snapshots are
// produced until the replay they give reaches n events; both DAMON writers use the same ones.
const REGIONS = 1000;
const SAMPLE_EVENTS = 16384;
const SAMPLES_PER_AGGR = 20;
const MAX_READS = 20; // src/trace/damo-snapshots.ts DAMON_MAX_READS
export function* damonSnapshots(n) {
  const bounds = Array.from({ length: REGIONS + 1 }, (_, j) => Math.floor((j * PAGES) / REGIONS));
  const last = new Int32Array(PAGES).fill(-1);
  const pick = prng(2);
  const hits = new Int32Array(REGIONS);
  const age = new Int32Array(REGIONS);
  const prev = new Int32Array(REGIONS).fill(-1);
  let sample = 0;
  let inSample = 0;
  let replayed = 0;
  let seq = 0;
  // An endless stream: the same generator, long enough for any n.
  for (const e of randomStream(Number.MAX_SAFE_INTEGER)) {
    last[e.page] = sample;
    if (++inSample < SAMPLE_EVENTS) continue;
    inSample = 0;
    for (let j = 0; j < REGIONS; j++) {
      const p = bounds[j] + Math.floor(pick() * (bounds[j + 1] - bounds[j]));
      if (last[p] === sample) hits[j]++;
    }
    sample++;
    if (sample % SAMPLES_PER_AGGR !== 0) continue;
    const regions = [];
    for (let j = 0; j < REGIONS; j++) {
      age[j] = hits[j] === prev[j] ? age[j] + 1 : 0;
      prev[j] = hits[j];
      regions.push({ start: addrOf(bounds[j]), end: addrOf(bounds[j + 1]), nrAccesses: hits[j], age: age[j] });
      replayed += Math.min(hits[j], MAX_READS);
    }
    hits.fill(0);
    yield { seq: seq++, startNs: e.ns - SAMPLE_EVENTS * SAMPLES_PER_AGGR * STEP_NS, endNs: e.ns, regions, replayed };
    if (replayed >= n) return;
  }
}

/** The snapshots for n, computed once per process for both DAMON writers. */
const damonCache = new Map();
const damonList = (n) => {
  if (!damonCache.has(n)) damonCache.set(n, [...damonSnapshots(n)]);
  return damonCache.get(n);
};

const KDAMOND_NS = 82820000000000; // the snapshots' clock: a boot time, as in damo's test data
const TARGET_ID = '18446623435582458880';

function writeDamoPerf(path, n) {
  const o = new Out(path);
  let events = 0;
  for (const s of damonList(n)) {
    const head = `       kdamond.0  4452 [000] ${usec(0, KDAMOND_NS + s.endNs)}: damon:damon_aggregated: target_id=${TARGET_ID} nr_regions=${s.regions.length} `;
    for (const r of s.regions) o.line(`${head}${r.start}-${r.end}: ${r.nrAccesses} ${r.age}`);
    events = s.replayed;
  }
  o.close();
  return { events, options: {} };
}

/** damo's formatted numbers: "94,827,419,009,024", "1 m 2 s 3 ms 4 us". */
const commas = (v) => String(v).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
function fmtNs(ns) {
  const parts = [];
  let rest = Math.floor(ns / 1000);
  for (const [unit, us] of [['m', 60e6], ['s', 1e6], ['ms', 1e3], ['us', 1]]) {
    const q = Math.floor(rest / us);
    rest -= q * us;
    if (q || (unit === 'us' && parts.length === 0)) parts.push(`${q} ${unit}`);
  }
  return parts.join(' ');
}

/** damo record's default output: json_compressed (the JSON zlib-deflated), written as a stream. */
async function writeDamoJson(path, n) {
  const z = createDeflate();
  const file = createWriteStream(path);
  const done = new Promise((resolve, reject) => { file.on('finish', resolve); file.on('error', reject); z.on('error', reject); });
  z.pipe(file);
  const put = async (s) => { if (!z.write(s)) await new Promise((r) => z.once('drain', r)); };
  const sampleUs = SAMPLE_EVENTS * STEP_NS / 1000;
  await put(`[{"kdamond_idx": 0, "context_idx": 0, "intervals": {"sample": "${fmtNs(sampleUs * 1000)}", "aggr": "${fmtNs(sampleUs * SAMPLES_PER_AGGR * 1000)}", `
    + `"ops_update": "1 s"}, "scheme_idx": null, "target_id": ${TARGET_ID}, "snapshots": [`);
  let events = 0;
  for (const s of damonList(n)) {
    const regions = s.regions.map((r) => `{"start": "${commas(r.start)}", "end": "${commas(r.end)}", "nr_accesses": {"samples": ${r.nrAccesses}, `
      + `"percent": ${(r.nrAccesses * 100) / SAMPLES_PER_AGGR}}, "age": {"usec": ${r.age * sampleUs * SAMPLES_PER_AGGR}, "aggr_intervals": "${r.age}"}, "sz_filter_passed": null}`);
    await put(`${s.seq ? ', ' : ''}{"start_time": "${fmtNs(KDAMOND_NS + s.startNs)}", "end_time": "${fmtNs(KDAMOND_NS + s.endNs)}", `
      + `"total_bytes": ${PAGES * PAGE}, "regions": [${regions.join(', ')}]}`);
    events = s.replayed;
  }
  await put(']}]\n');
  z.end();
  await done;
  return { events, options: {} };
}

/**
 * Every format `cdm-replay formats` lists besides trace@1: its writer and input size (events for
 * the one-backend replay in a full run), or null with the reason it is not benchmarked.
 */
export const FORMATS = [
  { name: 'lackey', file: 'random.lackey', events: 1_000_000, write: writeLackey },
  { name: 'pinatrace', file: 'random.pinatrace', events: 1_000_000, write: writePin },
  { name: 'perf-script', file: 'random.perf-mem.txt', events: 1_000_000, write: writePerf },
  { name: 'ftrace', file: 'random.ftrace.txt', events: 1_000_000, write: writeFtrace },
  { name: 'damo-perf-script', file: 'random.damon.perf-script.txt', events: 1_000_000, write: writeDamoPerf },
  { name: 'damo-json', file: 'random.damon.json_compressed', events: 1_000_000, write: writeDamoJson },
  { name: 'nsys-sqlite', file: 'random.nsys.sqlite', events: 250_000, write: writeNsys },
  { name: 'kfd-smi', file: 'random.kfd-smi.txt', events: 1_000_000, write: writeKfd },
  { name: 'nsys-um-total-sum', skip: 'checked, not replayed: um_total_sum is whole-run totals with no per-page events (its reader yields 0 events)' },
];
