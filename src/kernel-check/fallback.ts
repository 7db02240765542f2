// Where default-policy allocations start to fall back to another node (KERNEL-MODEL §2.2, §2.4):
// the fast path takes a page from a zone while free > low + lowmem_reserve. The guest kernel
// starts the replay with its own boot-time allocations already made (kernel image, memmap,
// initramfs, slab: ~20k pages on a 1 GiB node 0), the simulator with every page free, so a trace
// that spills does so `shift` pages earlier in the kernel. kernel-check measures that shift from
// /proc/zoneinfo right before the replay and moves the simulator's spill-dependent values by it.
import type { Config } from '../config/index.js';
import { machineSpec } from '../engine/machine-spec.js';
import type { BackendReport } from '../report/schema.js';
import { type KernelModel, ZoneType } from '../sim/spec.js';
import { computeWatermarks } from '../sim/watermarks.js';
import type { KernelObservation } from './observation.js';
import type { Observable } from './observables.js';

/** Index of ZONE_MOVABLE in zoneinfo's `protection:` list: a GFP_HIGHUSER_MOVABLE allocation's limit. */
const MOVABLE_IDX = 3;

export interface Spill {
  /** The node allocations preferred, and the node they went to instead. */
  from: number;
  to: number;
  /** The allocating CPU's node, when one of the two has CPUs (for numa_local / numa_other). */
  cpuNode: number | null;
  /** Pages the simulator can hand out on `from` before falling back, minus the kernel's. */
  shift: number;
  /** The per-CPU page lists hold up to the zone's low watermark across the node's CPUs
   * (mm/page_alloc.c zone_highsize()); pages there are invisible to the watermark check, so the
   * kernel may fall back up to that many pages earlier still. */
  slack: number;
}

export interface FallbackAnalysis {
  /** One clear spill A -> B, adjusted for exactly. */
  spill: Spill | null;
  /** Several nodes spilled: no direction, spill-dependent rows get this many pages more tolerance. */
  widen: number;
  info: Observable[];
}

interface Room {
  usable: number;
  low: number;
  zones: Map<string, number>;
}

function kernelRoom(obs: KernelObservation, node: number): Room | null {
  const zones = obs.zones_before?.filter((z) => z.node === node);
  if (!zones?.length) return null;
  let usable = 0, low = 0;
  const lows = new Map<string, number>();
  for (const z of zones) {
    const reserve = z.protection[MOVABLE_IDX] ?? z.protection.at(-1) ?? 0;
    usable += Math.max(0, z.free - z.low - z.boost - reserve);
    low += z.low;
    lows.set(z.zone.toUpperCase(), z.low);
  }
  return { usable, low, zones: lows };
}

function simRooms(config: Config, kernelModel: KernelModel): { rooms: Map<number, Room>; minFreeKbytes: number } {
  const spec = machineSpec(config, kernelModel);
  const zones = spec.nodes.flatMap((n, pos) =>
    n.zones.map((z) => ({ id: n.id, name: z.type, type: ZoneType[z.type] as number, node: pos, managed: z.type === 'DEVICE' ? 0 : z.pages })));
  const wm = computeWatermarks(zones, spec.kernel, spec.pageSize);
  const rooms = new Map<number, Room>();
  zones.forEach((z, i) => {
    const r = rooms.get(z.id) ?? { usable: 0, low: 0, zones: new Map<string, number>() };
    if (z.managed > 0) {
      r.usable += Math.max(0, z.managed - wm.low[i] - (wm.lowmemReserve[i][ZoneType.MOVABLE] ?? 0));
      r.low += wm.low[i];
      r.zones.set(z.name, wm.low[i]);
    }
    rooms.set(z.id, r);
  });
  return { rooms, minFreeKbytes: wm.minFreeKbytes };
}

const info = (id: string, kernel: number, sim: number): Observable => ({ id, group: 'fallback', kernel, sim, timing: false });

export function analyseFallback(obs: KernelObservation, b: BackendReport, config: Config, kernelModel: KernelModel): FallbackAnalysis {
  const stat = (node: number, key: string): [number, number] => [
    obs.nodes.find((n) => n.node === node)?.numastat_delta[key] ?? 0,
    (b.nodes.find((n) => n.id === node)?.numastat as Record<string, number> | undefined)?.[key] ?? 0,
  ];
  const ids = config.nodes.map((n) => n.id);
  const from = ids.filter((id) => stat(id, 'numa_foreign').some((v) => v > 0));
  const to = ids.filter((id) => stat(id, 'numa_miss').some((v) => v > 0));
  if (from.length === 0) return { spill: null, widen: 0, info: [] };

  const sim = simRooms(config, kernelModel);
  const rows: Observable[] = [info('fallback.min_free_kbytes', Number(obs.settings.min_free_kbytes ?? 0), sim.minFreeKbytes)];
  const shifts = new Map<number, { shift: number; slack: number }>();
  for (const id of ids) {
    const k = kernelRoom(obs, id);
    const s = sim.rooms.get(id);
    if (!s) continue;
    // Without zoneinfo (older guests) MemFree stands in for free pages and watermarks are ignored.
    const kUsable = k?.usable ?? Math.floor((obs.nodes.find((n) => n.node === id)?.meminfo_kB_before.MemFree ?? 0) / 4);
    for (const [zone, low] of s.zones) rows.push(info(`fallback.node${id}.${zone}.low`, k?.zones.get(zone) ?? 0, low));
    rows.push(info(`fallback.node${id}.usable_pages`, kUsable, s.usable));
    shifts.set(id, { shift: s.usable - kUsable, slack: k?.low ?? s.low });
  }
  if (from.length === 1 && to.length === 1 && from[0] !== to[0] && shifts.has(from[0])) {
    const a = from[0], bb = to[0];
    const hasCpu = (id: number): boolean => (config.nodes.find((n) => n.id === id)?.cpus ?? 0) > 0;
    const { shift, slack } = shifts.get(a)!;
    return { spill: { from: a, to: bb, cpuNode: hasCpu(a) ? a : hasCpu(bb) ? bb : null, shift, slack }, widen: 0, info: rows };
  }
  const widen = from.reduce((s, id) => s + Math.abs(shifts.get(id)?.shift ?? 0) + (shifts.get(id)?.slack ?? 0), 0);
  return { spill: null, widen, info: rows };
}
