// `cdm-replay sweep <spec> [--jobs N] [--shard I/N] [--out DIR] [--resume]` and
// `cdm-replay merge <dir ...> --out DIR` (DESIGN §5a): arguments -> src/sweep, exit code
// (0 every run finished, 5 some failed, 2 usage/spec/config errors).
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { ExitCode, UsageError } from '../errors.js';
import { parseShard } from '../sweep/grid.js';
import { writeSweepIndex } from '../sweep/index-html.js';
import { mergeSweeps } from '../sweep/merge.js';
import { threadExecutor } from '../sweep/pool.js';
import { runSweep } from '../sweep/run.js';

interface SweepCliOptions {
  jobs?: string;
  shard?: string;
  out: string;
  resume?: boolean;
  html?: boolean;
}

function parseJobs(arg: string | undefined): number {
  if (arg === undefined) return availableParallelism();
  if (!/^\d+$/.test(arg.trim()) || Number(arg) < 1) throw new UsageError(`--jobs ${arg}: expected a whole number ≥ 1`);
  return Number(arg);
}

export async function runSweepCli(specFile: string, o: SweepCliOptions): Promise<number> {
  const jobs = parseJobs(o.jobs);
  const shard = o.shard === undefined ? undefined : parseShard(o.shard);
  const progress = process.stderr.isTTY === true;
  const log = process.env.CDM_REPLAY_SWEEP_LOG ? (line: string) => void process.stderr.write(`${line}\n`) : undefined;
  const s = await runSweep({ specFile, outDir: o.out, executor: threadExecutor(jobs, progress), jobs, shard, resume: o.resume, log });
  if (o.html) writeSweepIndex(s.doc, o.out);
  if (s.failed > 0) {
    process.stderr.write(`cdm-replay: sweep: ${s.failed} of ${s.runs} runs failed (their "error" is in ${o.out}/sweep.json; finished runs are kept)\n`);
    return ExitCode.sweepPartial;
  }
  return ExitCode.ok;
}

export function registerSweepCommands(program: Command, setExit: (code: number) => void): void {
  program
    .command('sweep <spec>')
    .description('run a sweep spec (traces × grid points × backends) on worker threads; see README "Sweeps"')
    .option('-j, --jobs <n>', 'worker threads (default: all cores)')
    .option('--shard <i/n>', 'run only shard I of N (1-based), for CI matrices, Slurm arrays, Indexed Jobs')
    .option('-o, --out <dir>', 'output folder: sweep.json, sweep.csv, runs/', 'sweep-out')
    .option('--resume', 'keep the runs already in OUT/runs/ and run only the rest')
    .option('--html', 'also write OUT/index.html: a chart per headline metric across the grid, links to the runs')
    .action(async (spec: string, opts: SweepCliOptions) => setExit(await runSweepCli(spec, opts)));
  program
    .command('merge <dirs...>')
    .description("merge the OUT folders of a sharded sweep's shards into one sweep.json and sweep.csv")
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--html', 'also write OUT/index.html (as sweep --html)')
    .action((dirs: string[], opts: { out: string; html?: boolean }) => {
      const { doc, failed } = mergeSweeps(dirs, opts.out);
      if (opts.html) writeSweepIndex(doc, opts.out);
      if (failed > 0) process.stderr.write(`cdm-replay: merge: ${failed} of ${doc.runs.length} runs failed (see "error" in ${opts.out}/sweep.json)\n`);
      setExit(failed > 0 ? ExitCode.sweepPartial : ExitCode.ok);
    });
}
