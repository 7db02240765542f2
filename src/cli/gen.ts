// `cdm-replay gen WORKLOAD`: write a seeded synthetic trace@1 (gzip when --out ends in .gz).
import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { ExitCode, UsageError } from '../errors.js';
import { getWorkload, HEADER, WORKLOADS } from '../gen/workloads.js';

const int = (flag: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag}: "${v}" is not an integer >= ${min}`);
  return n;
};

export function registerGen(program: Command, setExit: (code: number) => void): void {
  program
    .command('gen <workload>')
    .description(`write a seeded synthetic trace: ${WORKLOADS.map((w) => w.name).join(', ')}`)
    .option('--seed <n>', 'PRNG seed', int('--seed', 0), 1)
    .option('--events <n>', 'number of access events', int('--events', 1), 100000)
    .option('--pages <n>', 'working set in pages', int('--pages', 1), 4096)
    .option('--page-size <bytes>', 'page size the addresses step by', int('--page-size', 1), 4096)
    .option('--step-ns <n>', 'time between events', int('--step-ns', 1), 1000)
    .option('-o, --out <file>', 'output file (.gz compresses); default stdout')
    .action(async (name: string, o: { seed: number; events: number; pages: number; pageSize: number; stepNs: number; out?: string }) => {
      const w = getWorkload(name);
      if (!w) throw new UsageError(`gen: unknown workload "${name}" (known: ${WORKLOADS.map((x) => x.name).join(', ')})`);
      await write(w.rows({ seed: o.seed, events: o.events, pages: o.pages, pageSize: o.pageSize, stepNs: o.stepNs }),
        `# cdm-replay trace@1 generator=cdm-replay-gen workload=${name} seed=${o.seed} events=${o.events} pages=${o.pages}`, o.out);
      setExit(ExitCode.ok);
    });
}

/** Streams rows to a file or stdout in large chunks, honouring backpressure. */
async function write(rows: Generator<string>, meta: string, out: string | undefined): Promise<void> {
  let sink: Writable = process.stdout;
  let done: Promise<void> = Promise.resolve();
  if (out) {
    const file = createWriteStream(out);
    done = new Promise((resolve, reject) => { file.on('finish', resolve); file.on('error', reject); });
    if (out.endsWith('.gz')) {
      const gz = createGzip();
      gz.pipe(file);
      sink = gz;
    } else {
      sink = file;
    }
  }
  const push = (s: string) => (sink.write(s) ? Promise.resolve() : new Promise<void>((r) => sink.once('drain', () => r())));
  await push(`${meta}\n${HEADER}\n`);
  let buf: string[] = [];
  for (const row of rows) {
    buf.push(row);
    if (buf.length === 8192) { await push(`${buf.join('\n')}\n`); buf = []; }
  }
  if (buf.length) await push(`${buf.join('\n')}\n`);
  if (out) { sink.end(); await done; }
}
