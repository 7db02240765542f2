// `hmm`: Jérôme Glisse's HMM with device memory in ZONE_DEVICE (KERNEL-MODEL §3; HMM-CDM
// <20170614201144.9306-1-jglisse@redhat.com>, HMM v25 in 4.14, MEMORY_DEVICE_COHERENT f25cbb7a95a2 in
// 6.0). The device memory is no NUMA node: each device node of the machine becomes a driver pool of
// ZONE_DEVICE pages owned by a host CPU node. Only the driver puts pages there (migrate_vma); the
// mechanisms are src/sim/zone-device.ts and src/sim/migrate-vma.ts.
import * as z from 'zod';
import { ConfigError } from '../errors.js';
import { parseKnobs } from './knobs.js';
import { STOCK_KERNEL, ZoneDeviceRules } from '../sim/design.js';
import type { MachineSpec } from '../sim/spec.js';
import type { BackendDef } from './types.js';

const VARIANT_NAMES = ['public-2017', 'private', 'coherent-6x'] as const;
type Variant = (typeof VARIANT_NAMES)[number];

const Knobs = z.strictObject({
  variant: z.enum(VARIANT_NAMES).default('public-2017'),
  deviceFirstTouch: z.enum(['system', 'device']).default('system'),
  evict: z.enum(['none', 'lru']).default('none'),
  faultBackPages: z.int().min(1).default(1),
  hostNode: z.union([z.literal('nearest'), z.int().min(0)]).default('nearest'),
});

const VARIANTS = [
  { name: 'public-2017', description: 'HMM-CDM MEMORY_DEVICE_PUBLIC (4.14-5.2): the CPU maps device pages directly (no fault); anything present, page cache and shmem included, may migrate to the device; smaps cannot see device pages (vm_normal_page() is NULL); move_pages on them -EBUSY; THP ranges skipped by migrate_vma (HMM v2x).' },
  { name: 'private', description: 'MEMORY_DEVICE_PRIVATE (4.14-today): device pages sit behind special swap entries; a CPU touch faults and migrate_to_ram() brings faultBackPages pages back; anonymous memory only; THPs split first; move_pages -ENOENT.' },
  { name: 'coherent-6x', description: 'MEMORY_DEVICE_COHERENT (6.0-today): like public (direct CPU access, no fault) but anonymous memory only, THPs split first, smaps counts device pages, move_pages -ENOENT; pages come back only by an explicit driver migration or a long-term pin.' },
];

/** Node id of the CPU node nearest to position `pos` (numa_nearest_node(); ties: lower id). */
function nearestCpu(machine: MachineSpec, pos: number): number {
  let best = -1;
  machine.nodes.forEach((n, i) => {
    if (n.kind !== 'cpu') return;
    if (best < 0 || machine.distance[pos][i] < machine.distance[pos][best]) best = i;
  });
  return machine.nodes[best].id;
}

export const hmm: BackendDef = {
  name: 'hmm',
  description:
    'Jérôme Glisse\'s HMM (2017 HMM-CDM, merged in 4.14): device memory is not a NUMA node but a driver pool of ' +
    'ZONE_DEVICE struct pages owned by a host CPU node, outside N_MEMORY and every zonelist, without watermarks, ' +
    'kswapd or LRU. The page allocator never returns it: only the driver moves anonymous pages (public-2017 also ' +
    'page cache) there with migrate_vma, which counts no vmstat event; a full pool silently leaves pages in RAM. ' +
    'mbind, set_mempolicy and move_pages cannot name it. Device pages count in VmRSS and memory.current but ' +
    'not in numa_maps (nor 2017 smaps); reclaim, swap, NUMA balancing, khugepaged and mlock skip them, so a memcg ' +
    'full of device memory OOMs. Device-private pages fault back to RAM on CPU touch (and on mlock); public and ' +
    'coherent ones are accessed over the link. A long-term pin migrates them to RAM first.',
  kernelModel: '4.11',
  // MEMORY_DEVICE_COHERENT arrived in 6.0: that variant runs on the 6.12 core rules (KERNEL-MODEL §3).
  kernelModelFor: (variant, knobs) => ((variant ?? knobs?.variant) === 'coherent-6x' ? '6.12' : '4.11'),
  variants: VARIANTS,
  defaultVariant: 'public-2017',
  knobs: [
    { name: 'variant', values: VARIANT_NAMES.join('|'), default: 'public-2017', description: 'The ZONE_DEVICE memory type (the variants); a NAME:VARIANT label wins.' },
    { name: 'deviceFirstTouch', values: 'system|device', default: 'system', description:
      'A device\'s first touch of an absent page: served by the CPU-side fault path on the host node (system; hmm_range_fault(), what 2017 HMM offered), or, for anonymous VMAs, allocated in the device pool by the driver (device; "direct device fault" was listed as missing in 2017).' },
    { name: 'evict', values: 'none|lru', default: 'none', description:
      'Driver policy when its pool is full: none gives migrate_vma no destination (the page stays in RAM, reason no-dst); lru first migrates the pool\'s oldest page back to RAM.' },
    { name: 'faultBackPages', values: 'integer >= 1', default: 1, description:
      'Pages a device-private CPU fault migrates back (the aligned block around the fault; test_hmm migrates exactly one).' },
    { name: 'hostNode', values: 'nearest|node id', default: 'nearest', description:
      'CPU node owning the device pages\' struct pages (memremap_pages() nid): their node stats (nr_anon_pages) count there, and a device\'s CPU-side first touch is served there. nearest: the nearest CPU node of each device.' },
  ],
  sources: [
    'mm/migrate_device.c migrate_vma_setup/collect_pmd/collect_hole/unmap/pages/finalize, migrate_vma_insert_page (KERNEL-MODEL §3.3, §2.11); 2017 mm/migrate.c migrate_vma() (HMM v25)',
    'HMM-CDM 1/3 <20170614201144.9306-2-jglisse@redhat.com>: MEMORY_DEVICE_PUBLIC, "Anything can be migrated to a device cache coherent page" (§3.3, §3.7)',
    'mm/memory.c do_swap_page() -> pgmap->ops->migrate_to_ram(); lib/test_hmm.c dmirror_devmem_fault, dmirror_migrate_to_system (§3.4, §9)',
    'mm/gup.c check_and_migrate_movable_pages(), migrate_device_coherent_folio(); hmm-tests hmm_gup_test (§3.4)',
    'mm/mempolicy.c mpol_set_nodemask() over N_MEMORY; mm/migrate.c do_pages_move()/add_page_for_migration() (§8 rows 3-6)',
    'mm/mprotect.c change_prot_numa() and mm/mlock.c skip folio_is_zone_device(); mm/vmscan.c: ZONE_DEVICE is on no LRU (§3.6)',
    'Documentation/mm/hmm.rst "Memory cgroup (memcg) and rss accounting"; fs/proc/task_mmu.c can_gather_numa_stats(), 2017 _vm_normal_page(with_public_device) (§3.7)',
    'mm/rmap.c __folio_mod_stat(): node stats on the struct page\'s node, the memremap_pages() nid (§2.9)',
  ],
  create(variant, knobs, machine) {
    const parsed = parseKnobs('hmm', Knobs, VARIANTS, variant, knobs);
    const k = { ...parsed, variant: (variant ?? parsed.variant) as Variant };
    const host = k.hostNode;
    if (host !== 'nearest' && !machine.nodes.some((n) => n.id === host && n.kind === 'cpu')) {
      throw new ConfigError(`config error: backends.hmm.hostNode: ${host} is not a CPU node of this machine`);
    }
    // Each device node becomes a ZONE_DEVICE pool of its capacity, owned by its host (§3.1).
    const hostOf = new Map<number, number>();
    const nodes = machine.nodes.map((n, i) => {
      if (n.kind !== 'device') return n;
      const h = host === 'nearest' ? nearestCpu(machine, i) : host;
      hostOf.set(n.id, h);
      return { ...n, zones: [{ type: 'DEVICE' as const, pages: n.zones.reduce((a, zn) => a + zn.pages, 0) }], host: h };
    });
    const devicePos = new Set(machine.nodes.flatMap((n, i) => (n.kind === 'device' ? [i] : [])));
    const type = k.variant === 'public-2017' ? 'public' : k.variant === 'private' ? 'private' : 'coherent';
    const zoneDevice: ZoneDeviceRules = {
      type,
      fileToDevice: type === 'public',
      thp: type === 'public' ? 'skip' : 'split',
      movePagesErrno: type === 'public' ? 'EBUSY' : 'ENOENT',
      evict: k.evict,
      faultBackPages: k.faultBackPages,
      deviceFirstTouch: k.deviceFirstTouch === 'device',
    };
    return {
      knobs: k,
      machine: { ...machine, nodes },
      design: {
        ...STOCK_KERNEL,
        // N_MEMORY, kswapd, zonelists, numa_maps and move_pages targets follow from the zones:
        // a node of only ZONE_DEVICE memory is none of them (STOCK_KERNEL's rules).
        // change_prot_numa() skips folio_is_zone_device() (2017: vm_normal_page() is NULL).
        numaScanPage: (node) => !devicePos.has(node),
        // 2017 smaps walks with vm_normal_page(), NULL for public pages; 6.x counts device pages.
        smapsSees: (node) => type !== 'public' || !devicePos.has(node),
        driverMigrate: 'migrate_vma',
        // hmm_range_fault() faults an absent page in on the CPU side; the host node serves it.
        deviceFirstTouchNode: (dev, nearest) => ({ node: hostOf.get(dev) ?? nearest, requested: false }),
        zoneDevice,
      },
    };
  },
};
