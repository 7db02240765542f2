// sha256 of a regular file on a helper thread, so the thread that reads the trace only parses:
// hashing is ~55 ms of the 2M-event bench replay's ~730. The helper hashes exactly the bytes the
// reader has read so far (it publishes its position in shared memory), never ahead of it, so the
// digest covers what was replayed even when the file grows meanwhile.
import { Worker } from 'node:worker_threads';

/** Inline (no file to find or bundle): node builtins only, so it starts in a few ms. */
const CODE = `
const { workerData, parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const { path, shared } = workerData;
const pos = new BigInt64Array(shared, 0, 2); // [0] bytes the reader has read, [1] 1 at its end
const seq = new Int32Array(shared, 16, 1); // bumped after every change: what the helper waits on
const hash = createHash('sha256');
const buf = Buffer.allocUnsafe(1 << 20);
const fd = openSync(path, 'r');
let done = 0;
for (;;) {
  const s = Atomics.load(seq, 0); // before reading the state, so no later change is missed
  const target = Number(Atomics.load(pos, 0));
  while (done < target) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, target - done), done);
    if (n === 0) throw new Error('the file shrank while being read');
    hash.update(buf.subarray(0, n));
    done += n;
  }
  // The end flag is set after the last position: with it seen, a re-read position is final.
  if (Atomics.load(pos, 1) === 1n) {
    if (done === Number(Atomics.load(pos, 0))) break;
    continue;
  }
  Atomics.wait(seq, 0, s);
}
closeSync(fd);
parentPort.postMessage(hash.digest('hex'));
`;

export interface ThreadHash {
  /** The reader has read `bytes` in all (call after every read). */
  advance(bytes: number): void;
  /** The reader is at its end: resolves to the hex digest of everything it read. */
  finish(): Promise<string>;
  /** The reader stopped early: the digest is not needed. */
  cancel(): void;
}

export function hashInThread(path: string): ThreadHash {
  const shared = new SharedArrayBuffer(24);
  const pos = new BigInt64Array(shared, 0, 2);
  const seq = new Int32Array(shared, 16, 1);
  const bump = (): void => {
    Atomics.add(seq, 0, 1);
    Atomics.notify(seq, 0);
  };
  const worker = new Worker(CODE, { eval: true, workerData: { path, shared } });
  worker.unref(); // never keeps the process alive on its own
  const digest = new Promise<string>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`sha256 thread exited (${code})`)));
  });
  digest.catch(() => {}); // observed by finish(); a cancelled hash is nobody's error
  return {
    advance(bytes) {
      Atomics.store(pos, 0, BigInt(bytes));
      bump();
    },
    finish() {
      Atomics.store(pos, 1, 1n);
      bump();
      return digest;
    },
    cancel() {
      void worker.terminate();
    },
  };
}
