// Where kernel-check finds its kernel image, its cached replayer build and the guest sources.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { packageFile } from '../package-files.js';

/** The reference kernel KERNEL-CHECK.md measured; `kernel-check:setup` unpacks it. */
export const PINNED_KERNEL = '6.12.117+deb12-amd64';
/** `--kernel` names accepted besides a version or a path. */
export const KERNEL_ALIASES: readonly string[] = ['debian-6.12'];

/** $CDM_REPLAY_CACHE, else ~/.cache/cdm-replay (the same rule as scripts/kernel-check-setup.sh). */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.CDM_REPLAY_CACHE || join(env.HOME || homedir(), '.cache', 'cdm-replay');
}

export function kernelDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'kernel');
}

export interface KernelImage {
  path: string;
  /** uname -r of the image, e.g. "6.12.117+deb12-amd64"; null for a user-given path. */
  version: string | null;
}

/** Version strings compare numerically part by part ("6.12.117" > "6.12.99"). */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split(/[.+-]/).map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/**
 * Resolves `--kernel`: "debian-6.12" (default) is the version the setup recorded in DEFAULT, else the
 * pinned one, else the newest cached 6.12; a version string picks that cached image; anything with
 * a slash is a path to a bzImage/vmlinuz. Returns null when nothing matching is cached.
 */
export function resolveKernel(name = 'debian-6.12', env: NodeJS.ProcessEnv = process.env): KernelImage | null {
  if (name.includes('/')) return existsSync(name) ? { path: name, version: null } : null;
  const dir = kernelDir(env);
  if (!existsSync(dir)) return null;
  const cached = readdirSync(dir)
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice('vmlinuz-'.length));
  const pick = (v: string): KernelImage | null => (cached.includes(v) ? { path: join(dir, `vmlinuz-${v}`), version: v } : null);
  if (!KERNEL_ALIASES.includes(name)) return pick(name);
  const defaultFile = join(dir, 'DEFAULT');
  const recorded = existsSync(defaultFile) ? readFileSync(defaultFile, 'utf8').trim() : '';
  const newest = cached.filter((v) => v.startsWith('6.12.')).sort(compareVersions).at(-1);
  return pick(recorded) ?? pick(PINNED_KERNEL) ?? (newest ? pick(newest) : null);
}

/**
 * The guest's C and shell sources: they stay in src/ when built (package.json "files" lists them).
 */
export function guestSourceDir(): string {
  const dir = packageFile('src/kernel-check/guest');
  if (existsSync(join(dir, 'replayer.c'))) return dir;
  throw new Error(`kernel-check guest sources not found (looked in ${dir})`);
}

/** `--kernel hmm`: the custom 6.12 with DEVICE_PRIVATE and test_hmm (scripts/kernel-check-setup-hmm.sh). */
export const HMM_KERNEL = 'hmm';
export const HMM_SETUP = 'npm run kernel-check:setup -- --hmm';

export function hmmKernelDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'kernel-hmm');
}

/** scripts/kernel-hmm.config, the config fragment the setup merges. */
export function hmmConfigFragment(): string {
  const path = packageFile('scripts/kernel-hmm.config');
  if (existsSync(path)) return path;
  throw new Error(`${path} not found (package.json "files" must list it)`);
}

/** The config part of the cache key: the first 12 hex digits of the fragment's sha256, as `sha256sum | cut -c1-12`. */
export function hmmConfigHash(fragment: string | Buffer): string {
  return createHash('sha256').update(fragment).digest('hex').slice(0, 12);
}

/** Cache folder name: source package version (path-safe) + config hash, as the setup script builds it. */
export function hmmCacheKey(sourceVersion: string, configHash: string): string {
  return `${sourceVersion.replace(/[^A-Za-z0-9._-]/g, '_')}-${configHash}`;
}

export interface HmmKernel {
  dir: string;
  key: string;
  bzImage: string;
  module: string;
  uapiHeader: string;
  /** BUILD-INFO key=value lines (source_version, kernelrelease, build_seconds, ...). */
  info: Record<string, string>;
}

export type HmmKernelLookup = { kernel: HmmKernel } | { missing: string };

/**
 * The build `CURRENT` names, if it is complete and was made from today's kernel-hmm.config: a
 * fragment edited since is a rebuild, not a silently different kernel.
 */
export function resolveHmmKernel(env: NodeJS.ProcessEnv = process.env, fragment?: Buffer): HmmKernelLookup {
  const root = hmmKernelDir(env);
  const current = join(root, 'CURRENT');
  if (!existsSync(current)) return { missing: `no hmm kernel built (looked in ${root})` };
  const key = readFileSync(current, 'utf8').trim();
  const dir = join(root, key);
  const want = hmmConfigHash(fragment ?? readFileSync(hmmConfigFragment()));
  if (!key.endsWith(`-${want}`)) return { missing: `the cached hmm kernel ${key} was built from another scripts/kernel-hmm.config (now ${want})` };
  const k: HmmKernel = { dir, key, bzImage: join(dir, 'bzImage'), module: join(dir, 'test_hmm.ko'), uapiHeader: join(dir, 'test_hmm_uapi.h'), info: {} };
  const absent = [k.bzImage, k.module, k.uapiHeader].filter((f) => !existsSync(f));
  if (absent.length) return { missing: `the hmm kernel build ${dir} is incomplete (no ${absent.map((f) => f.slice(dir.length + 1)).join(', ')})` };
  const infoFile = join(dir, 'BUILD-INFO');
  if (existsSync(infoFile))
    for (const line of readFileSync(infoFile, 'utf8').split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) k.info[line.slice(0, eq)] = line.slice(eq + 1);
    }
  return { kernel: k };
}
