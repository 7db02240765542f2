// `cdm`: Anshuman Khandual's coherent device memory node with allocator isolation (KERNEL-MODEL §5;
// RFC V1 <1477283517-2504-1-git-send-email-khandual@linux.vnet.ibm.com>, RFC V2
// <20170130033602.12275-1-khandual@linux.vnet.ibm.com>, V3 <20170215120726.9011-1-khandual@linux.vnet.ibm.com>).
// The device node stays in N_MEMORY; one of three isolation mechanisms keeps implicit allocations
// off it, and VM_CDM (V1/V2) marks the VMAs that use it.
import * as z from 'zod';
import { parseKnobs } from './knobs.js';
import { Gfp } from '../sim/alloc.js';
import { STOCK_KERNEL } from '../sim/design.js';
import { firstNode, hasNode, MemPolicy, Mode, NO_MASK } from '../sim/mempolicy.js';
import { Vma, VmFlag } from '../sim/mm.js';
import type { BackendDef } from './types.js';

const Knobs = z.strictObject({
  isolation: z.enum(['buddy', 'zonelist', 'cpuset']).default('buddy'),
  vmCdm: z.enum(['none', 'v1', 'v2']).default('none'),
  driverMigrate: z.enum(['migrate_pages', 'migrate_vma']).default('migrate_pages'),
});
type Isolation = z.output<typeof Knobs>['isolation'];

const VARIANTS = [
  { name: 'buddy', description: 'V3 (Feb 2017): zonelists unchanged; get_page_from_freelist() skips CDM zones unless __GFP_THISNODE or an explicit caller nodemask holds C.' },
  { name: 'zonelist', description: 'V1 / V2 Set1: CDM zones removed from every other node\'s FALLBACK zonelist; policy_zonelist() switches to a CDM node\'s list for BIND masks not holding the local node.' },
  { name: 'cpuset', description: 'V2 Set2: CDM nodes removed from every cpuset\'s mems_allowed; only __GFP_THISNODE allocations (which bypass the cpuset) reach C.' },
];

export const cdm: BackendDef = {
  name: 'cdm',
  description:
    'Anshuman Khandual\'s 2016-2017 coherent device memory node: the device memory is a CPU-less ZONE_MOVABLE NUMA ' +
    'node that stays in N_MEMORY (so numa_maps, memcg reclaim, kswapd and move_pages treat it as any node), ' +
    'isolated from implicit allocations by the buddy allocator (V3, default), by zonelist removal (V1/V2) or by ' +
    'cpusets (V2). Under buddy isolation MPOL_PREFERRED and INTERLEAVE naming the device silently land on RAM and ' +
    'RAM direct reclaim also scans the device node. Optional VM_CDM tagging (V1: tagged VMAs are not migratable; ' +
    'V2: NUMA balancing skips them). Driver migrations go through migrate_pages() (migrate_virtual_range()).',
  kernelModel: '4.11',
  variants: VARIANTS,
  defaultVariant: 'buddy',
  knobs: [
    { name: 'isolation', values: 'buddy|zonelist|cpuset', default: 'buddy', description: 'The isolation mechanism (the variants).' },
    { name: 'vmCdm', values: 'none|v1|v2', default: 'none', description:
      'VM_CDM tagging of VMAs that bind to or got a CDM page: none (V3 posted none), v1 (tagged VMAs not migratable: move_pages -EFAULT, no mbind MOVE, no NUMA balancing), v2 (NUMA balancing skips tagged VMAs).' },
    { name: 'driverMigrate', values: 'migrate_pages|migrate_vma', default: 'migrate_pages', description:
      'How a device agent\'s `migrate` moves pages: migrate_virtual_range() -> migrate_pages() (V1/V2 driver API, counts pgmigrate_*), or HMM migrate_vma (no counters; V3 posted no driver API).' },
  ],
  sources: [
    'V3 4/4 <20170215120726.9011-5-khandual@linux.vnet.ibm.com>: CDM zone filter in get_page_from_freelist() (KERNEL-MODEL §5.3)',
    'V1 2/8 <1477283517-2504-3-git-send-email-khandual@linux.vnet.ibm.com>, V2 03/12 and 04/12: zonelist isolation, policy_zonelist() (§5.2-5.3)',
    'V2 06/12, 07/12: CDM out of mems_allowed and the root cpuset; __GFP_THISNODE ignores cpusets (§5.3)',
    'V2 11/12, 12/12: set_vm_cdm() in mbind_range(), mark_vma_cdm() in alloc_pages_vma() (§5.1)',
    'V1 6/8 <1477283517-2504-7-git-send-email-khandual@linux.vnet.ibm.com>: vma_migratable() false for VM_CDM; V2 09/12: task_numa_work() skips VM_CDM (§5.4)',
    'V1 7/8, V2 <20170130033602.12275-20-khandual@linux.vnet.ibm.com>: migrate_virtual_range() via migrate_pages() (§5.5)',
    'mm/vmscan.c shrink_zones(), mm/memcontrol.c mem_cgroup_select_victim_node() (4.x): reclaim reaching C (§5.5)',
  ],
  create(variant, knobs, machine) {
    const parsed = parseKnobs('cdm', Knobs, VARIANTS, variant, knobs);
    // A variant label (cdm:zonelist) chooses the isolation over the knob.
    const k = { ...parsed, isolation: (variant ?? parsed.isolation) as Isolation };
    const nodes = machine.nodes;
    // N_COHERENT_DEVICE (arch_check_node_cdm()): every device node of the machine (V2 00/12).
    const cdmMask = nodes.reduce((mask, n) => (n.kind === 'device' ? mask | (1 << n.id) : mask), 0) >>> 0;
    const cdmId = (id: number) => id >= 0 && ((cdmMask >>> id) & 1) === 1;
    const cdmPos = (pos: number) => nodes[pos].kind === 'device';
    // V2 06/12: CDM nodes are in no cpuset's mems_allowed (the cpuset variant only).
    const inMemsAllowed = (id: number) => k.isolation !== 'cpuset' || !cdmId(id);
    const tagged = (vma: Vma) => k.vmCdm !== 'none' && (vma.flags & VmFlag.DESIGN_TAG) !== 0;
    const tag = (vma: Vma) => { vma.flags |= VmFlag.DESIGN_TAG; };
    // The allocation's nodemask holds a CDM node (user allocations get BIND masks, §2.5).
    const maskHasCdm = (pol: MemPolicy | null) =>
      pol !== null && (pol.mode === Mode.BIND || pol.mode === Mode.PREFERRED_MANY) && (pol.nodes & cdmMask) !== 0;
    return {
      knobs: k,
      design: {
        ...STOCK_KERNEL,
        // zonelist: RAM FALLBACK lists lose every CDM node; C's own list is C then RAM by distance,
        // without the other CDM nodes (V1 2/8, V2 03/12 zonelist dump). buddy/cpuset: stock lists.
        fallbackOrder: (local, stock) =>
          (k.isolation === 'zonelist' ? stock.filter((p) => p === local || !cdmPos(p)) : stock),
        zoneAllowed: (pos, req) => {
          if (!cdmPos(pos) || req.gfp & Gfp.THISNODE) return true; // __GFP_THISNODE always reaches C
          // V3 4/4: skip C without an explicit caller nodemask (none, or one substituted by the cpuset).
          if (k.isolation === 'buddy') return req.nodemask !== NO_MASK && !req.cpusetMask;
          // cpuset: ALLOC_CPUSET's __cpuset_zone_allowed() fails for C (V2 06/12, 07/12).
          return k.isolation !== 'cpuset';
        },
        // mpol_set_nodemask() intersects the user mask with cpuset mems: BIND{C} -> -EINVAL (V2 06/12).
        policyAllowedMask: (stockMask) => (k.isolation === 'cpuset' ? stockMask & ~cdmMask : stockMask) >>> 0,
        // zonelist: policy_zonelist() takes first_node(S) when the local node is not in S and
        // first_node(S) is CDM (V2 04/12); otherwise the local list, which lacks C.
        policyZonelistNode: (pol, nid, _mask, local) =>
          (k.isolation === 'zonelist' && pol.mode === Mode.BIND && !hasNode(pol.nodes, local) && cdmId(firstNode(pol.nodes))
            ? firstNode(pol.nodes) : nid),
        // do_pages_move(): a target outside the task's cpuset mems fails the call with -EACCES (§2.7).
        moveTargetError: (target, inNMemory) => (!inNMemory ? 'ENODEV' : inMemsAllowed(target) ? null : 'EACCES'),
        // shrink_zones(): global direct reclaim skips cpuset-forbidden nodes; under buddy C stays in
        // the RAM zonelist and the nodemask is NULL, so RAM direct reclaim scans C too (§5.5).
        cpusetNodeAllowed: inMemsAllowed,
        // C is N_MEMORY: memcg reclaim reaches it (victim rotation over scan_nodes, §5.5).
        memcgReclaimReaches: () => true,
        // V1: vma_migratable() false for VM_CDM (6/8); V2: task_numa_work() skips is_cdm_vma() (09/12).
        numaScanVma: (vma) => !tagged(vma),
        vmaMigratable: (vma) => k.vmCdm !== 'v1' || !tagged(vma),
        // V2 11/12: mbind_range() -> set_vm_cdm() for a BIND mask holding a CDM node.
        onMbind: (vmas, pol) => {
          if (k.vmCdm !== 'none' && pol && pol.mode === Mode.BIND && (pol.nodes & cdmMask) !== 0) vmas.forEach(tag);
        },
        // V2 12/12: mark_vma_cdm() when alloc_pages_vma() under a CDM-holding nodemask returns a CDM page.
        onVmaAlloc: (vma, pol, node) => {
          if (k.vmCdm !== 'none' && cdmId(node) && maskHasCdm(pol)) tag(vma);
        },
        // C is N_MEMORY: numa_maps shows N<C>= (§5.6).
        numaMapsSees: (_id, inNMemory) => inNMemory,
        driverMigrate: k.driverMigrate,
      },
    };
  },
};
