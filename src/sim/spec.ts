// What the core needs to know about a machine and its kernel; built from the user's config by
// the engine, so the core never depends on the config format.

/** Zone types in kernel order (zone_idx); a higher index may not serve a lower gfp_zone. */
export const ZoneType = { DMA: 0, DMA32: 1, NORMAL: 2, MOVABLE: 3, DEVICE: 4 } as const;
export const ZONE_NAMES = ['dma', 'dma32', 'normal', 'movable', 'device'] as const;
export type ZoneTypeName = 'DMA' | 'DMA32' | 'NORMAL' | 'MOVABLE' | 'DEVICE';

export interface NodeSpec {
  id: number;
  kind: 'cpu' | 'device';
  cpus: number;
  zones: { type: ZoneTypeName; pages: number }[];
  /** Memory-tier abstract distance (mm/memory-tiers.c); lower is faster. */
  adistance: number;
  /**
   * ZONE_DEVICE memory only: id of the CPU node that owns its struct pages (the nid given to
   * memremap_pages()); node stats of its pages go there (KERNEL-MODEL §2.9, §3.1).
   */
  host?: number;
}

export type KernelModel = '4.11' | '6.12';

export interface KernelSpec {
  /** Which kernel's rules apply where they changed (KERNEL-MODEL §0). */
  model: KernelModel;
  watermarkModel: KernelModel;
  thp: 'always' | 'madvise' | 'never';
  numaBalancing: 0 | 1 | 2 | 3;
  demotion: boolean;
  swappiness: number;
  minFreeKbytes?: number;
  watermarkScaleFactor: number;
  numaScanDelayMs: number;
  numaScanPeriodMinMs: number;
  numaScanPeriodMaxMs: number;
  numaScanSizeMb: number;
  khugepaged: {
    scanSleepMs: number;
    allocSleepMs: number;
    pagesToScan: number;
    maxPtesNone: number;
    maxPtesSwap: number;
    maxPtesShared: number;
  };
}

export interface MemcgSpec {
  path: string;
  /** Pages; Infinity = "max". */
  maxPages: number;
}

export interface MachineSpec {
  nodes: NodeSpec[];
  /** SLIT distances indexed by position in `nodes`. */
  distance: number[][];
  pageSize: number;
  swapPages: number;
  memcgs: MemcgSpec[];
  kernel: KernelSpec;
}
