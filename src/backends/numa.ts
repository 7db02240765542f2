// `numa`: Balbir Singh's N_COHERENT_MEMORY (KERNEL-MODEL §4; RFC 0/4-4/4
// <20170419075242.29929-{1..5}-bsingharora@gmail.com>, branch balbir/cdmv1 @9041c3fe). The device
// memory is a CPU-less NUMA node taken out of N_MEMORY: in no RAM node's zonelist, so only a
// mempolicy naming it (or a __GFP_THISNODE caller) places pages there.
import * as z from 'zod';
import { parseKnobs } from './knobs.js';
import { STOCK_KERNEL } from '../sim/design.js';
import { firstNode, Mode } from '../sim/mempolicy.js';
import type { BackendDef } from './types.js';

const Knobs = z.strictObject({
  kswapd: z.enum(['none', 'present']).default('none'),
  policyZonelist: z.enum(['cdmv1', 'rfc']).default('cdmv1'),
  driverMigrate: z.enum(['migrate_vma', 'migrate_pages']).default('migrate_vma'),
});

const VARIANTS = [
  { name: 'cdmv1', description: 'policy_zonelist() of the balbir/cdmv1 branch: a BIND mask naming a coherent node walks that node\'s zonelist (C first).' },
  { name: 'rfc', description: 'policy_zonelist() as posted in RFC 3/4: tests the local node, so BIND walks the local zonelist, which lacks C: BIND{C} fails (VM_FAULT_OOM), BIND{R,C} never uses C.' },
];

export const numa: BackendDef = {
  name: 'numa',
  description:
    'Balbir Singh\'s 2017 N_COHERENT_MEMORY RFC: the device memory is a CPU-less ZONE_MOVABLE NUMA node whose ' +
    'node state is N_COHERENT_MEMORY instead of N_MEMORY. No RAM node\'s fallback zonelist contains it, so ' +
    'default-policy, page-cache and kernel allocations never land there (RAM pressure reclaims and OOMs instead); ' +
    'mbind/set_mempolicy may name it (BIND, PREFERRED spilling to RAM, INTERLEAVE). move_pages to it fails ' +
    'ENODEV, numa_maps hides its pages, memcg reclaim cannot reach them, and NUMA balancing still pulls ' +
    'default-policy pages back to RAM. Drivers migrate with migrate_vma (no vmstat counters).',
  kernelModel: '4.11',
  variants: VARIANTS,
  defaultVariant: 'cdmv1',
  knobs: [
    { name: 'kswapd', values: 'none|present', default: 'none', description:
      'kswapd on the coherent node: none for nodes marked at boot (kswapd_init() starts it for N_MEMORY only), present for hot-plugged ones (online_pages() runs kswapd_run()).' },
    { name: 'policyZonelist', values: 'cdmv1|rfc', default: 'cdmv1', description:
      'Which policy_zonelist() a BIND allocation naming the coherent node uses (the variants).' },
    { name: 'driverMigrate', values: 'migrate_vma|migrate_pages', default: 'migrate_vma', description:
      'How a device agent\'s `migrate` moves pages: HMM migrate_vma as IBM\'s 2017 CDM driver did (no vmstat counter, anon holes populated), or migrate_pages() (counts pgmigrate_*).' },
  ],
  sources: [
    'RFC 1/4 <20170419075242.29929-2-bsingharora@gmail.com>: N_COHERENT_MEMORY node state, has_coherent_memory (KERNEL-MODEL §4.1)',
    'RFC 3/4 <20170419075242.29929-4-bsingharora@gmail.com>: find_next_best_node()/zonelists, mpol_set_nodemask, policy_nodemask (§4.2-4.3)',
    'RFC 4/4 <20170419075242.29929-5-bsingharora@gmail.com>: "MPOL_PREFERRED will use the FALLBACK list of the coherent node" (§4.3)',
    'balbir/cdmv1 9041c3fe mm/mempolicy.c policy_zonelist(): first_node(N_COHERENT_MEMORY) for coherent masks (§4.3)',
    'mm/migrate.c do_pages_move(): -ENODEV for a node not in N_MEMORY (§4.4); <1491697908.7894.3.camel@gmail.com> migrate_vma for drivers',
    'mm/memcontrol.c mem_cgroup_select_victim_node() over N_MEMORY (§4.5); fs/proc/task_mmu.c can_gather_numa_stats() (§4.7)',
    'mm/vmscan.c kswapd_init(), mm/memory_hotplug.c online_pages() (§4.1 kswapd knob)',
  ],
  create(variant, knobs, machine) {
    const parsed = parseKnobs('numa', Knobs, VARIANTS, variant, knobs);
    // A variant label (numa:rfc) chooses the policy_zonelist() rule over the knob.
    const k = { ...parsed, policyZonelist: (variant ?? parsed.policyZonelist) as 'cdmv1' | 'rfc' };
    const nodes = machine.nodes;
    // N_COHERENT_MEMORY: every device node of the machine (RFC 1/4).
    const coherentMask = nodes.reduce((mask, n) => (n.kind === 'device' ? mask | (1 << n.id) : mask), 0) >>> 0;
    const coherentId = (id: number) => ((coherentMask >>> id) & 1) === 1;
    return {
      knobs: k,
      design: {
        ...STOCK_KERNEL,
        // RFC 3/4: "this node set is disjoint from the N_MEMORY node state nodes".
        nodeInNMemory: (node) => node.kind !== 'device' && STOCK_KERNEL.nodeInNMemory(node),
        // kswapd_init() covers N_MEMORY only; online_pages() starts one for a hot-plugged node (§4.1).
        nodeHasKswapd: (node, inNMemory) => (node.kind === 'device' ? k.kswapd === 'present' : inNMemory),
        // RFC 3/4 build_zonelists(): RAM lists are built over N_MEMORY, so they never hold C (the
        // stock order already lacks it); C's own list is C, the other coherent nodes by distance,
        // then RAM by distance ("Node3: Node 3 --> Node 2 --> Node 1", RFC 4/4).
        fallbackOrder: (local, stock, specNodes) => {
          if (specNodes[local].kind !== 'device') return stock;
          const d = machine.distance[local];
          const others = specNodes.map((_n, p) => p).filter((p) => p !== local && specNodes[p].kind === 'device')
            .sort((a, b) => d[a] - d[b] || specNodes[a].id - specNodes[b].id);
          return [local, ...others, ...stock];
        },
        // mpol_set_nodemask() keeps coherent nodes of the user's mask although they are in no
        // cpuset mems and not in N_MEMORY (RFC 3/4).
        policyAllowedMask: (stockMask) => (stockMask | coherentMask) >>> 0,
        // policy_zonelist(): cdmv1 walks FALLBACK(first_node(N_COHERENT_MEMORY)) when a BIND mask
        // intersects N_COHERENT_MEMORY [S411 9041c3fe]; RFC 3/4 tests node_state(local, ...),
        // never true for a CPU node, so the local zonelist (without C) is walked [KERNEL-MODEL §4.3].
        // PREFERRED keeps its node (RFC 4/4), INTERLEAVE its target (alloc_page_interleave()).
        policyZonelistNode: (pol, nid) =>
          (k.policyZonelist === 'cdmv1' && pol.mode === Mode.BIND && (pol.nodes & coherentMask) !== 0 ? firstNode(coherentMask) : nid),
        // do_pages_move(): node_state(node, N_MEMORY) fails -> -ENODEV for the call (§4.4).
        moveTargetError: (_target, inNMemory) => (inNMemory ? null : 'ENODEV'),
        // 4.x memcg reclaim picks victims from scan_nodes (N_MEMORY) and walks their zonelists,
        // none of which holds C (§4.5).
        memcgReclaimReaches: (id) => !coherentId(id),
        // can_gather_numa_stats(): only N_MEMORY nodes are counted and printed (§4.7).
        numaMapsSees: (_id, inNMemory) => inNMemory,
        // The RFC adds no NUMA-balancing exclusion ("AutoNUMA balancing" only listed as unsuitable,
        // RFC 0/4): default-policy pages on C are scanned and pulled back by hint faults (§4.4).
        numaScanVma: STOCK_KERNEL.numaScanVma,
        driverMigrate: k.driverMigrate,
      },
    };
  },
};
