import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { guestTopology, kernelCmdline, type KernelMachine, qemuArgs, settingsCmdline } from '../../src/kernel-check/topology.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const two: KernelMachine = {
  nodes: [
    { id: 1, kind: 'device', capacityBytes: GiB },
    { id: 0, kind: 'cpu', capacityBytes: GiB, cpus: 2 },
  ],
};
const files = { qemu: 'qemu-system-x86_64', kernel: '/k/vmlinuz', initrd: '/t/initrd.cpio' };

describe('qemu command line', () => {
  it('matches the KERNEL-CHECK recipe for a CPU node plus a memory-only device node', () => {
    expect(qemuArgs(two, { ...files, append: settingsCmdline({ numaBalancing: 0, thp: 'never' }) })).toEqual([
      '-accel', 'tcg', '-machine', 'pc', '-smp', '2', '-m', '2048M',
      '-object', 'memory-backend-ram,id=m0,size=1024M', '-numa', 'node,nodeid=0,cpus=0-1,memdev=m0',
      '-object', 'memory-backend-ram,id=m1,size=1024M', '-numa', 'node,nodeid=1,memdev=m1',
      '-kernel', '/k/vmlinuz', '-initrd', '/t/initrd.cpio',
      '-append', 'console=ttyS0 nokaslr quiet panic=-1 cdm_numa_balancing=0 transparent_hugepage=never',
      '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot',
    ]);
  });

  it('numbers CPUs across CPU nodes in node-id order (agent cpuN = guest CPU N)', () => {
    const t = guestTopology({
      nodes: [
        { id: 0, kind: 'cpu', capacityBytes: 512 * MiB, cpus: 2 },
        { id: 1, kind: 'device', capacityBytes: 256 * MiB },
        { id: 2, kind: 'cpu', capacityBytes: 256 * MiB, cpus: 1 },
      ],
    });
    expect(t).toEqual({ totalMiB: 1024, totalCpus: 3, cpuRanges: ['0-1', null, '2'] });
  });

  it('passes SLIT distances and the machine type', () => {
    const args = qemuArgs({ ...two, distance: [[10, 80], [80, 10]] }, { ...files, machineType: 'q35' });
    expect(args.slice(2, 4)).toEqual(['-machine', 'q35']);
    expect(args).toContain('dist,src=0,dst=1,val=80');
    expect(args).toContain('dist,src=1,dst=0,val=80');
  });

  it.each([
    ['a gap in node ids', [{ id: 0, kind: 'cpu', capacityBytes: GiB, cpus: 1 }, { id: 2, kind: 'device', capacityBytes: GiB }], 'nodes.1.id'],
    ['a size that is not whole MiB', [{ id: 0, kind: 'cpu', capacityBytes: GiB + 1, cpus: 1 }], 'nodes.0.capacity'],
    ['a device node with CPUs', [{ id: 0, kind: 'cpu', capacityBytes: GiB, cpus: 1 }, { id: 1, kind: 'device', capacityBytes: GiB, cpus: 1 }], 'nodes.1.cpus'],
    ['node 0 too small to boot', [{ id: 0, kind: 'cpu', capacityBytes: 64 * MiB, cpus: 1 }], 'nodes.0.capacity'],
    ['no CPU at all', [{ id: 0, kind: 'device', capacityBytes: GiB }], 'nodes'],
  ] as const)('rejects %s with a ConfigError naming the key', (_what, nodes, keyPath) => {
    let err: unknown;
    try {
      guestTopology({ nodes: nodes.map((n) => ({ ...n })) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).keyPath).toBe(keyPath);
    expect((err as ConfigError).exitCode).toBe(2);
  });

  it('always boots with nokaslr and a console on ttyS0', () => {
    expect(kernelCmdline(['x=1'])).toBe('console=ttyS0 nokaslr quiet panic=-1 x=1');
    expect(settingsCmdline({})).toEqual([]);
  });

  it('sets THP at boot (min_free_kbytes as on a machine booted that way) and passes the other knobs to /init', () => {
    expect(settingsCmdline({ thp: 'always', minFreeKbytes: 8192, watermarkScaleFactor: 100, swappiness: 10, demotion: true, numaScanDelayMs: 100, numaScanSizeMb: 64 })).toEqual([
      'transparent_hugepage=always', 'cdm_min_free_kbytes=8192', 'cdm_watermark_scale_factor=100', 'cdm_swappiness=10',
      'cdm_demotion=true', 'cdm_numa_scan_delay_ms=100', 'cdm_numa_scan_size_mb=64',
    ]);
  });
});
