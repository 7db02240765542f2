// Shipped machines (DESIGN §4a). Figures are the real machines' (the simulator stores only touched
// pages, so hundreds of GiB cost nothing); every figure has a source line, and one we could not
// source is marked [unverified] rather than given false precision. [derived] = computed from a
// sourced figure, [inferred] = read off indirect evidence, [U] = platform value not confirmed.
import type { ConfigInput } from './schema.js';

export interface Preset {
  readonly name: string;
  readonly description: string;
  /** Modelling choices: renumbering, page size, what was left out. */
  readonly note: string;
  readonly sources: readonly string[];
  /** Input form, exactly as a config file would say it. */
  readonly config: Omit<ConfigInput, 'schema' | 'preset'>;
}

/** Used when neither --preset nor --config is given. */
export const DEFAULT_PRESET = 'two-node';

const V100 = (id: number, linuxId: number, gpu: number) =>
  ({ id, kind: 'device', capacity: '16GiB', name: `V100 GPU${gpu} HBM2 (Linux node ${linuxId})` }) as const;
const NVLINK2 = (node: number) => ({
  node,
  latencyNs: 800,
  bandwidthGBps: 75,
  source: 'NVLink 2.0, 3 bricks × 25 GB/s per direction [derived]; latency [unverified]',
});
const P9_ROW = (self: number) => [0, 1, 2, 3, 4, 5].map((j) => (j === self ? 10 : self < 2 && j < 2 ? 40 : 80));

export const presets: readonly Preset[] = [
  {
    name: 'two-node',
    description: 'Tiny test machine: node 0 cpu 64MiB with 2 CPUs, node 1 device 32MiB',
    note: 'Not a real machine: sized so unit tests and small traces reach memory pressure quickly.',
    sources: ['illustrative: sizes chosen for tests; link figures are the illustrative ones of DESIGN.md §4a'],
    config: {
      nodes: [
        { id: 0, kind: 'cpu', capacity: '64MiB', cpus: 2 },
        { id: 1, kind: 'device', capacity: '32MiB' },
      ],
      distance: [[10, 20], [20, 10]],
      pageSize: '4KiB',
      links: [{ node: 1, latencyNs: 800, bandwidthGBps: 64, source: 'illustrative (DESIGN.md §4a)' }],
    },
  },
  {
    name: 'power9-v100',
    description:
      'IBM Power System AC922 (8335-GTH): 2 POWER9 sockets, 4 × V100 SXM2 16 GB as CPU-less NUMA nodes over NVLink 2.0',
    note:
      'Linux numbers the nodes 0, 8, 252-255; ids here are 0-5 in the same order (the schema allows 0..31). ' +
      'pageSize 64KiB: ppc64le distributions of the time (RHEL 7 for POWER9) ran 64 KiB base pages [U]. ' +
      'Nominal capacities: a V100 32 GB onlined 32256 MB, so a 16 GB GPU node is a little under 16 GiB [inferred]. ' +
      'Every GPU is 80 from every other node whichever socket it hangs off, so distance cannot tell near GPUs from far ones.',
    sources: [
      'nodes 0, 8 (64 CPUs each: 16 cores × SMT4), GPU nodes 252-255, distances 10/40/80: `numactl -H` on an 8335-GTH ("ibm,witherspoon, 128CPUs, 256GB RAM, 6 nodes"), Jan Stancek, linux-mm thread "mm: mmu_gather: remove __tlb_reset_range() for force flush", June 2019 (lore.kernel.org)',
      'the same distance matrix with V100 32 GB nodes of 32256 MB: github.com/milanpro/Masterthesis-Heterogeneous-PC README.md, "AC922 NUMA Topology"',
      'CPU memory 128 GiB per socket: same Stancek listing (130722 MB and 130784 MB), rounded to the nominal size',
      'GPU memory 16 GiB HBM2 per V100 SXM2 16 GB: NVIDIA V100 product figure [unverified here]',
      'link 75 GB/s per direction: [derived] 3 NVLink 2.0 bricks × 25 GB/s; the 4-GPU AC922 gives each V100 3 bricks to its CPU (IBM quotes 150 GB/s CPU↔GPU, both directions) [inferred from the NV3 GPU pairs in nvidia-smi topo; IBM Redpaper REDP-5494 not read: unverified]',
      'link latency 800 ns: [unverified] placeholder (the illustrative value of DESIGN.md §4a); no measured CPU→V100 load latency located',
      'GPU memory exposed as NUMA nodes on POWER9, hidden by hwloc: open-mpi/hwloc commit 39fae7e (KERNEL-MODEL.md §1)',
    ],
    config: {
      nodes: [
        { id: 0, kind: 'cpu', capacity: '128GiB', cpus: 64, name: 'POWER9 socket 0 (Linux node 0)' },
        { id: 1, kind: 'cpu', capacity: '128GiB', cpus: 64, name: 'POWER9 socket 1 (Linux node 8)' },
        V100(2, 252, 0),
        V100(3, 253, 1),
        V100(4, 254, 2),
        V100(5, 255, 3),
      ],
      distance: [0, 1, 2, 3, 4, 5].map(P9_ROW),
      pageSize: '64KiB',
      links: [2, 3, 4, 5].map(NVLINK2),
    },
  },
  {
    name: 'gh200',
    description: 'NVIDIA GH200 Grace Hopper: 72-core Grace with 480 GB LPDDR5X, Hopper 96 GB HBM3 as a CPU-less node over NVLink-C2C',
    note:
      'Linux onlines node 0 as 490037 MB and the HBM node as 97280 MB (95 GiB) and adds eight empty nodes 2-8 for MIG ' +
      'partitions; nominal sizes are used and the empty nodes left out. pageSize 4KiB (kernel default); many GH200 systems ' +
      'run 64 KiB kernels: --set pageSize=64KiB. Link bandwidths are the measured 375/297 GB/s, not the 450 GB/s spec.',
    sources: [
      '480 GB LPDDR5X, 96 GB HBM3, 72 Neoverse V2 cores, NVLink-C2C 450 GB/s per direction (spec): NVIDIA, https://developer.nvidia.com/blog/nvidia-grace-hopper-superchip-architecture-in-depth/ (FORMATS.md §4)',
      'link 375 GB/s CPU→GPU and 297 GB/s GPU→CPU measured; system page table 4 KB or 64 KB: Schieffer et al., arXiv 2407.07850, as reported at https://4nownews.com/2024/07/27/not-so-simple-and-not-so-fast-scientists-studied-the-features-of-memory-and-nvlink-c2c-in-nvidia-grace-hopper (FORMATS.md §4)',
      'distance 10/80 and node sizes 490037 MB / 97280 MB: `numactl --hardware` in Bruno Faccini (NVIDIA), upstream commit 63db8170bf34, https://lkml.kernel.org/r/20250106120659.359610-2-bfaccini@nvidia.com [machine inferred to be a GH200: 72 CPUs and a 95 GiB CPU-less node]',
      'HBM onlined ZONE_MOVABLE by the NVIDIA driver: NVIDIA/open-gpu-kernel-modules kernel-open/nvidia/os-interface.c os_numa_add_gpu_memory() (KERNEL-MODEL.md §1)',
      'link latency 800 ns: [unverified] placeholder; no measured Grace→HBM load latency located',
      'tier 576: [unverified] assumes the driver registers no memory type, so HBM joins the DRAM tier',
    ],
    config: {
      nodes: [
        { id: 0, kind: 'cpu', capacity: '480GiB', cpus: 72, name: 'Grace LPDDR5X' },
        { id: 1, kind: 'device', capacity: '96GiB', name: 'Hopper HBM3' },
      ],
      distance: [[10, 80], [80, 10]],
      pageSize: '4KiB',
      links: [
        {
          node: 1,
          latencyNs: 800,
          bandwidthGBps: 375,
          bandwidthFromGBps: 297,
          source: 'NVLink-C2C measured (arXiv 2407.07850); latency [unverified]',
        },
      ],
    },
  },
  {
    name: 'pcie-gpu',
    description: 'x86 host with a discrete GTX 1080 Ti on PCIe 3.0 x16 (the UVMSmart reference setup): device memory is not coherent',
    note:
      'The HMM device-private case: real PCIe device memory is no NUMA node, so the distance is only what the NUMA-node ' +
      'designs would see. The ≈45 µs far-fault cost is not a link field; fault-modelling backends take it from the sources.',
    sources: [
      'PCIe 3.0 x16 16 GB/s per direction; 4 KB transfer 2,605 cycles ≈ 1.76 µs at 1,481 MHz; far fault 66,645 cycles ≈ 45 µs: UVMSmart GTX 1080 Ti configuration (FORMATS.md §4)',
      'link latency 1500 ns: [derived] 1.76 µs per 4 KiB transfer minus 0.26 µs wire time at 16 GB/s; a real RTX 3080 stream’s fastest 4 KB transfer took 1.47 µs (junstar92/nvidia-libraries-study, FORMATS.md §4)',
      'device memory 11 GiB GDDR5X: GTX 1080 Ti product figure [unverified here]',
      'host 64 GiB and 16 CPUs: [unverified] placeholder host, not from a source',
      'distance 20: [U] no SLIT entry exists for PCIe device memory; 20 is Linux’s REMOTE_DISTANCE fallback',
    ],
    config: {
      nodes: [
        { id: 0, kind: 'cpu', capacity: '64GiB', cpus: 16, name: 'host DRAM' },
        { id: 1, kind: 'device', capacity: '11GiB', name: 'GTX 1080 Ti GDDR5X' },
      ],
      distance: [[10, 20], [20, 10]],
      pageSize: '4KiB',
      links: [{ node: 1, latencyNs: 1500, bandwidthGBps: 16, source: 'PCIe 3.0 x16 (UVMSmart); latency [derived]' }],
    },
  },
  {
    name: 'cxl-expander',
    description: 'Host with a 512 GB DDR5 CXL 2.0 Type-3 memory expander on PCIe 5.0 x8, onlined as a CPU-less node in a lower tier',
    note:
      'Kernel knobs stay at kernel defaults (numaBalancing 1, demotion off); a tiering run wants ' +
      '--set kernel.numaBalancing=2 --set kernel.demotion=true.',
    sources: [
      '512 GB DDR5 CXL 2.0 memory expander on PCIe 5.0 x8: Samsung at Hot Chips 34, https://www.nextplatform.com/2022/08/23/samsung-shows-off-cxl-server-memory-expander/',
      'link 32 GB/s per direction: [derived] PCIe 5.0 x8 raw rate (32 GT/s × 8 lanes), before protocol overhead',
      'link latency 250 ns: [unverified] inside the 2–5× local-DRAM range measured on three CXL cards (Wang et al., arXiv 2405.14209), assuming ≈100 ns local DRAM',
      'tier 2880 = 5 × MEMTIER_ADISTANCE_DRAM, the dax/kmem default adistance ([S612] drivers/dax/kmem.c, KERNEL-MODEL.md §1)',
      'distance 20: [U] firmware-dependent; 20 is Linux’s REMOTE_DISTANCE fallback',
      'host 256 GiB and 64 CPUs: [unverified] placeholder host, not from a source',
    ],
    config: {
      nodes: [
        { id: 0, kind: 'cpu', capacity: '256GiB', cpus: 64, name: 'host DDR5' },
        { id: 1, kind: 'device', capacity: '512GiB', tier: 2880, name: 'CXL Type-3 expander' },
      ],
      distance: [[10, 20], [20, 10]],
      pageSize: '4KiB',
      links: [{ node: 1, latencyNs: 250, bandwidthGBps: 32, source: 'PCIe 5.0 x8 raw [derived]; latency [unverified]' }],
    },
  },
];

export function findPreset(name: string): Preset | undefined {
  return presets.find((p) => p.name === name);
}

export function presetNames(): string[] {
  return presets.map((p) => p.name);
}
