#!/usr/bin/env node
// Converts valgrind lackey output (`valgrind --tool=lackey --trace-mem=yes`) to cdm-replay trace@1
// CSV (op,addr,len), streaming, so a multi-GB lackey log never has to sit on disk or in memory.
//
//   node scripts/lackey-to-trace.mjs [IN|-] [--out FILE[.gz]] [--limit N] [--keep-instr] [--meta k=v ...]
//
// Mapping: L -> read, S -> write, M (load+store of one location) -> write; I (instruction fetch)
// is dropped unless --keep-instr, which emits it as a read. `==PID==` banners and anything else
// not an access line are skipped. No time column: the replayer then spaces events timing.eventNs
// (1000 ns) apart. --limit N keeps the first N emitted accesses but still drains the input (so
// valgrind upstream is not killed by SIGPIPE) and reports the full count on stderr.
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGzip } from 'node:zlib';
import { once } from 'node:events';

const args = process.argv.slice(2);
let input = '-';
let out = null;
let limit = Infinity;
let keepInstr = false;
const meta = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--out') out = args[++i];
  else if (a === '--limit') limit = Number(args[++i]);
  else if (a === '--keep-instr') keepInstr = true;
  else if (a === '--meta') meta.push(args[++i]);
  else if (a === '-h' || a === '--help') {
    process.stdout.write('usage: lackey-to-trace.mjs [IN|-] [--out FILE[.gz]] [--limit N] [--keep-instr] [--meta key=value ...]\n');
    process.exit(0);
  } else if (a.startsWith('--')) {
    process.stderr.write(`lackey-to-trace: unknown option ${a}\n`);
    process.exit(2);
  } else input = a;
}
if (!(limit >= 0)) {
  process.stderr.write('lackey-to-trace: --limit needs a non-negative number\n');
  process.exit(2);
}
for (const m of meta) {
  if (!/^[^\s=]+=\S*$/.test(m)) {
    process.stderr.write(`lackey-to-trace: --meta ${m}: expected key=value without spaces\n`);
    process.exit(2);
  }
}

const src = input === '-' ? process.stdin : createReadStream(input);
let sink = process.stdout;
let file = null;
if (out) {
  file = createWriteStream(out);
  if (out.endsWith('.gz')) {
    sink = createGzip({ level: 9 });
    sink.pipe(file);
  } else sink = file;
}

// Batch writes: one write() per line would dominate the run time.
let buf = [];
async function emit(line) {
  buf.push(line);
  if (buf.length >= 4096) await flush();
}
async function flush() {
  if (buf.length === 0) return;
  const ok = sink.write(`${buf.join('\n')}\n`);
  buf = [];
  if (!ok) await once(sink, 'drain');
}

// Lackey prints `I  %08lx,%lu` and ` X %08lx,%lu` (X = L, S, M); anything else is not an access.
const ACCESS = /^(?:I {2}| ([LSM]) )([0-9a-fA-F]+),(\d+)\s*$/;
const counts = { I: 0, L: 0, S: 0, M: 0, other: 0 };
let emitted = 0;

await emit(`# cdm-replay trace@1 source=lackey converter=scripts/lackey-to-trace.mjs instr=${keepInstr ? 'read' : 'dropped'}${limit < Infinity ? ` limit=${limit}` : ''}${meta.map((m) => ` ${m}`).join('')}`);
await emit('op,addr,len');
for await (const line of createInterface({ input: src, crlfDelay: Infinity })) {
  const m = ACCESS.exec(line);
  if (!m) {
    counts.other++;
    continue;
  }
  const kind = m[1] ?? 'I';
  counts[kind]++;
  if (kind === 'I' && !keepInstr) continue;
  if (emitted >= limit) continue;
  emitted++;
  const op = kind === 'L' || kind === 'I' ? 'read' : 'write';
  await emit(`${op},0x${m[2].replace(/^0+(?=.)/, '').toLowerCase()},${m[3]}`);
}
await flush();
if (file) {
  sink.end();
  await once(file, 'finish'); // the file, not the gzip stream: the last bytes must reach disk
}
const data = counts.L + counts.S + counts.M;
process.stderr.write(
  `lackey-to-trace: ${emitted} accesses written; input had ${data} data accesses (L ${counts.L}, S ${counts.S}, M ${counts.M}), ` +
    `${counts.I} instruction fetches, ${counts.other} other lines${emitted < data + (keepInstr ? counts.I : 0) ? ' (cut by --limit)' : ''}\n`,
);
