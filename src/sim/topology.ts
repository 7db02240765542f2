// Nodes, zones, watermarks and zonelists of one simulated machine (KERNEL-MODEL §2.1-2.3).
import type { Design } from './design.js';
import { MachineSpec, NodeSpec, ZoneType } from './spec.js';
import { computeWatermarks, Watermarks } from './watermarks.js';

/** PENALTY_FOR_NODE_WITH_CPUS and MAX_NUMNODES (NODES_SHIFT 10 on Debian) from mm/page_alloc.c. */
const PENALTY_FOR_NODE_WITH_CPUS = 1;
const MAX_NUMNODES = 1024;

export class Topology {
  readonly nodeCount: number;
  /** Node id -> position in spec.nodes (ids may be sparse). */
  readonly pos: Int32Array;
  readonly ids: number[];
  readonly inNMemory: boolean[];
  readonly hasKswapd: boolean[];
  readonly hasCpu: boolean[];
  /** Bit mask of N_MEMORY nodes (ids). */
  readonly nMemoryMask: number;
  /** First CPU number of each node position, for cpuN -> node. */
  readonly cpuNodeOf: number[];
  // Zones, indexed by global zone id.
  readonly zoneNode: number[] = [];
  readonly zoneType: number[] = [];
  readonly managed: number[] = [];
  readonly free: Float64Array;
  readonly wm: Watermarks;
  /** Zone ids of each node position, highest type first. */
  readonly nodeZones: number[][];
  /** Per node position: ZONELIST_FALLBACK node order and zone ids. */
  readonly fallbackNodes: number[][];
  readonly fallbackZones: Int32Array[];
  /** Per node position: ZONELIST_NOFALLBACK (own zones only, for __GFP_THISNODE). */
  readonly thisnodeZones: Int32Array[];
  /** Highest non-movable zone type present (policy_zone). */
  readonly policyZone: number;
  /** Per node position: the position whose node stats its pages update (ZONE_DEVICE: the host). */
  readonly statNode: number[];
  /** Per node position: its ZONE_DEVICE pool zone id, or -1 (KERNEL-MODEL §3.1). */
  readonly poolZone: number[];
  /** Ids of nodes whose memory is only ZONE_DEVICE: to user space they are not NUMA nodes. */
  readonly zoneDeviceMask: number;

  constructor(readonly spec: MachineSpec, readonly design: Design) {
    const nodes = spec.nodes;
    this.nodeCount = nodes.length;
    this.ids = nodes.map((n) => n.id);
    this.pos = new Int32Array(32).fill(-1);
    nodes.forEach((n, i) => (this.pos[n.id] = i));
    this.inNMemory = nodes.map((n) => design.nodeInNMemory(n));
    this.hasKswapd = nodes.map((n, i) => design.nodeHasKswapd(n, this.inNMemory[i]));
    this.hasCpu = nodes.map((n) => n.cpus > 0);
    this.nMemoryMask = nodes.reduce((m, n, i) => (this.inNMemory[i] ? m | (1 << n.id) : m), 0);
    this.cpuNodeOf = [];
    nodes.forEach((n, i) => { for (let c = 0; c < n.cpus; c++) this.cpuNodeOf.push(i); });

    this.nodeZones = nodes.map(() => []);
    nodes.forEach((n, i) => {
      const sorted = [...n.zones].sort((a, b) => ZoneType[b.type] - ZoneType[a.type]);
      for (const z of sorted) {
        const id = this.zoneNode.length;
        this.zoneNode.push(i);
        this.zoneType.push(ZoneType[z.type]);
        this.managed.push(z.pages);
        this.nodeZones[i].push(id);
      }
    });
    // A ZONE_DEVICE zone's free count is its driver pool's: the buddy allocator never sees it.
    this.free = Float64Array.from(this.managed);
    this.poolZone = this.nodeZones.map((zs) => zs.find((z) => this.zoneType[z] === ZoneType.DEVICE) ?? -1);
    this.statNode = nodes.map((n, i) => (n.host !== undefined && this.poolZone[i] >= 0 ? this.pos[n.host] : i));
    this.zoneDeviceMask = nodes.reduce((m, n, i) => (this.nodeZones[i].every((z) => this.zoneType[z] === ZoneType.DEVICE) ? m | (1 << n.id) : m), 0);
    this.wm = computeWatermarks(
      this.zoneType.map((type, z) => ({ type, node: this.zoneNode[z], managed: type === ZoneType.DEVICE ? 0 : this.managed[z] })),
      spec.kernel, spec.pageSize,
    );
    const nonMovable = this.zoneType.filter((t, z) => t < ZoneType.MOVABLE && this.managed[z] > 0);
    this.policyZone = nonMovable.length ? Math.max(...nonMovable) : ZoneType.MOVABLE;

    const stockOrders = buildNodeOrders(nodes, spec.distance, this.inNMemory);
    this.fallbackNodes = nodes.map((_n, i) => design.fallbackOrder(i, stockOrders[i], nodes));
    const zonesOf = (order: number[]) =>
      Int32Array.from(order.flatMap((p) => this.nodeZones[p].filter((z) => this.zoneType[z] !== ZoneType.DEVICE)));
    this.fallbackZones = this.fallbackNodes.map(zonesOf);
    this.thisnodeZones = nodes.map((_n, i) => zonesOf([i]));
  }

  /** Node position of CPU number `cpu` (cpus numbered across CPU nodes in id order). */
  nodeOfCpu(cpu: number): number {
    return this.cpuNodeOf[cpu] ?? -1;
  }

  distance(a: number, b: number): number {
    return this.spec.distance[a][b];
  }
}

/**
 * build_zonelists() node order for every node (positions): local first, then find_next_best_node()
 * over N_MEMORY, with the shared node_load[] round-robin across equal distances (mm/page_alloc.c).
 */
export function buildNodeOrders(nodes: readonly NodeSpec[], distance: number[][], inNMemory: boolean[]): number[][] {
  const load = new Array<number>(nodes.length).fill(0);
  return nodes.map((_n, local) => {
    const used = new Array<boolean>(nodes.length).fill(false);
    const order: number[] = [];
    let prev = local;
    for (;;) {
      let best = -1;
      if (!used[local] && inNMemory[local]) {
        best = local; // the local node first, unless memoryless
      } else {
        let minVal = Infinity;
        for (let n = 0; n < nodes.length; n++) {
          if (!inNMemory[n] || used[n]) continue;
          let val = distance[local][n];
          if (nodes[n].id < nodes[local].id) val += 1;
          if (nodes[n].cpus > 0) val += PENALTY_FOR_NODE_WITH_CPUS;
          val = val * MAX_NUMNODES + load[n];
          if (val < minVal) { minVal = val; best = n; }
        }
      }
      if (best < 0) break;
      used[best] = true;
      if (distance[local][best] !== distance[local][prev]) load[best] += 1;
      order.push(best);
      prev = best;
    }
    return order;
  });
}
