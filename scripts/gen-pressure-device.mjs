#!/usr/bin/env node
// Generates traces/pressure-device.csv.gz: a synthetic trace@1 sized for the `two-node` preset
// (node 0: 64 MiB RAM, 2 CPUs; node 1: 32 MiB device memory) that exercises the paths where
// placement designs disagree: fallback spill under pressure, page cache, explicit policies naming
// the device node, device-driven migration followed by CPU reuse (NUMA balancing), and a memcg.
//
//   node scripts/gen-pressure-device.mjs [--seed N] [--out FILE]   (default: seed 1, traces/pressure-device.csv.gz)
//
// Plain Node, no dependencies, deterministic: the same seed gives the same text. Phases and sizes
// are documented in traces/README.md; change them there too.
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const seed = Number(opt('--seed', '1'));
const out = opt('--out', 'traces/pressure-device.csv.gz');

// mulberry32: tiny, seedable and identical on every platform (Math.random is neither).
let state = seed >>> 0;
function rand() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randInt = (n) => Math.floor(rand() * n);

const KiB = 1024;
const MiB = 1024 * KiB;
const PAGE = 4 * KiB;
const MS = 1_000_000; // ns

const COLS = ['op', 'addr', 'len', 'time', 'pid', 'agent', 'kind', 'file', 'policy', 'nodes', 'memcg'];
const lines = [
  `# cdm-replay trace@1 generator=scripts/gen-pressure-device.mjs seed=${seed}`,
  '# synthetic: spill past node 0, page cache, preferred/bind to node 1, dev0 migrate then CPU reuse, memcg /job; see traces/README.md',
  COLS.join(','),
];

// The clock only moves forward: 1 us per event, phases jump ahead. Times are written at 10 us
// resolution (runs of equal times are valid and compress far better than unique ones).
let now = 0;
const tick = () => {
  const t = now - (now % 10_000);
  now += 1000;
  return t;
};
const at = (t) => {
  if (t > now) now = t;
};

const hex = (n) => `0x${n.toString(16)}`;
function ev(op, addr, len, f = {}) {
  const row = {
    op,
    addr: addr === null ? '' : hex(addr),
    len: len ?? '',
    time: tick(),
    pid: f.pid ?? 1,
    agent: f.agent ?? 'cpu0',
    kind: f.kind ?? '',
    file: f.file ?? '',
    policy: f.policy ?? '',
    nodes: f.nodes ?? '',
    memcg: f.memcg ?? '',
  };
  lines.push(COLS.map((c) => row[c]).join(','));
}

// Per-page accesses (one event a page), so the event count reflects real touch order.
function touchPages(op, base, bytes, f, step = PAGE) {
  for (let off = 0; off < bytes; off += step) ev(op, base + off, Math.min(step, bytes - off), f);
}

// pid 1: a CPU job. pid 2: a small service in memcg /job on cpu1 (node 0's second CPU).
// The device and policy phases come before the heap blows past node 0: designs that keep device
// memory out of the default zonelist (numa, cdm) have no spill target and OOM-kill pid 1 there,
// and this order lets them show the device phases first.
const P1 = { pid: 1, agent: 'cpu0' };
const P2 = { pid: 2, agent: 'cpu1', memcg: '/job' };
const DEV = { pid: 1, agent: 'dev0' };
const FILE = 0x7f1000000000; // 4 MiB file mapping (page cache), pid 1
const PREF = 0x7f2000000000; // 2 MiB allocated under set_mempolicy preferred{1}
const BOUND = 0x7f2100000000; // 2 MiB under mbind bind{1}
const SHARED = 0x7f3000000000; // 4 MiB buffer handed to the device, then back to the CPU
const HEAP = 0x7f4000000000; // 72 MiB anon heap: more than node 0's 64 MiB
const P2_HEAP = 0x7f5000000000; // pid 2's 4 MiB working set
const P2_FILE = 0x7f5100000000; // pid 2 maps the same file: shared page cache

const FILE_LEN = 4 * MiB;
const PREF_LEN = 2 * MiB;
const BOUND_LEN = 2 * MiB;
const SHARED_LEN = 4 * MiB;
const HEAP_LEN = 72 * MiB;
const FREED_LEN = 32 * MiB; // the heap's first part, freed after the spill
const P2_HEAP_LEN = 4 * MiB;
const CHUNK = 64 * KiB; // streaming reads: one event covers 16 pages

const p2Work = (n) => {
  for (let i = 0; i < n; i++) ev(rand() < 0.7 ? 'read' : 'write', P2_HEAP + randInt(P2_HEAP_LEN / 64) * 64, 8, P2);
};

// Phase 1 (0 s): pid 1 reads an input file through a file mapping; pid 2 starts in /job.
ev('mmap', FILE, FILE_LEN, { ...P1, kind: 'file', file: 'input.bin' });
touchPages('read', FILE, FILE_LEN, P1);
ev('mmap', P2_HEAP, P2_HEAP_LEN, { ...P2, kind: 'anon' });
touchPages('write', P2_HEAP, P2_HEAP_LEN, P2);

// Phase 2 (0.1 s): explicit placement naming node 1: a task policy preferred{1}, then a VMA
// bound to node 1 (requested device pages, unlike the spill to come).
at(100 * MS);
ev('set_mempolicy', null, null, { ...P1, policy: 'preferred', nodes: '1' });
ev('mmap', PREF, PREF_LEN, { ...P1, kind: 'anon' });
touchPages('write', PREF, PREF_LEN, P1);
ev('set_mempolicy', null, null, { ...P1, policy: 'default' });
ev('mmap', BOUND, BOUND_LEN, { ...P1, kind: 'anon' });
ev('mbind', BOUND, BOUND_LEN, { ...P1, policy: 'bind', nodes: '1' });
touchPages('write', BOUND, BOUND_LEN, P1);

// Phase 3 (0.2 s): the CPU prepares a buffer, the device reads it, the driver migrates it to the
// device node and the device works on it there.
at(200 * MS);
ev('mmap', SHARED, SHARED_LEN, { ...P1, kind: 'anon' });
touchPages('write', SHARED, SHARED_LEN, P1);
touchPages('read', SHARED, SHARED_LEN, DEV, CHUNK);
ev('migrate', SHARED, SHARED_LEN, { ...DEV, nodes: '1' });
for (let pass = 0; pass < 3; pass++) touchPages(pass === 2 ? 'write' : 'read', SHARED, SHARED_LEN, DEV, CHUNK);

// Phase 4 (0.3 s .. 3.2 s): the CPU consumes the results every 100 ms. Default policy, pages on
// node 1, touched from node 0: NUMA balancing (scanning about every second) should pull them back.
for (let step = 0; step < 30; step++) {
  at(300 * MS + step * 100 * MS);
  touchPages('read', SHARED, SHARED_LEN, P1, CHUNK);
  if (step % 10 === 0) touchPages('read', FILE, FILE_LEN, P1, CHUNK);
  p2Work(64);
}

// Phase 5 (3.5 s): pid 1 fills a 72 MiB heap; default-policy allocations run node 0 down to its
// low watermark and spill to node 1 (or find no fallback, by design). pid 2 keeps working.
at(3500 * MS);
ev('mmap', HEAP, HEAP_LEN, { ...P1, kind: 'anon' });
for (let off = 0; off < HEAP_LEN; off += PAGE) {
  ev('write', HEAP + off, PAGE, P1);
  if (off % (16 * PAGE) === 0) p2Work(1);
}

// Phase 6 (3.6 s): pid 1 frees the first 32 MiB of its heap, so node 0 has room again; pid 2
// maps the same input file (its pages are in the page cache, as far as reclaim left them).
at(3600 * MS);
ev('munmap', HEAP, FREED_LEN, P1);
ev('mmap', P2_FILE, FILE_LEN, { ...P2, kind: 'file', file: 'input.bin' });
touchPages('read', P2_FILE, FILE_LEN, P2, CHUNK);

// Phase 7 (3.7 s .. 7.6 s): pid 1 keeps using the rest of its heap at random: NUMA balancing
// should pull the spilled pages it touches back to node 0.
const KEPT = HEAP + FREED_LEN;
const KEPT_PAGES = (HEAP_LEN - FREED_LEN) / PAGE;
for (let step = 0; step < 40; step++) {
  at(3700 * MS + step * 100 * MS);
  for (let i = 0; i < 512; i++) ev(rand() < 0.8 ? 'read' : 'write', KEPT + randInt(KEPT_PAGES) * PAGE + randInt(PAGE / 64) * 64, 8, P1);
  if (step % 10 === 0) {
    touchPages('read', SHARED, SHARED_LEN, P1, CHUNK);
    touchPages('read', FILE, FILE_LEN, P1, CHUNK);
  }
  p2Work(64);
}

// pid 2 finishes; its footprint is still reported (as just before exit).
at(7700 * MS);
ev('exit', null, null, P2);

writeFileSync(out, gzipSync(`${lines.join('\n')}\n`, { level: 9 }));
process.stderr.write(`${out}: ${lines.length - 3} events, ${(now / 1e9).toFixed(3)} s of trace time\n`);
