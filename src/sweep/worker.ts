// Worker-thread entry (built to dist/sweep/worker.js): executes the groups the pool posts, one at
// a time, and posts back each group's result and, when the parent shows progress, event counts.
import { parentPort, workerData } from 'node:worker_threads';
import { executeGroup, type GroupTask } from './execute.js';

const port = parentPort;
if (!port) throw new Error('sweep worker: not started as a worker thread');
const progress = (workerData as { progress?: boolean } | undefined)?.progress === true;

/** Tests only: a worker given this run index dies at once (the pool's crash handling). */
const crashRun = /^\d+$/.test(process.env.CDM_REPLAY_TEST_CRASH_RUN ?? '') ? Number(process.env.CDM_REPLAY_TEST_CRASH_RUN) : -1;

port.postMessage({ type: 'ready' });
port.on('message', (task: GroupTask) => {
  if (task.points.some((pt) => pt.runs.some((r) => r.index === crashRun))) process.exit(70);
  let pending = 0;
  let bytes = 0;
  let last = Date.now();
  const onEvents = (delta: number, read: number) => {
    pending += delta;
    bytes = read;
    const now = Date.now();
    if (now - last < 100) return;
    port.postMessage({ type: 'events', n: pending, bytes });
    pending = 0;
    last = now;
  };
  void executeGroup(task, progress ? onEvents : undefined).then((result) => {
    if (pending) port.postMessage({ type: 'events', n: pending, bytes });
    port.postMessage({ type: 'done', result });
  });
});
