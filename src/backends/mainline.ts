// `mainline`: Linux 6.12 with the device as an ordinary memory-only NUMA node (KERNEL-MODEL §2,
// §8 "mainline NUMA node"): in every zonelist by distance, a normal fallback target, a valid
// move_pages target, visible everywhere. It is the stock kernel's answer to every decision point.
import * as z from 'zod';
import { parseKnobs } from './knobs.js';
import { STOCK_KERNEL } from '../sim/design.js';
import type { BackendDef } from './types.js';

const Knobs = z.strictObject({
  deviceFirstTouch: z.enum(['host', 'device']).default('host'),
  driverMigrate: z.enum(['migrate_pages', 'migrate_vma']).default('migrate_pages'),
});

export const mainline: BackendDef = {
  name: 'mainline',
  description:
    'Linux 6.12 as shipped: the device memory is a CPU-less NUMA node onlined into ZONE_MOVABLE (dax kmem, ' +
    'GH200 "System RAM (NVIDIA)"). It sits in every CPU node\'s fallback zonelist by distance, so default-policy ' +
    'allocations spill onto it in the fast path once local nodes are below their low watermark; move_pages, ' +
    'mbind and NUMA balancing treat it like any node. The reference a real kernel can check (kernel-check).',
  kernelModel: '6.12',
  variants: [],
  defaultVariant: null,
  knobs: [
    { name: 'deviceFirstTouch', values: 'host|device', default: 'host', description:
      'Where a device agent\'s first touch of an absent page is served: by the CPU-side fault path of the nearest CPU node (host), or on the device node as if the device faulted locally (device; like GH200 ATS first touch).' },
    { name: 'driverMigrate', values: 'migrate_pages|migrate_vma', default: 'migrate_pages', description:
      'How a device agent\'s `migrate` moves pages: migrate_pages() (counts pgmigrate_*) or migrate_vma (no vmstat counter, populates anon holes).' },
  ],
  sources: [
    'mm/page_alloc.c: build_zonelists, find_next_best_node, get_page_from_freelist, __alloc_pages_slowpath (KERNEL-MODEL §2.3-2.4)',
    'mm/mempolicy.c: policy_nodemask, alloc_pages_mpol, mpol_misplaced (§2.5, §2.8)',
    'mm/migrate.c: migrate_pages, do_pages_move (§2.7)',
    'mm/vmscan.c, mm/memcontrol.c, mm/oom_kill.c (§2.6, §2.9)',
    'KERNEL-CHECK.md Q2: fallback onto the memory-only node, move_pages counters, NUMA balancing',
  ],
  create(variant, knobs) {
    const k = parseKnobs('mainline', Knobs, [], variant, knobs);
    return {
      knobs: k,
      design: {
        ...STOCK_KERNEL,
        driverMigrate: k.driverMigrate,
        deviceFirstTouchNode: (dev, host) => (k.deviceFirstTouch === 'device' ? { node: dev, requested: true } : { node: host, requested: false }),
      },
    };
  },
};
