// Per-zone watermarks and lowmem reserves, both kernel generations (KERNEL-MODEL §2.2):
// mm/page_alloc.c __setup_per_zone_wmarks(), calculate_min_free_kbytes(),
// setup_per_zone_lowmem_reserve(), and mm/khugepaged.c set_recommended_min_free_kbytes().
import { KernelSpec, ZoneType } from './spec.js';

export interface ZoneInput {
  type: number;
  node: number;
  managed: number;
}

export interface Watermarks {
  minFreeKbytes: number;
  min: number[];
  low: number[];
  high: number[];
  promo: number[];
  /** lowmemReserve[z][highestZoneIdx] */
  lowmemReserve: number[][];
}

/** lowmem_reserve_ratio: DMA 256, DMA32 256, NORMAL 32, MOVABLE 0 (no reserve). */
const LOWMEM_RESERVE_RATIO = [256, 256, 32, 0, 0];
const MIGRATE_PCPTYPES = 3;

const intSqrt = (x: number): number => Math.floor(Math.sqrt(x));

export function computeWatermarks(zones: ZoneInput[], k: KernelSpec, pageSize: number): Watermarks {
  const kbPerPage = pageSize / 1024;
  const model = k.watermarkModel;
  // 4.11 counts ZONE_MOVABLE as lowmem; 6.12 excludes it (and highmem) from the proportional split.
  const isLowmem = (z: ZoneInput) => z.type !== ZoneType.DEVICE && (model === '4.11' || z.type !== ZoneType.MOVABLE);
  const lowmemPages = zones.filter(isLowmem).reduce((s, z) => s + z.managed, 0);

  // calculate_min_free_kbytes(): sqrt(16 * nr_free_buffer_pages() in kB), clamped; at boot that
  // is the managed pages of zones <= ZONE_NORMAL in both generations.
  const bufferPages = zones.filter((z) => z.type <= ZoneType.NORMAL).reduce((s, z) => s + z.managed, 0);
  const lowmemKb = bufferPages * kbPerPage;
  let minFreeKbytes = Math.min(Math.max(intSqrt(lowmemKb * 16), 128), model === '4.11' ? 65536 : 262144);

  // THP raises it (set_recommended_min_free_kbytes) when THP is always or madvise.
  if (k.thp !== 'never') {
    const pageblock = Math.max(1, (2 * 1024 * 1024) / pageSize); // pageblock_order = HPAGE_PMD_ORDER
    // 6.12 counts populated zones up to ZONE_NORMAL; 4.x counts every populated zone.
    const nrZones = zones.filter((z) => z.managed > 0 && z.type !== ZoneType.DEVICE &&
      (model === '4.11' || z.type <= ZoneType.NORMAL)).length;
    let recommended = pageblock * nrZones * (2 + MIGRATE_PCPTYPES * MIGRATE_PCPTYPES);
    recommended = Math.min(recommended, Math.floor(bufferPages / 20)); // <= 5 % of lowmem
    const recommendedKb = recommended * kbPerPage;
    if (recommendedKb > minFreeKbytes) minFreeKbytes = recommendedKb;
  }
  if (k.minFreeKbytes !== undefined) minFreeKbytes = k.minFreeKbytes;

  const pagesMin = Math.floor(minFreeKbytes / kbPerPage);
  const wsf = k.watermarkScaleFactor;
  const min: number[] = [], low: number[] = [], high: number[] = [], promo: number[] = [];
  for (const z of zones) {
    if (z.type === ZoneType.DEVICE || z.managed === 0) {
      min.push(0); low.push(0); high.push(0); promo.push(0);
      continue;
    }
    const proportional = lowmemPages > 0 ? Math.floor((pagesMin * z.managed) / lowmemPages) : 0;
    let zmin: number;
    if (model === '6.12' && z.type === ZoneType.MOVABLE) {
      // Movable (and highmem) zones get a small fixed min: clamp(managed / 1024, 32, 128).
      zmin = Math.min(Math.max(Math.floor(z.managed / 1024), 32), 128);
    } else {
      zmin = proportional;
    }
    // The gap uses the uncapped proportional value even for MOVABLE (6.12 l.6130-6162).
    const tmp = Math.max(Math.floor((model === '6.12' ? proportional : zmin) / 4), Math.floor((z.managed * wsf) / 10000));
    min.push(zmin);
    low.push(zmin + tmp);
    if (model === '4.11') {
      high.push(zmin + 2 * tmp);
      promo.push(zmin + 2 * tmp);
    } else {
      high.push(zmin + 2 * tmp);
      promo.push(zmin + 3 * tmp);
    }
  }

  // setup_per_zone_lowmem_reserve(): zone z keeps back managed(z+1..h)/ratio[z] pages from
  // allocations whose highest usable zone is h.
  const lowmemReserve = zones.map((z) => {
    const r = new Array<number>(ZoneType.DEVICE + 1).fill(0);
    for (let h = z.type + 1; h <= ZoneType.DEVICE; h++) {
      const ratio = LOWMEM_RESERVE_RATIO[z.type];
      if (!ratio) continue;
      const above = zones.filter((o) => o.node === z.node && o.type > z.type && o.type <= h && o.type !== ZoneType.DEVICE)
        .reduce((s, o) => s + o.managed, 0);
      r[h] = Math.floor(above / ratio);
    }
    return r;
  });

  return { minFreeKbytes, min, low, high, promo, lowmemReserve };
}
