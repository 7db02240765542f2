// Turns the user's configuration into what the core needs for one backend (the core never sees
// the config format; DESIGN §2).
import type { Config } from '../config/index.js';
import type { KernelModel, MachineSpec } from '../sim/spec.js';

export function machineSpec(config: Config, kernelModel: KernelModel): MachineSpec {
  const page = config.pageSize;
  const k = config.kernel;
  return {
    pageSize: page,
    nodes: config.nodes.map((n) => ({
      id: n.id,
      kind: n.kind,
      cpus: n.cpus,
      zones: n.zones.map((z) => ({ type: z.type, pages: Math.floor(z.size / page) })),
      adistance: n.tier,
    })),
    distance: config.distance,
    swapPages: Math.floor(config.swap / page),
    memcgs: config.memcgs.map((g) => ({ path: g.path, maxPages: g.max === 'max' ? Infinity : Math.floor(g.max / page) })),
    kernel: {
      model: kernelModel,
      // "auto": 4.11 for the 2017 designs, 6.12 for mainline (DESIGN §4a).
      watermarkModel: k.watermarkModel === 'auto' ? kernelModel : k.watermarkModel,
      thp: k.thp,
      numaBalancing: k.numaBalancing,
      demotion: k.demotion,
      swappiness: k.swappiness,
      minFreeKbytes: k.minFreeKbytes,
      watermarkScaleFactor: k.watermarkScaleFactor,
      numaScanDelayMs: k.numaScanDelayMs,
      numaScanPeriodMinMs: k.numaScanPeriodMinMs,
      numaScanPeriodMaxMs: k.numaScanPeriodMaxMs,
      numaScanSizeMb: k.numaScanSizeMb,
      khugepaged: { ...k.khugepaged },
    },
  };
}
