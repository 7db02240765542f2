// The effective config@1 -> what the guest boots with: its NUMA topology and kernel settings.
// Anything the guest cannot reproduce is a ConfigError naming the key (exit 2); anything it
// reproduces only approximately is a warning, since the comparison then says less.
import type { Config } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { KernelReplayOptions } from './run.js';
import { type KernelMachine, MIN_FIRST_NODE_BYTES } from './topology.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** x86-64 physical layout of the `pc` machine: ZONE_DMA below 16 MiB, ZONE_DMA32 below 4 GiB. */
const DMA_END = 16 * MiB;
const DMA32_END = 4 * GiB;
/** qemu's pc machine keeps RAM below 3 GiB when the guest has 3.5 GiB or more; the rest starts at 4 GiB. */
const PC_LOWMEM_SPLIT = 0xe0000000;
const PC_LOWMEM = 3 * GiB;
/** Kernel defaults (6.12) of the settings config@1 exposes; only values that differ are passed. */
const KERNEL_DEFAULTS = {
  watermarkScaleFactor: 10,
  swappiness: 60,
  demotion: false,
  numaScanDelayMs: 1000,
  numaScanPeriodMinMs: 1000,
  numaScanPeriodMaxMs: 60000,
  numaScanSizeMb: 256,
} as const;
const ADISTANCE_DRAM = 576;
const SEE = 'see docs/fidelity.md (test/fidelity/machine.yaml boots)';

export interface GuestSetup {
  machine: KernelMachine;
  options: KernelReplayOptions;
  warnings: string[];
}

/** The zones each guest node gets, in MiB, from where qemu puts its RAM (nodes in id order). */
export function guestZones(capacitiesBytes: readonly number[]): { type: 'DMA' | 'DMA32' | 'NORMAL'; bytes: number }[][] {
  const total = capacitiesBytes.reduce((a, b) => a + b, 0);
  const low = total >= PC_LOWMEM_SPLIT ? PC_LOWMEM : total;
  let ram = 0; // guest RAM offset; physical address = ram below `low`, else ram - low + 4 GiB
  return capacitiesBytes.map((cap) => {
    const zones = new Map<'DMA' | 'DMA32' | 'NORMAL', number>();
    const add = (t: 'DMA' | 'DMA32' | 'NORMAL', b: number): void => {
      if (b > 0) zones.set(t, (zones.get(t) ?? 0) + b);
    };
    const start = ram, end = ram + cap;
    const lowEnd = Math.min(end, low);
    if (start < lowEnd) {
      add('DMA', Math.max(0, Math.min(lowEnd, DMA_END) - start));
      add('DMA32', lowEnd - Math.max(start, DMA_END));
    }
    if (end > low) {
      const phys = (a: number): number => a - low + DMA32_END;
      const s = phys(Math.max(start, low)), e = phys(end);
      add('DMA32', Math.max(0, Math.min(e, DMA32_END) - s));
      add('NORMAL', e - Math.max(s, DMA32_END));
    }
    ram = end;
    return [...zones.entries()].map(([type, bytes]) => ({ type, bytes }));
  });
}

/**
 * Node 0 holds the kernel, the initramfs (the trace twice: archive and unpacked /trace.csv) and the
 * parsed trace (56 B per event, less than a CSV line), so its minimum grows with the trace.
 */
export function minNode0Bytes(traceBytes = 0): number {
  return MIN_FIRST_NODE_BYTES + Math.ceil((3 * traceBytes) / MiB) * MiB;
}

export function guestSetup(config: Config, traceBytes = 0): GuestSetup {
  const warnings: string[] = [];
  if (config.pageSize !== 4096)
    throw new ConfigError(`kernel-check: the x86-64 guest has 4 KiB base pages, the config has pageSize ${config.pageSize} B`, undefined, 'pageSize');
  if (config.swap > 0)
    throw new ConfigError('kernel-check: the guest has no swap device; set swap: 0 (the simulator would swap where the kernel OOM-kills)', undefined, 'swap');
  const node0 = config.nodes[0];
  const need = minNode0Bytes(traceBytes);
  if (node0.id === 0 && node0.capacity < need)
    throw new ConfigError(
      `kernel-check: node 0 has ${node0.capacity / MiB} MiB; the guest needs at least ${need / MiB} MiB there ` +
        `(${MIN_FIRST_NODE_BYTES / MiB} MiB for the kernel and init, plus 3 x the trace's ${Math.ceil(traceBytes / 1024)} KiB); ${SEE}`,
      undefined, 'nodes.0.capacity');
  config.memcgs.forEach((g, i) => {
    if (g.high !== 'max')
      throw new ConfigError(`kernel-check: the guest sets memory.max only; memcg ${g.path} has memory.high ${g.high}`, undefined, `memcgs.${i}.high`);
  });
  const machine: KernelMachine = {
    nodes: config.nodes.map((n) => ({ id: n.id, kind: n.kind, capacityBytes: n.capacity, cpus: n.cpus })),
    distance: config.distance,
  };
  const k = config.kernel;
  const options: KernelReplayOptions = {
    numaBalancing: k.numaBalancing,
    thp: k.thp,
    memcgs: config.memcgs.map((g) => ({ path: g.path, ...(g.max === 'max' ? {} : { maxBytes: g.max }) })),
  };
  if (k.minFreeKbytes !== undefined) options.minFreeKbytes = k.minFreeKbytes;
  for (const key of Object.keys(KERNEL_DEFAULTS) as (keyof typeof KERNEL_DEFAULTS)[]) {
    if (k[key] !== KERNEL_DEFAULTS[key]) (options as Record<string, unknown>)[key] = k[key];
  }
  if (k.watermarkModel === '4.11')
    warnings.push('kernel.watermarkModel is 4.11: the guest runs 6.12, so watermarks and the fallback point differ by design');
  config.nodes.forEach((n, i) => {
    if (n.tier !== ADISTANCE_DRAM)
      warnings.push(`nodes.${i}.tier: the guest has no HMAT, so every node is DRAM tier (${ADISTANCE_DRAM}); tiering and demotion differ`);
  });
  zoneWarnings(config, warnings);
  return { machine, options, warnings };
}

/** Watermarks and where GFP_KERNEL allocations (page tables) may go depend on the zones. */
function zoneWarnings(config: Config, warnings: string[]): void {
  const guest = guestZones(config.nodes.map((n) => n.capacity));
  config.nodes.forEach((n, i) => {
    const want = guest[i].map((z) => `${z.type} ${z.bytes / MiB}MiB`).join(' + ');
    const have = n.zones.map((z) => `${z.type} ${z.size / MiB}MiB`).join(' + ');
    if (want !== have)
      warnings.push(`nodes.${i}.zones: the guest's node ${n.id} has ${want}, the config models ${have}; watermarks, the fallback point and page-table placement will differ (${SEE})`);
  });
}
