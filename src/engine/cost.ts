// The cost model (DESIGN §4 `cost`): an estimate of stall time from the preset's link figures,
// labelled as an estimate with its parameters echoed. Remote accesses to or from a device node pay
// that node's link latency; each migrated page pays pageSize / link bandwidth. CPU-to-CPU remote
// accesses and migrations cost nothing here unless a link names the node (FORMATS.md §4 has no
// sourced inter-socket figure for every preset).
import type { Config } from '../config/index.js';

export interface CostInput {
  /** Remote accesses per (agent node id, page node id). */
  remoteByPair: Map<string, number>;
  /** Migrated pages per (from node id, to node id). */
  movedByPair: Map<string, number>;
}

export function estimateCost(config: Config, input: CostInput) {
  const link = (id: number) => config.links.find((l) => l.node === id);
  const nodeKind = (id: number) => config.nodes.find((n) => n.id === id)?.kind;
  let accessNs = 0;
  for (const [pair, n] of input.remoteByPair) {
    const [a, p] = pair.split('>').map(Number);
    const dev = nodeKind(p) === 'device' ? p : nodeKind(a) === 'device' ? a : -1;
    const l = dev >= 0 ? link(dev) : link(p);
    if (l) accessNs += n * l.latencyNs;
  }
  let migrationNs = 0;
  for (const [pair, n] of input.movedByPair) {
    const [from, to] = pair.split('>').map(Number);
    const toDevice = nodeKind(to) === 'device';
    const l = toDevice ? link(to) : link(from);
    if (!l) continue;
    const gbps = toDevice ? l.bandwidthGBps : l.bandwidthFromGBps;
    migrationNs += (n * config.pageSize) / gbps; // bytes / (GB/s) = ns
  }
  return {
    estimated_access_ns: accessNs,
    estimated_migration_ns: migrationNs,
    estimated_total_ns: accessNs + migrationNs,
    label: 'estimate' as const,
    params: {
      model: 'remote access to/from a device node: link latencyNs each; migration: pageSize / link bandwidth (GB/s = bytes/ns); CPU-CPU: 0 unless a link names the node',
      pageSize: config.pageSize,
      links: config.links,
    },
  };
}
