// --kernel hmm: what changes in the comparison when test_hmm plays the devices.
// 1. Device pages: move_pages says -ENOENT for them (KERNEL-CHECK caveat 6), so where they are comes
//    from test_hmm's SNAPSHOT (guest/hmm.c); placement rows per device and the total are rebuilt.
// 2. test_hmm allocates system memory of its own inside its ioctls, which no HMM design has:
//    a vmalloc'ed bounce buffer of the ioctl's size (dmirror_bounce_init(), freed at the end of the
//    ioctl) and, for device-private memory, one backing page per device page (`rpage`,
//    dmirror_devmem_alloc_page(), freed in dmirror_devmem_free()). The guest counts both; they are
//    documented adjustments on the allocator counters, as the replayer's own pages are.
// 3. Driver migrations, counted on both sides: pages that reached a device, pages MIGRATE_TO_SYS moved.
import type { BackendReport } from '../report/schema.js';
import type { HmmVariant } from './hmm-machine.js';
import type { KernelObservation } from './observation.js';
import type { Observable } from './observables.js';

export interface HmmCompare {
  variant: HmmVariant;
  /** Trace node ids of the device nodes, in devN order. */
  deviceNodes: number[];
  /** CPU node whose CPU runs the driver's ioctls (the devices' nearest), where its allocations land. */
  driverNode: number;
}

export interface DriverPages {
  /** vmalloc'ed bounce pages: allocated and freed inside the window. */
  bounce: number;
  /** Device-private backing pages allocated (one per page that arrived). */
  rpagesAllocated: number;
  /** ... and freed again: device pages that left the device or were freed with their process. */
  rpagesFreed: number;
}

/**
 * Pages each device holds: at the end (running processes' snapshots; an exited one freed its pages),
 * or, with `all`, in every snapshot as report@1 counts resident pages (an exited process as it was
 * just before its exit, DESIGN §4).
 */
export function kernelDevicePages(obs: KernelObservation, devices: number, all = false): number[] {
  const on = new Array<number>(devices).fill(0);
  for (const p of obs.processes) {
    if (p.state !== 'running' && !all) continue;
    for (const m of p.snapshot?.mappings ?? []) for (const [k, n] of Object.entries(m.devices ?? {})) on[Number(k)] += n;
  }
  return on;
}

export function driverPages(obs: KernelObservation, c: HmmCompare): DriverPages {
  let bounce = 0, arrived = 0, refused = 0;
  for (const p of obs.processes) {
    bounce += p.hmm?.bounce_pages ?? 0;
    arrived += p.hmm?.arrived ?? 0;
    refused += p.hmm?.refused ?? 0;
  }
  if (c.variant !== 'private') return { bounce, rpagesAllocated: 0, rpagesFreed: 0 };
  // A refused file/shmem page had a device page, hence a backing page, for the length of the ioctl.
  const stay = kernelDevicePages(obs, c.deviceNodes.length).reduce((a, b) => a + b, 0);
  return { bounce, rpagesAllocated: arrived + refused, rpagesFreed: Math.max(0, arrived - stay) + refused };
}

/**
 * Kernel memory the window allocated and kept that no design models: slab pages (the mirror's
 * xarray nodes, test_hmm's lazily freed vmap areas, the trace's own VMAs and shmem inodes) and the
 * stacks of kernel threads started meanwhile (a kworker for lru_add_drain_all()). Under --kernel hmm
 * this is routine, so the allocator rows get it as extra tolerance (measured: 0-7 pages a run).
 */
export function kernelMemoryPages(obs: KernelObservation): number {
  const d = obs.vmstat_delta;
  const slab = (d.nr_slab_reclaimable ?? 0) + (d.nr_slab_unreclaimable ?? 0);
  return Math.max(0, slab) + Math.max(0, Math.round((d.nr_kernel_stack ?? 0) / 4));
}

function sumHmm(obs: KernelObservation, f: (h: NonNullable<KernelObservation['processes'][number]['hmm']>) => number): number {
  return obs.processes.reduce((s, p) => s + (p.hmm ? f(p.hmm) : 0), 0);
}

/**
 * The observables of compareRuns() adjusted for test_hmm: driver allocations added to the allocator
 * counters, placement rebuilt with the devices, and the driver-migration rows added.
 */
export function applyHmm(observables: Observable[], obs: KernelObservation, b: BackendReport, c: HmmCompare): Observable[] {
  const d = driverPages(obs, c);
  const allocs = d.bounce + d.rpagesAllocated;
  const frees = d.bounce + d.rpagesFreed;
  const why = (what: string): string =>
    `test_hmm's own ${what}: ${d.bounce} bounce pages (dmirror_bounce_init() vmalloc)` +
    (c.variant === 'private' ? `, ${what === 'frees' ? d.rpagesFreed : d.rpagesAllocated} device-private backing pages (dmirror_devmem_alloc_page())` : '');
  const adjust: Record<string, number> = {
    'vmstat.numa_hit': allocs,
    'vmstat.numa_local': allocs,
    'vmstat.pgalloc': allocs,
    'vmstat.pgfree': frees,
    [`node${c.driverNode}.numa_hit`]: allocs,
    [`node${c.driverNode}.local_node`]: allocs,
  };
  const devIds = new Set(c.deviceNodes.map((id) => `pages.node${id}`));
  const slack = kernelMemoryPages(obs);
  const out = observables
    .filter((o) => !devIds.has(o.id) && o.id !== 'pages.total')
    .map((o) => {
      const pages = adjust[o.id];
      if (!pages) return o;
      const widened = slack > 0 && o.id !== 'vmstat.pgfree' ? { slack: (o.slack ?? 0) + slack } : {};
      return { ...o, ...widened, adjust: [...(o.adjust ?? []), { pages, why: why(o.id === 'vmstat.pgfree' ? 'frees' : 'allocations') }] };
    });
  const onDev = kernelDevicePages(obs, c.deviceNodes.length);
  const ram = obs.processes.reduce((s, p) => s + (p.snapshot?.mappings ?? []).reduce((t, m) =>
    t + Object.entries(m.nodes).reduce((u, [node, n]) => u + (Number(node) >= 0 ? n : 0), 0), 0), 0);
  const row = (id: string, kernel: number, sim: number, count = true): Observable => ({ id, group: 'device', kernel, sim, timing: false, count });
  c.deviceNodes.forEach((id, k) => {
    out.push(row(`pages.dev${k}`, onDev[k], b.nodes.find((n) => n.id === id)?.used_pages_end ?? 0));
  });
  const everDev = kernelDevicePages(obs, c.deviceNodes.length, true).reduce((a, v) => a + v, 0);
  out.push({ id: 'pages.total', group: 'placement', kernel: ram + everDev, sim: b.accounting.resident_pages, timing: false });
  const driver = b.migrations.by_trigger.driver ?? 0;
  out.push(row('hmm.migrated_to_device', sumHmm(obs, (h) => h.arrived), b.migrations.to_device));
  // Under HMM only the driver moves pages to a device, so its other migrations went to RAM.
  out.push(row('hmm.migrated_to_system', sumHmm(obs, (h) => h.migrate_to_sys.cpages), driver - b.migrations.to_device));
  return out;
}
