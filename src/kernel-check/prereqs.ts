// What a guest run needs on the host, and for each missing piece the command that installs it.
import { execFileSync } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { MissingPrerequisite } from './errors.js';
import { HMM_KERNEL, HMM_SETUP, type HmmKernel, type KernelImage, kernelDir, resolveHmmKernel, resolveKernel } from './paths.js';

export interface Prerequisites {
  missing: MissingPrerequisite[];
  qemu?: string;
  busybox?: string;
  gcc?: string;
  kernel?: KernelImage;
  /** --kernel hmm: the custom build with test_hmm.ko. */
  hmm?: HmmKernel;
}

const SETUP = 'npm run kernel-check:setup';
const apt = (pkg: string): string => `${SETUP} (or: apt-get install -y ${pkg})`;

export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (isAbsolute(name)) return isExecutable(name) ? name : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** True for an x86-64 ELF with no PT_INTERP: it runs in a guest that has no dynamic loader. */
export function isStaticElf(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(64);
    readSync(fd, head, 0, 64, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2) return false; // ELF, 64-bit
    const phoff = Number(head.readBigUInt64LE(32));
    const phentsize = head.readUInt16LE(54);
    const phnum = head.readUInt16LE(56);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3) return false; // PT_INTERP
    return true;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Static glibc: gcc prints the bare name back when it cannot find libc.a. */
function hasStaticLibc(gcc: string): boolean {
  try {
    const out = execFileSync(gcc, ['-print-file-name=libc.a'], { encoding: 'utf8' }).trim();
    return isAbsolute(out) && existsSync(out);
  } catch {
    return false;
  }
}

export interface PrerequisiteOptions {
  kernel?: string;
  qemu?: string;
  env?: NodeJS.ProcessEnv;
}

export function checkPrerequisites(options: PrerequisiteOptions = {}): Prerequisites {
  const env = options.env ?? process.env;
  const p: Prerequisites = { missing: [] };
  p.qemu = findOnPath(options.qemu ?? 'qemu-system-x86_64', env);
  if (!p.qemu) p.missing.push({ what: 'qemu-system-x86_64', install: apt('qemu-system-x86') });
  p.busybox = ['/bin/busybox', '/usr/bin/busybox'].find((b) => existsSync(b) && isStaticElf(b));
  if (!p.busybox) p.missing.push({ what: 'a statically linked busybox', install: apt('busybox-static') });
  p.gcc = findOnPath('gcc', env);
  if (!p.gcc) p.missing.push({ what: 'gcc', install: apt('gcc libc6-dev') });
  else if (!hasStaticLibc(p.gcc)) p.missing.push({ what: 'static libc (libc.a)', install: apt('libc6-dev') });
  if (options.kernel === HMM_KERNEL) {
    // The custom build is opt-in (about 7 minutes): its own setup step, never the stock one's.
    const found = resolveHmmKernel(env);
    if ('missing' in found) p.missing.push({ what: `the hmm kernel: ${found.missing}`, install: HMM_SETUP });
    else {
      p.hmm = found.kernel;
      p.kernel = { path: found.kernel.bzImage, version: found.kernel.info.kernelrelease ?? HMM_KERNEL };
    }
    return p;
  }
  p.kernel = resolveKernel(options.kernel, env) ?? undefined;
  if (!p.kernel) {
    const name = options.kernel ?? 'debian-6.12';
    p.missing.push({
      what: `kernel image "${name}" (looked in ${kernelDir(env)})`,
      install: name.includes('/') ? 'check the path given to --kernel' : SETUP,
    });
  }
  return p;
}
