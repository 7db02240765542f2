// --kernel hmm: what each trace event becomes in the guest, where test_hmm (lib/test_hmm.c) is the
// driver of the trace's device agents (guest/hmm.c carries it out). Decided on the host, before any
// boot, so an event the guest cannot express stops the run with one line naming it (exit 2).
import { UsageError } from '../errors.js';
import { devIndex, type EventBatch, isDevAgent, Op, OP_BY_CODE } from '../trace/events.js';
import { openTrace } from '../trace/registry.js';

/** The guest operation an event maps to. */
export type GuestOp =
  | 'syscall' // mmap, munmap, mbind, set_mempolicy, mlock, munlock, madvise, exit: as the stock check
  | 'cpu-access' // a plain load/store; on a device-private page the CPU faults it back (one page)
  | 'move-pages' // migrate by a CPU agent: move_pages(2), -ENOENT for device-resident pages
  | 'hmm-read' // HMM_DMIRROR_READ
  | 'hmm-write' // HMM_DMIRROR_WRITE (write and fault by a device)
  | 'hmm-migrate-to-dev' // HMM_DMIRROR_MIGRATE_TO_DEV on the target device
  | 'hmm-migrate-to-sys'; // HMM_DMIRROR_MIGRATE_TO_SYS on the acting device, run on a CPU of the target node

export interface HmmTopology {
  /** Trace node ids of the device nodes, in devN order (at most two: test_hmm has two per type). */
  deviceNodes: number[];
  /** Trace node id -> CPUs on it (0 for a memory-only or device node). */
  cpusOf: Map<number, number>;
}

export type Plan = Record<GuestOp, number>;

const emptyPlan = (): Plan => ({
  'syscall': 0, 'cpu-access': 0, 'move-pages': 0, 'hmm-read': 0, 'hmm-write': 0, 'hmm-migrate-to-dev': 0, 'hmm-migrate-to-sys': 0,
});

const nodeList = (mask: number): number[] => {
  const out: number[] = [];
  for (let n = 0; n < 32; n++) if ((mask >>> n) & 1) out.push(n);
  return out;
};

/**
 * The guest op of event i of a batch, or the reason it cannot be expressed (a sentence naming the
 * column, for "TRACE:LINE: column "x": ..."). Pure: the unit tests drive it with hand-made batches.
 */
export function classify(b: EventBatch, i: number, topo: HmmTopology): GuestOp | { column: string; why: string } {
  const op = b.op[i];
  const agent = b.agent[i];
  const dev = isDevAgent(agent) ? devIndex(agent) : -1;
  const devs = new Set(topo.deviceNodes);
  if (dev >= topo.deviceNodes.length) return { column: 'agent', why: `dev${dev} is not a device of this machine (it has ${topo.deviceNodes.length} device nodes)` };
  switch (op) {
    case Op.pin:
    case Op.unpin:
      return { column: 'op', why: `${OP_BY_CODE[op]} is not supported by the kernel-check guest (test_hmm offers no FOLL_LONGTERM pinner)` };
    case Op.mbind:
    case Op.set_mempolicy: {
      const named = nodeList(b.nodes[i]).filter((n) => devs.has(n));
      if (named.length) return { column: 'nodes', why: `${OP_BY_CODE[op]} names device node ${named.join(',')}: under hmm device memory is not a NUMA node, so no policy can name it (the simulator counts it in unsupported)` };
      return 'syscall';
    }
    case Op.read:
      return dev >= 0 ? 'hmm-read' : 'cpu-access';
    case Op.write:
    case Op.fault:
      return dev >= 0 ? 'hmm-write' : 'cpu-access';
    case Op.migrate: {
      const to = nodeList(b.nodes[i])[0];
      if (dev < 0) {
        if (devs.has(to)) return { column: 'nodes', why: `a CPU agent's migrate names device node ${to}: move_pages cannot name device memory, only its driver migrates there (use agent devN)` };
        return 'move-pages';
      }
      if (devs.has(to)) return 'hmm-migrate-to-dev';
      if ((topo.cpusOf.get(to) ?? 0) === 0)
        return { column: 'nodes', why: `migrate to node ${to} by dev${dev}: test_hmm allocates on the calling CPU's node (alloc_page_vma()), and node ${to} has no CPU` };
      return 'hmm-migrate-to-sys';
    }
    default:
      return 'syscall';
  }
}

/** Reads the whole trace and returns how many events map to each guest op; throws UsageError (exit 2) at the first it cannot express. */
export async function planHmmTrace(path: string, topo: HmmTopology, ignoreColumns = false): Promise<Plan> {
  const plan = emptyPlan();
  const trace = await openTrace(path, { ignoreColumns });
  for await (const b of trace.batches) {
    for (let i = 0; i < b.count; i++) {
      const r = classify(b, i, topo);
      if (typeof r === 'string') plan[r]++;
      else throw new UsageError(`${trace.info.path}:${b.line[i]}: column "${r.column}": ${r.why} (kernel-check --kernel hmm)`);
    }
  }
  return plan;
}
