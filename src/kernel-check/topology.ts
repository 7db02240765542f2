// Machine description -> qemu command line: one -numa node per machine node, device nodes memory-only.
import { ConfigError } from '../errors.js';

export interface KernelNode {
  id: number;
  kind: 'cpu' | 'device';
  capacityBytes: number;
  /** CPUs on this node; device nodes have none (a stock kernel has no device memory). */
  cpus?: number;
}

export interface KernelMachine {
  nodes: KernelNode[];
  /** SLIT distances, distance[i][j] between the i-th and j-th node in id order; qemu's default otherwise. */
  distance?: number[][];
}

export interface QemuCommandOptions {
  qemu: string;
  kernel: string;
  initrd: string;
  /** Extra kernel command-line words. */
  append?: string[];
  machineType?: 'pc' | 'q35';
}

const MiB = 1024 * 1024;
/** Below this the first node cannot hold the decompressed kernel plus the initramfs. */
export const MIN_FIRST_NODE_BYTES = 128 * MiB;

export interface GuestTopology {
  totalMiB: number;
  totalCpus: number;
  /** Per node in id order: its CPU range in the guest ("0-1") or null when memory-only. */
  cpuRanges: (string | null)[];
}

/**
 * CPUs are numbered across CPU nodes in node-id order (DESIGN §3 `agent`), so trace agent cpuN is
 * guest CPU N and sched_setaffinity(N) in the guest puts it on the right node.
 */
export function guestTopology(machine: KernelMachine): GuestTopology {
  const nodes = [...machine.nodes].sort((a, b) => a.id - b.id);
  if (nodes.length === 0) throw new ConfigError('kernel-check needs at least one node', undefined, 'nodes');
  nodes.forEach((n, i) => {
    const where = `nodes.${i}`;
    if (n.id !== i) throw new ConfigError(`kernel-check needs node ids 0..${nodes.length - 1} without gaps (got ${n.id})`, undefined, `${where}.id`);
    if (!Number.isInteger(n.capacityBytes) || n.capacityBytes <= 0 || n.capacityBytes % MiB !== 0)
      throw new ConfigError(`node ${n.id}: capacity ${n.capacityBytes} B is not a positive whole number of MiB (qemu sizes nodes in MiB)`, undefined, `${where}.capacity`);
    if (n.kind === 'device' && (n.cpus ?? 0) > 0)
      throw new ConfigError(`node ${n.id}: a device node has no CPUs`, undefined, `${where}.cpus`);
  });
  if (nodes[0].capacityBytes < MIN_FIRST_NODE_BYTES)
    throw new ConfigError(`node 0: ${nodes[0].capacityBytes / MiB} MiB is too small to boot the guest kernel (at least ${MIN_FIRST_NODE_BYTES / MiB} MiB)`, undefined, 'nodes.0.capacity');
  let next = 0;
  const cpuRanges = nodes.map((n) => {
    const c = n.kind === 'cpu' ? (n.cpus ?? 0) : 0;
    if (c === 0) return null;
    const range = c === 1 ? `${next}` : `${next}-${next + c - 1}`;
    next += c;
    return range;
  });
  if (next === 0) throw new ConfigError('kernel-check needs at least one CPU node with cpus > 0', undefined, 'nodes');
  const totalMiB = nodes.reduce((s, n) => s + n.capacityBytes / MiB, 0);
  return { totalMiB, totalCpus: next, cpuRanges };
}

/** The qemu argument list (no shell quoting needed: it is passed to spawn as is). */
export function qemuArgs(machine: KernelMachine, o: QemuCommandOptions): string[] {
  const topo = guestTopology(machine);
  const nodes = [...machine.nodes].sort((a, b) => a.id - b.id);
  const args = ['-accel', 'tcg', '-machine', o.machineType ?? 'pc', '-smp', String(topo.totalCpus), '-m', `${topo.totalMiB}M`];
  nodes.forEach((n, i) => {
    args.push('-object', `memory-backend-ram,id=m${n.id},size=${n.capacityBytes / MiB}M`);
    const cpus = topo.cpuRanges[i];
    args.push('-numa', `node,nodeid=${n.id}${cpus ? `,cpus=${cpus}` : ''},memdev=m${n.id}`);
  });
  if (machine.distance) {
    const d = machine.distance;
    for (let i = 0; i < nodes.length; i++)
      for (let j = 0; j < nodes.length; j++)
        if (i !== j && d[i]?.[j] !== undefined) args.push('-numa', `dist,src=${nodes[i].id},dst=${nodes[j].id},val=${d[i][j]}`);
  }
  args.push('-kernel', o.kernel, '-initrd', o.initrd, '-append', kernelCmdline(o.append));
  // Console on the serial port only; -no-reboot + panic=-1 turn a guest panic into a qemu exit.
  args.push('-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot');
  return args;
}

/** nokaslr: with KASLR ~44 MiB of MemTotal moves between nodes from boot to boot (KERNEL-CHECK Q1). */
export function kernelCmdline(extra: string[] = []): string {
  return ['console=ttyS0', 'nokaslr', 'quiet', 'panic=-1', ...extra].join(' ');
}

/** Guest settings the init script reads back from the command line (config@1 `kernel.*`). */
export interface GuestSettings {
  numaBalancing?: 0 | 1 | 2 | 3;
  thp?: 'always' | 'madvise' | 'never';
  /** vm.min_free_kbytes; applied after thp, since changing THP recomputes it. */
  minFreeKbytes?: number;
  watermarkScaleFactor?: number;
  swappiness?: number;
  /** /sys/kernel/mm/numa/demotion_enabled */
  demotion?: boolean;
  /** debugfs sched/numa_balancing/ knobs */
  numaScanDelayMs?: number;
  numaScanPeriodMinMs?: number;
  numaScanPeriodMaxMs?: number;
  numaScanSizeMb?: number;
}

export function settingsCmdline(s: GuestSettings): string[] {
  const words: string[] = [];
  const add = (name: string, v: number | string | boolean | undefined): void => {
    if (v !== undefined) words.push(`cdm_${name}=${String(v)}`);
  };
  add('numa_balancing', s.numaBalancing);
  // THP at boot, not through sysfs: switching it at run time recomputes min_free_kbytes from the
  // then-current free pages (mm/khugepaged.c set_recommended_min_free_kbytes()), which a machine
  // booted that way never does, and the watermarks (KERNEL-MODEL §2.2) would differ.
  if (s.thp !== undefined) words.push(`transparent_hugepage=${s.thp}`);
  add('min_free_kbytes', s.minFreeKbytes);
  add('watermark_scale_factor', s.watermarkScaleFactor);
  add('swappiness', s.swappiness);
  add('demotion', s.demotion);
  add('numa_scan_delay_ms', s.numaScanDelayMs);
  add('numa_scan_period_min_ms', s.numaScanPeriodMinMs);
  add('numa_scan_period_max_ms', s.numaScanPeriodMaxMs);
  add('numa_scan_size_mb', s.numaScanSizeMb);
  return words;
}
