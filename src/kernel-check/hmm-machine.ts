// --kernel hmm: the config@1 machine -> the guest that runs it. Under HMM a device node is no NUMA
// node (KERNEL-MODEL §3.1): the guest gets the CPU nodes only, and test_hmm (lib/test_hmm.c) plays the
// devices. Device-private memory needs no RAM of its own (test_hmm backs each page with a system page);
// device-coherent memory is real RAM that the kernel command line reserves (memmap=) and test_hmm
// hands to memremap_pages() as MEMORY_DEVICE_COHERENT (spm_addr_dev0/1), one 256 MiB chunk per device.
import type { Config } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { HmmTopology } from './hmm-plan.js';
import { type GuestSetup, guestSetup } from './machine.js';

export const HMM_VARIANTS = ['private', 'coherent-6x'] as const;
export type HmmVariant = (typeof HMM_VARIANTS)[number];

const MiB = 1024 * 1024;
/** lib/test_hmm.c DEVMEM_CHUNK_SIZE: a coherent device is exactly one chunk of reserved RAM. */
export const DEVMEM_CHUNK_BYTES = 256 * MiB;
/** Two coherent devices (/dev/hmm_dmirror2,3). */
const SPM_BYTES = 2 * DEVMEM_CHUNK_BYTES;
/**
 * RAM kept above the reserved range: qemu puts the ACPI tables at the top of RAM, and a reservation
 * there corrupted the DSDT (KERNEL-CHECK Q3 pitfall).
 */
const TOP_MARGIN = 64 * MiB;
/** The pc machine keeps guest RAM contiguous from 0 below 3 GiB (machine.ts PC_LOWMEM). */
const LOW_RAM_END = 3 * 1024 * MiB;

export interface HmmGuestSetup extends GuestSetup {
  variant: HmmVariant;
  /** Replayer arguments: -H type, -d NODE:CPU per device, -N NODE:CPU per CPU node with CPUs. */
  replayerArgs: string[];
  /** Kernel command-line words: cdm_hmm=1, and for coherent memmap= and cdm_hmm_spm=. */
  append: string[];
  topology: HmmTopology;
  /** The CPU node running device 0's driver work (its nearest): where test_hmm's own pages land. */
  driverNode: number;
  /** Guest physical address of the device-coherent reservation (coherent-6x only). */
  spmAddress?: number;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

export function hmmGuestSetup(config: Config, variant: HmmVariant, traceBytes = 0): HmmGuestSetup {
  const where = (i: number): string => `nodes.${i}`;
  const devices = config.nodes.map((n, i) => ({ n, i })).filter(({ n }) => n.kind === 'device');
  const cpuNodes = config.nodes.filter((n) => n.kind === 'cpu');
  if (devices.length === 0)
    throw new ConfigError('kernel-check --kernel hmm: the config has no device node (nodes[].kind: device) for test_hmm to play', undefined, 'nodes');
  if (devices.length > 2)
    throw new ConfigError(`kernel-check --kernel hmm: test_hmm emulates two devices of each memory type; the config has ${devices.length} device nodes`, undefined, where(devices[2].i));
  // The guest's NUMA nodes are the CPU nodes, so they must be ids 0..k-1 (topology.ts); devices come after.
  cpuNodes.forEach((n, i) => {
    if (n.id !== i) throw new ConfigError(`kernel-check --kernel hmm: CPU nodes must come first with ids 0..${cpuNodes.length - 1} (the guest has no NUMA node for a device); node ${n.id} is CPU node ${i}`, undefined, `${where(config.nodes.indexOf(n))}.id`);
  });
  if (variant === 'coherent-6x')
    for (const { n, i } of devices)
      if (n.capacity !== DEVMEM_CHUNK_BYTES)
        throw new ConfigError(`kernel-check --kernel hmm: a device-coherent test_hmm device has exactly ${DEVMEM_CHUNK_BYTES / MiB} MiB (one DEVMEM_CHUNK_SIZE of reserved RAM); node ${n.id} has ${n.capacity / MiB} MiB`, undefined, `${where(i)}.capacity`);

  const keep = config.nodes.map((n, i) => (n.kind === 'cpu' ? i : -1)).filter((i) => i >= 0);
  const cpuConfig: Config = { ...config, nodes: cpuNodes, distance: keep.map((i) => keep.map((j) => config.distance[i][j])) };
  const base = guestSetup(cpuConfig, traceBytes);
  const warnings = [...base.warnings];

  // CPUs are numbered across CPU nodes in id order (DESIGN §3); a device's driver work runs on its
  // nearest CPU node with CPUs, as the engine's nearestCpuNode() picks it (ties: lower id).
  const firstCpu = new Map<number, number>();
  let next = 0;
  for (const n of cpuNodes) {
    if (n.cpus > 0) firstCpu.set(n.id, next);
    next += n.cpus;
  }
  const replayerArgs = ['-H', variant === 'private' ? 'private' : 'coherent'];
  let driverNode = -1;
  for (const { n, i } of devices) {
    let best = -1;
    config.nodes.forEach((c, j) => {
      if (c.kind === 'cpu' && c.cpus > 0 && (best < 0 || config.distance[i][j] < config.distance[i][best])) best = j;
    });
    if (best < 0) throw new ConfigError('kernel-check --kernel hmm: no CPU node has CPUs to run the driver', undefined, 'nodes');
    if (driverNode < 0) driverNode = config.nodes[best].id;
    replayerArgs.push('-d', `${n.id}:${firstCpu.get(config.nodes[best].id)}`);
  }
  for (const [id, cpu] of firstCpu) replayerArgs.push('-N', `${id}:${cpu}`);

  const append = ['cdm_hmm=1'];
  const machine = { ...base.machine, nodes: base.machine.nodes.map((n) => ({ ...n })) };
  let spmAddress: number | undefined;
  if (variant === 'coherent-6x') {
    // Node 0 grows by the reservation (aligned to a chunk) plus the top margin; memmap= takes the
    // reserved range out of its MemTotal again, so node 0 keeps about its configured size.
    const node0 = machine.nodes[0];
    spmAddress = Math.ceil(node0.capacityBytes / DEVMEM_CHUNK_BYTES) * DEVMEM_CHUNK_BYTES;
    const grown = spmAddress + SPM_BYTES + TOP_MARGIN;
    if (grown > LOW_RAM_END)
      throw new ConfigError(`kernel-check --kernel hmm: node 0 (${node0.capacityBytes / MiB} MiB) leaves no room below 3 GiB for the ${SPM_BYTES / MiB} MiB device-coherent reservation`, undefined, 'nodes.0.capacity');
    warnings.push(`coherent-6x: the guest's node 0 has ${(grown - node0.capacityBytes) / MiB} MiB more RAM than configured: ${SPM_BYTES / MiB} MiB reserved at ${hex(spmAddress)} (memmap=) for test_hmm's two device-coherent devices, plus ${(grown - SPM_BYTES - node0.capacityBytes) / MiB} MiB alignment and margin`);
    node0.capacityBytes = grown;
    append.push(`memmap=${SPM_BYTES / MiB}M$${hex(spmAddress)}`, `cdm_hmm_spm=${hex(spmAddress)},${hex(spmAddress + DEVMEM_CHUNK_BYTES)}`);
  }
  const topology: HmmTopology = {
    deviceNodes: devices.map(({ n }) => n.id),
    cpusOf: new Map(config.nodes.map((n) => [n.id, n.kind === 'cpu' ? n.cpus : 0])),
  };
  return { machine, options: base.options, warnings, variant, replayerArgs, append, topology, driverNode, ...(spmAddress !== undefined ? { spmAddress } : {}) };
}
