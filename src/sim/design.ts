// The explicit decision points a placement design controls. The core calls these and nothing
// else design-specific; `STOCK_KERNEL` gives Linux's own answers, so a backend overrides only the
// rules its design changes (STYLE: mechanism in src/sim, policy in src/backends).
import type { MemPolicy } from './mempolicy.js';
import type { Vma } from './mm.js';
import type { NodeSpec } from './spec.js';

/** What the allocator is being asked for (a reused object; read it, do not keep it). */
export interface AllocRequest {
  /** GFP bits (sim/alloc.ts Gfp). */
  gfp: number;
  /** Node whose zonelist is walked (after policy resolution). */
  nid: number;
  /** Node bit mask or NO_MASK. */
  nodemask: number;
  /** Highest zone type usable (gfp_zone). */
  highestZone: number;
  /** Node of the CPU running the allocation (numa_local / numa_other). */
  cpuNode: number;
  /** The mask came from a cpuset substitution rather than the caller (V3 buddy filter needs this). */
  cpusetMask: boolean;
}

export interface Design {
  /** N_MEMORY membership: others' zonelists, default policies, numa_maps, move_pages targets. */
  nodeInNMemory(node: NodeSpec): boolean;
  /** Whether the node has a kswapd thread (kswapd_run() at boot or online). */
  nodeHasKswapd(node: NodeSpec, inNMemory: boolean): boolean;
  /**
   * Node order of `local`'s ZONELIST_FALLBACK. `stock` is build_zonelists() over N_MEMORY with
   * find_next_best_node(); a design may filter or reorder it.
   */
  fallbackOrder(local: number, stock: number[], nodes: readonly NodeSpec[]): number[];
  /** Buddy zone filter inside get_page_from_freelist() (Anshuman V3); stock: always true. */
  zoneAllowed(zoneNode: number, req: AllocRequest): boolean;
  /** Nodes a user policy may name (mpol_set_nodemask: cpuset mems, i.e. N_MEMORY). */
  policyAllowedMask(stockMask: number): number;
  /**
   * policy_zonelist(): which node's zonelist a policy allocation walks. Stock: the policy's nid
   * (the local node for BIND). `mask` is the policy's nodemask or NO_MASK.
   */
  policyZonelistNode(pol: MemPolicy, nid: number, mask: number, localNode: number): number;
  /** move_pages(2) call-level check of a target node: null when allowed, else the errno name. */
  moveTargetError(target: number, inNMemory: boolean): string | null;
  /** Whether memcg reclaim (try_to_free_mem_cgroup_pages) can reach pages on this node. */
  memcgReclaimReaches(node: number): boolean;
  /** task_numa_work(): may the scanner look at this VMA (Anshuman V2 skips VM_CDM VMAs)? */
  numaScanVma(vma: Vma): boolean;
  /** change_prot_numa(): may this page be made PROT_NONE (ZONE_DEVICE pages are skipped)? */
  numaScanPage(node: number, zone: number): boolean;
  /** Called after mbind() set `pol` on `vmas` (Anshuman's set_vm_cdm() tags VMAs here). */
  onMbind?(vmas: Vma[], pol: MemPolicy | null): void;
  /**
   * alloc_pages_vma() returned a page on node id `node` for `vma` under `pol` (Anshuman V2's
   * mark_vma_cdm() tags the VMA here); default: nothing.
   */
  onVmaAlloc?(vma: Vma, pol: MemPolicy | null, node: number): void;
  /**
   * vma_migratable(): move_pages() fails the VMA's pages with -EFAULT and mbind(MPOL_MF_MOVE) does
   * not queue them (Anshuman V1 makes VM_CDM VMAs non-migratable); default: yes.
   */
  vmaMigratable?(vma: Vma): boolean;
  /**
   * __cpuset_node_allowed(): is node id `node` in the task's cpuset mems_allowed? shrink_zones()
   * skips other nodes in global direct reclaim; default: yes (root cpuset holds every node).
   */
  cpusetNodeAllowed?(node: number): boolean;
  /** Whether smaps' page walk counts a page (2017 HMM public pages are invisible); default yes. */
  smapsSees?(node: number, zone: number): boolean;
  /** Whether a page on this node is listed in /proc/pid/numa_maps. */
  numaMapsSees(node: number, inNMemory: boolean): boolean;
  /**
   * How a device agent's explicit `migrate` moves pages: through migrate_pages() (counts
   * pgmigrate_*) or migrate_vma (no vmstat counter, KERNEL-MODEL §2.10).
   */
  driverMigrate: 'migrate_pages' | 'migrate_vma';
  /**
   * Node whose CPU-side fault path serves a device agent's first touch of an absent page, and
   * whether that placement counts as requested (a design that allows device first touch).
   */
  deviceFirstTouchNode(devNode: number, hostNode: number): { node: number; requested: boolean };
  /**
   * The rules of device memory a design keeps in ZONE_DEVICE (HMM, KERNEL-MODEL §3); absent when
   * device memory is a NUMA node. The mechanisms are src/sim/zone-device.ts and migrate-vma.ts.
   */
  zoneDevice?: ZoneDeviceRules;
}

/** How a ZONE_DEVICE memory type and its driver behave (KERNEL-MODEL §3.2-3.4). */
export interface ZoneDeviceRules {
  /** MEMORY_DEVICE_PUBLIC (4.14-5.2), _PRIVATE (CPU touch faults), _COHERENT (6.0+). */
  type: 'public' | 'private' | 'coherent';
  /** migrate_vma may move file and shmem pages already present (HMM-CDM 1/3, public only). */
  fileToDevice: boolean;
  /** A PMD THP in a migrate_vma range: split first (6.12), or skipped (HMM v2x @357d532d). */
  thp: 'split' | 'skip';
  /** move_pages(2) status of a device-resident page (6.12 -ENOENT; 4.14 public -EBUSY). */
  movePagesErrno: 'ENOENT' | 'EBUSY';
  /** Driver policy when its pool is full: evict the oldest device page to RAM, or give no dst. */
  evict: 'lru' | 'none';
  /** Pages a device-private CPU fault migrates back (test_hmm dmirror_devmem_fault: 1). */
  faultBackPages: number;
  /** A device's first touch of an anon hole is populated in its pool (migrate_vma on a hole). */
  deviceFirstTouch: boolean;
}

export const STOCK_KERNEL: Design = {
  nodeInNMemory: (node) => node.zones.some((z) => z.type !== 'DEVICE' && z.pages > 0),
  nodeHasKswapd: (_node, inNMemory) => inNMemory,
  fallbackOrder: (_local, stock) => stock,
  zoneAllowed: () => true,
  policyAllowedMask: (stockMask) => stockMask,
  policyZonelistNode: (_pol, nid) => nid,
  moveTargetError: (_target, inNMemory) => (inNMemory ? null : 'ENODEV'),
  memcgReclaimReaches: () => true,
  numaScanVma: () => true,
  numaScanPage: () => true,
  numaMapsSees: (_node, inNMemory) => inNMemory,
  driverMigrate: 'migrate_pages',
  deviceFirstTouchNode: (_dev, host) => ({ node: host, requested: false }),
};
