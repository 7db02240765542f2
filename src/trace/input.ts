// The input layer: a trace path (or `-` for stdin) as a stream of decompressed Buffer chunks.
// gzip is recognised by its magic bytes, not the name, so `zcat`-less pipes and misnamed files
// work. sha256 covers the bytes as given (compressed for .gz), hashed as they stream past, and
// nothing is held beyond a chunk or two: memory does not grow with the trace.
import { createHash, type Hash } from 'node:crypto';
import { readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CdmError, TraceDataError, UsageError } from '../errors.js';

/**
 * Read size: large enough that per-chunk overhead (a hash update, a row carried across the join,
 * a stream hand-off) vanishes, small enough that memory stays flat. 1 MiB read the 2M-row bench
 * trace faster than 256 KiB.
 */
const CHUNK = 1 << 20;

export interface TraceInput {
  /** The name used in messages: the path, or `<stdin>`. */
  readonly name: string;
  /** True when the input was gzip (by its magic bytes). */
  readonly gzip: boolean;
  /** Decompressed chunks; iterate once. */
  readonly chunks: AsyncGenerator<Buffer>;
  /** Hex sha256 of the bytes as given; '' until `chunks` has been read to the end. */
  sha256: string;
  /**
   * Set (before reading on) when the consumer keeps no view of a chunk once it asks for the next:
   * a regular file is then read into one buffer again and again. Fresh 1 MiB buffers cost a page
   * fault per 4 KiB and GC work (the 77 MB bench trace: 130 ms of reads against 5 ms). Ignored
   * for gzip, whose inflater may still hold compressed chunks.
   */
  recycle: boolean;
  /** Bytes as given (compressed for gzip) read so far: progress against the file's size. */
  bytesRead: number;
}

export interface OpenInputOptions {
  /** What `-` reads (default process.stdin); tests pass their own stream. */
  stdin?: Readable;
}

/** The name messages use for a trace path (TraceInput.name), known before it is opened. */
export const inputName = (path: string): string => (path === '-' ? '<stdin>' : path);

/** Opens a file path or `-`. A missing or unreadable file is a UsageError (exit 2). */
export async function openInput(path: string, options: OpenInputOptions = {}): Promise<TraceInput> {
  if (path === '-') return openReadable(options.stdin ?? process.stdin, inputName(path));
  let handle: FileHandle | undefined;
  let regular: boolean;
  try {
    handle = await open(path, 'r');
    const stat = await handle.stat();
    // Reads from a directory fail only later (EISDIR); FIFOs and /dev/stdin are fine.
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    regular = stat.isFile();
  } catch (err) {
    await handle?.close();
    throw readError(path, err);
  }
  if (!regular) return openChunks(handle.createReadStream({ highWaterMark: CHUNK }), path);
  const opened: { input?: TraceInput } = {}; // set before a second chunk is asked for
  opened.input = await openChunks(fileChunks(handle, () => opened.input?.recycle === true && !opened.input.gzip), path);
  return opened.input;
}

/** Wraps any byte stream (stdin, a file stream, a test stream) the same way as openInput. */
export function openReadable(stream: Readable, name: string): Promise<TraceInput> {
  return openChunks(stream, name);
}

/**
 * A regular file, read synchronously: from the page cache a 1 MiB read takes about 0.1 ms,
 * while an async read costs two thread hand-offs per chunk, and on a busy machine each waits
 * for a time slice (the stream left the reader idle about a quarter of the time). Nothing else waits
 * on the event loop meanwhile: the reader's consumer awaits each batch.
 */
async function* fileChunks(handle: FileHandle, recycle: () => boolean): AsyncGenerator<Buffer> {
  let chunk: Buffer | null = null;
  try {
    for (;;) {
      // A fresh buffer unless the consumer allows reuse (it may hold earlier chunks otherwise).
      if (chunk === null || !recycle()) chunk = Buffer.allocUnsafeSlow(CHUNK);
      const n = readSync(handle.fd, chunk, 0, CHUNK, null);
      if (n === 0) return;
      yield n < CHUNK ? chunk.subarray(0, n) : chunk;
    }
  } finally {
    await handle.close();
  }
}

async function openChunks(source: AsyncIterable<Buffer | string>, name: string): Promise<TraceInput> {
  const hash = createHash('sha256');
  const input: { -readonly [K in keyof TraceInput]: TraceInput[K] } = { name, gzip: false, chunks: undefined as unknown as AsyncGenerator<Buffer>, sha256: '', recycle: false, bytesRead: 0 };
  const raw = rawChunks(source, hash, name, (n) => void (input.bytesRead += n), () => {
    input.sha256 = hash.digest('hex');
  });
  // Peek until the two magic bytes are known (stdin may deliver a single byte first).
  const head: Buffer[] = [];
  let size = 0;
  while (size < 2) {
    const r = await raw.next();
    if (r.done) break;
    head.push(r.value);
    size += r.value.length;
  }
  // Joined only when the first chunk is shorter than the magic: a copy of a whole chunk is fresh
  // memory, and page faults are not cheap.
  const first = head.length > 0 && head[0].length >= 2 ? head[0] : Buffer.concat(head);
  input.gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  const all = prepend(head, raw);
  input.chunks = input.gzip ? gunzip(all, name) : all;
  return input;
}

/** Yields `head` and then the rest of `rest`; stopping early also stops `rest` (closing its file). */
export async function* prepend(head: readonly Buffer[], rest: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  try {
    for (const chunk of head) yield chunk;
    yield* rest;
  } finally {
    await rest.return(undefined);
  }
}

async function* rawChunks(source: AsyncIterable<Buffer | string>, hash: Hash, name: string, read: (n: number) => void, done: () => void): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of source) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      hash.update(bytes);
      read(bytes.length);
      yield bytes;
    }
  } catch (err) {
    throw err instanceof CdmError ? err : readError(name, err);
  }
  done();
}

async function* gunzip(compressed: AsyncGenerator<Buffer>, name: string): AsyncGenerator<Buffer> {
  const gz = createGunzip({ chunkSize: CHUNK });
  // pipeline forwards errors both ways and closes the source when the consumer stops early.
  pipeline(Readable.from(compressed, { objectMode: false }), gz, () => {});
  try {
    for await (const chunk of gz as AsyncIterable<Buffer>) yield chunk;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!code.startsWith('Z_')) throw err;
    // zlib reports no position; bytesWritten is the compressed input it had taken before the
    // failing piece, so the damage lies at or after it.
    throw new TraceDataError(name, `byte ${gz.bytesWritten}`, 'gzip data', (err as Error).message,
      'is not valid gzip (expected an intact gzip stream; the damage is at or after this compressed byte offset)');
  }
}

function readError(path: string, err: unknown): UsageError {
  const code = (err as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'a path component is not a directory',
  };
  const reason = (code && why[code]) ?? (err as Error).message;
  return new UsageError(`cannot read trace "${path}": ${reason}${code ? ` (${code})` : ''}`);
}
