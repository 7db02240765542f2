// Executors for sweep tasks: a pool of node:worker_threads (the CLI's), or in-process one after
// another (unit tests under vitest, which run the .ts sources: Node 20 cannot load .ts in a
// worker, so the thread pool needs the built dist/sweep/worker.js).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { packageUrl } from '../package-files.js';
import { CdmError, ExitCode } from '../errors.js';
import { executeGroup, failAll, type GroupResult, type GroupTask } from './execute.js';

export interface ExecHandlers {
  /** A group was handed to worker `worker` (a thread id; 0 in-process). */
  onStart?(task: GroupTask, worker: number): void;
  onResult(result: GroupResult, worker: number): void;
  /** Trace events `task` replayed since the last call, and its trace's bytes read so far (progress display). */
  onEvents?(n: number, task: GroupTask, bytes: number): void;
}

export type Executor = (tasks: readonly GroupTask[], handlers: ExecHandlers) => Promise<void>;

/** Runs the groups in this thread, in order. */
export const inlineExecutor: Executor = async (tasks, h) => {
  for (const task of tasks) {
    h.onStart?.(task, 0);
    h.onResult(await executeGroup(task, (n, bytes) => h.onEvents?.(n, task, bytes)), 0);
  }
};

/** The built worker (a bundle: see scripts/bundle.mjs); the same file under vitest. */
export function workerFile(): URL {
  return packageUrl('dist/sweep/worker.js');
}

/** A pool of `jobs` worker threads pulling tasks from a shared queue in the order given. */
export function threadExecutor(jobs: number, progress: boolean): Executor {
  return (tasks, h) =>
    new Promise<void>((resolve, reject) => {
      const url = workerFile();
      if (!existsSync(fileURLToPath(url))) {
        reject(new CdmError(`sweep: worker code ${fileURLToPath(url)} is missing: run \`npm run build\``, ExitCode.internal));
        return;
      }
      const queue = [...tasks];
      const workers = new Set<Worker>();
      let failed = false;
      const fatal = (e: unknown) => {
        failed = true;
        queue.length = 0;
        for (const w of workers) void w.terminate();
        reject(e);
      };
      const spawn = () => {
        const worker = new Worker(url, { workerData: { progress } });
        const id = worker.threadId;
        let current: GroupTask | undefined;
        let since = Date.now();
        let ready = false; // it loaded: a death before that is no run's fault
        let dead = false; // lost: a message still in flight from it is ignored
        let events = 0; // reported for the current task (taken back if it is retried)
        workers.add(worker);
        const next = () => {
          current = queue.shift();
          events = 0;
          if (!current) return void worker.terminate();
          since = Date.now();
          h.onStart?.(current, id);
          worker.postMessage(current);
        };
        // A crashed worker (uncaught error, out of memory) fails runs, not the sweep. One run of a
        // task may be the cause: its runs are retried alone first (next in the queue), so only a
        // run that also dies by itself fails.
        const lose = (why: string) => {
          dead = true;
          if (!ready) return fatal(new CdmError(`internal error: a sweep worker failed to start: ${why}`, ExitCode.internal));
          if (!current) return;
          const task = current;
          current = undefined;
          const alone = task.points.flatMap((pt) => pt.runs.map((run) => ({ ...task, group: pt.group, points: [{ ...pt, runs: [run] }] })));
          if (alone.length > 1) {
            h.onEvents?.(-events, task, 0); // its runs start again
            queue.unshift(...alone);
            return;
          }
          h.onResult({ group: task.group, runs: failAll(task.points.flatMap((pt) => pt.runs), { code: ExitCode.internal, message: `internal error: sweep worker died: ${why}` }), warnings: [], startMs: since, endMs: Date.now() }, id);
        };
        worker.on('message', (m: { type: 'ready' } | { type: 'events'; n: number; bytes: number } | { type: 'done'; result: GroupResult }) => {
          if (failed || dead) return;
          try {
            if (m.type === 'ready') return void (ready = true);
            if (m.type === 'events') {
              events += m.n;
              return current && h.onEvents?.(m.n, current, m.bytes);
            }
            current = undefined;
            h.onResult(m.result, id);
            next();
          } catch (e) {
            fatal(e);
          }
        });
        worker.on('error', (e) => {
          if (failed) return;
          try {
            lose(e.message.split('\n')[0]);
          } catch (err) {
            fatal(err);
          }
        });
        worker.on('exit', (code) => {
          workers.delete(worker);
          if (failed) return;
          try {
            if (!dead) lose(`exit code ${code}`);
          } catch (err) {
            return fatal(err);
          }
          if (failed) return;
          // Retried runs may need more workers than are left (the others may have stopped).
          for (let k = Math.min(jobs - workers.size, queue.length); k > 0; k--) spawn();
          if (workers.size === 0) resolve();
        });
        next();
      };
      if (queue.length === 0) return resolve();
      const n = Math.max(1, Math.min(jobs, queue.length));
      for (let i = 0; i < n; i++) spawn();
    });
}
