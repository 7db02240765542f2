// One guest run: check prerequisites, build the initramfs, boot qemu (TCG), read the result back.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GuestCrashError, KernelPrerequisiteError } from './errors.js';
import { buildReplayer, readTraceBytes, type ReplayerArgOptions, replayerArgs, writeInitramfs } from './initramfs.js';
import { consoleTail, extractResult, type KernelObservation } from './observation.js';
import { guestSourceDir } from './paths.js';
import { checkPrerequisites } from './prereqs.js';
import { type GuestSettings, guestTopology, type KernelMachine, qemuArgs, settingsCmdline } from './topology.js';

export interface KernelReplayOptions extends ReplayerArgOptions, GuestSettings {
  /** "debian-6.12" (default), a cached version such as "6.12.117+deb12-amd64", a path to a bzImage, or "hmm" (the custom test_hmm build). */
  kernel?: string;
  /** qemu binary (default qemu-system-x86_64 on PATH). */
  qemu?: string;
  machineType?: 'pc' | 'q35';
  /** Extra kernel command-line words. */
  append?: string[];
  /** Wall-clock limit for the whole guest run (default 300 s); past it the guest counts as hung. */
  timeoutMs?: number;
  /** Keep the temp folder with the initramfs and console.log (its path is printed in errors). */
  keepWorkDir?: boolean;
  /** Called with every chunk the guest prints (progress, debugging). */
  onConsole?: (chunk: string) => void;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

interface QemuRun {
  console: string;
  code: number | null;
  timedOut: boolean;
  wallMs: number;
}

function runQemu(qemu: string, args: string[], o: KernelReplayOptions): Promise<QemuRun> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    // stdin stays an open pipe: the serial chardev reads it, and EOF there is not a reason to stop.
    const child = spawn(qemu, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let console = '';
    let timedOut = false;
    const onData = (b: Buffer): void => {
      const s = b.toString('utf8');
      console += s;
      o.onConsole?.(s);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const kill = (): void => {
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, o.timeoutMs ?? 300_000);
    o.signal?.addEventListener('abort', kill, { once: true });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', kill);
      resolve({ console, code, timedOut, wallMs: Date.now() - start });
    });
  });
}

/**
 * Boots the stock kernel in qemu with `machine`'s NUMA topology, replays the trace@1 CSV at
 * `tracePath` inside it, and returns what the kernel observed.
 * Throws KernelPrerequisiteError (exit 2), GuestTraceError (exit 3, or 2 for unsupported ops),
 * GuestCrashError (exit 4, with the console tail), ConfigError (exit 2) for an unbootable topology.
 */
export async function runKernelReplay(
  tracePath: string,
  machine: KernelMachine,
  options: KernelReplayOptions = {},
): Promise<KernelObservation> {
  const pre = checkPrerequisites({ kernel: options.kernel, qemu: options.qemu, env: options.env });
  if (pre.missing.length || !pre.qemu || !pre.busybox || !pre.gcc || !pre.kernel) throw new KernelPrerequisiteError(pre.missing);
  guestTopology(machine); // ConfigError before any work
  const replayer = await buildReplayer(pre.gcc, options.env);
  const built = writeInitramfs(
    {
      busybox: readFileSync(pre.busybox),
      replayer: readFileSync(replayer),
      init: readFileSync(join(guestSourceDir(), 'init.sh')),
      trace: readTraceBytes(tracePath),
      args: replayerArgs(options),
      ...(pre.hmm ? { module: readFileSync(pre.hmm.module) } : {}),
    },
    tmpdir(),
  );
  const args = qemuArgs(machine, {
    qemu: pre.qemu,
    kernel: pre.kernel.path,
    initrd: built.path,
    machineType: options.machineType,
    append: [...settingsCmdline(options), ...(options.append ?? [])],
  });
  let keep = options.keepWorkDir ?? false;
  try {
    const r = await runQemu(pre.qemu, args, options);
    if (keep || r.timedOut) writeFileSync(join(built.dir, 'console.log'), r.console);
    if (r.timedOut) {
      keep = true;
      throw new GuestCrashError(`kernel-check: the guest did not power off within ${(options.timeoutMs ?? 300_000) / 1000} s (work folder kept: ${built.dir})`, consoleTail(r.console));
    }
    const result = extractResult(r.console, tracePath);
    return {
      ...result.report,
      host: {
        kernelImage: pre.kernel.path,
        kernelVersion: pre.kernel.version,
        qemuArgs: args,
        wallMs: r.wallMs,
        initUptimeS: result.initUptimeS,
        doneUptimeS: result.doneUptimeS,
      },
    };
  } finally {
    if (!keep) rmSync(built.dir, { recursive: true, force: true });
  }
}
