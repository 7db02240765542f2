// The guest's initramfs: static busybox + the static replayer + /init + the trace, as one newc cpio.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { CdmError, ExitCode } from '../errors.js';
import { type CpioEntry, writeCpio } from './cpio.js';
import { cacheRoot, guestSourceDir } from './paths.js';

const run = promisify(execFile);

/**
 * Compiles the guest replayer (gcc -static -O2, libc only) into the cache, keyed by a hash of its
 * sources, so repeated runs skip the ~1 s compile. Returns the binary's path.
 */
export async function buildReplayer(gcc = 'gcc', env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const src = guestSourceDir();
  const files = readdirSync(src).filter((f) => /\.[ch]$/.test(f)).sort();
  const hash = createHash('sha256');
  for (const f of files) hash.update(f).update('\0').update(readFileSync(join(src, f))).update('\0');
  const dir = join(cacheRoot(env), 'replayer', hash.digest('hex').slice(0, 16));
  const bin = join(dir, 'replayer');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const sources = files.filter((f) => f.endsWith('.c')).map((f) => join(src, f));
  try {
    await run(gcc, ['-static', '-O2', '-Wall', '-o', tmp, ...sources]);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new CdmError(`compiling the guest replayer failed: ${err.stderr || err.message}`, ExitCode.internal);
  }
  renameSync(tmp, bin);
  return bin;
}

export interface ReplayerArgOptions {
  ignoreColumns?: boolean;
  /** Sleep until each event's `time` (NUMA balancing needs real guest seconds). */
  pace?: boolean;
  /** Per-page node lists for processes mapping at most this many pages (default 4096). */
  pageListMax?: number;
  memcgs?: { path: string; maxBytes?: number }[];
  /** --kernel hmm: -H/-d/-N (hmm-machine.ts), after the others. */
  hmmArgs?: string[];
}

export function replayerArgs(o: ReplayerArgOptions): string[] {
  const args: string[] = [];
  if (o.ignoreColumns) args.push('-i');
  if (o.pace) args.push('-p');
  if (o.pageListMax !== undefined) args.push('-l', String(o.pageListMax));
  for (const m of o.memcgs ?? []) if (m.maxBytes !== undefined) args.push('-M', `${m.path}=${m.maxBytes}`);
  args.push(...(o.hmmArgs ?? []));
  return args;
}

/** POSIX single-quoting: init.sh evals this line into "$@". */
export function shellQuote(args: string[]): string {
  return args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
}

/** A trace given gzip-compressed is unpacked on the host: the guest reads plain CSV. */
export function readTraceBytes(path: string): Buffer {
  const raw = readFileSync(path);
  return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
}

export interface InitramfsParts {
  busybox: Buffer;
  replayer: Buffer;
  init: Buffer;
  trace: Buffer;
  args: string[];
  /** --kernel hmm: test_hmm.ko, which init.sh loads from /lib. */
  module?: Buffer;
}

export function initramfsEntries(p: InitramfsParts): CpioEntry[] {
  return [
    ...['bin', 'dev', 'proc', 'sys', 'tmp', 'files'].map((name): CpioEntry => ({ type: 'dir', name })),
    // The kernel opens /dev/console for init before anything is mounted.
    { type: 'chardev', name: 'dev/console', major: 5, minor: 1 },
    { type: 'chardev', name: 'dev/null', major: 1, minor: 3, mode: 0o666 },
    { type: 'file', name: 'bin/busybox', data: p.busybox, mode: 0o755 },
    { type: 'symlink', name: 'bin/sh', target: 'busybox' },
    { type: 'file', name: 'bin/replayer', data: p.replayer, mode: 0o755 },
    { type: 'file', name: 'init', data: p.init, mode: 0o755 },
    { type: 'file', name: 'replayer.args', data: Buffer.from(`${shellQuote(p.args)}\n`) },
    { type: 'file', name: 'trace.csv', data: p.trace },
    ...(p.module ? [{ type: 'dir', name: 'lib' } as CpioEntry, { type: 'file', name: 'lib/test_hmm.ko', data: p.module, mode: 0o644 } as CpioEntry] : []),
  ];
}

export interface BuiltInitramfs {
  dir: string;
  path: string;
  bytes: number;
}

/** Writes the uncompressed archive (the kernel takes it as is) into a fresh temp folder. */
export function writeInitramfs(parts: InitramfsParts, tmpRoot: string): BuiltInitramfs {
  const dir = mkdtempSync(join(tmpRoot, 'cdm-kernel-check-'));
  const path = join(dir, 'initrd.cpio');
  const archive = writeCpio(initramfsEntries(parts));
  writeFileSync(path, archive);
  return { dir, path, bytes: archive.length };
}
