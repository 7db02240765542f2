// Applies one trace event to one simulated machine: address -> page numbers, agent -> node, op ->
// the core's mechanism. The only place trace@1 semantics meet the core.
import { TraceDataError } from '../errors.js';
import type { MetricsCollector } from '../metrics/collect.js';
import { access } from '../sim/fault.js';
import type { Machine } from '../sim/machine.js';
import { Mode, firstNode } from '../sim/mempolicy.js';
import { Mm, VmaKind } from '../sim/mm.js';
import { runTimers } from '../sim/timers.js';
import { Out, Trig } from '../sim/events.js';
import * as ops from '../sim/ops.js';
import { EventBatch, Flag, Op, OP_BY_CODE, Policy } from '../trace/events.js';

/** trace@1 policy code -> core mode. */
const MODE_OF: number[] = [];
MODE_OF[Policy.default] = Mode.DEFAULT;
MODE_OF[Policy.local] = Mode.LOCAL;
MODE_OF[Policy.bind] = Mode.BIND;
MODE_OF[Policy.preferred] = Mode.PREFERRED;
MODE_OF[Policy.preferred_many] = Mode.PREFERRED_MANY;
MODE_OF[Policy.interleave] = Mode.INTERLEAVE;

export class Run {
  private lastPid = -1;
  private lastMm: Mm | null = null;
  readonly shift: number;
  /** Pages per 2^32 bytes: the high address half's weight in page numbers. */
  readonly hiPages: number;

  constructor(readonly machine: Machine, readonly metrics: MetricsCollector, readonly strings: string[], readonly file: string) {
    this.shift = Math.log2(machine.pageSize);
    this.hiPages = 2 ** (32 - this.shift);
  }

  private mmFor(pid: number): Mm {
    if (pid === this.lastPid && this.lastMm) return this.lastMm;
    const m = this.machine;
    let mm = m.mms.get(pid);
    if (mm && mm.exited) {
      // pid reuse after exit: the old process stays in the report through its snapshot.
      m.mms.delete(pid);
      m.exitedMms.push(mm);
      mm = undefined;
    }
    mm = mm ?? m.mm(pid);
    this.lastPid = pid;
    this.lastMm = mm;
    return mm;
  }

  private bad(b: EventBatch, i: number, field: string, value: string, expected: string): never {
    throw new TraceDataError(this.file, String(b.line[i]), field, value, expected);
  }

  apply(b: EventBatch, i: number, time: number): void {
    const m = this.machine;
    if (time >= m.nextTimerNs) runTimers(m, time);
    m.now = time;
    const op = b.op[i];
    const pid = b.pid[i];
    const mm = this.mmFor(pid);
    if (mm.killed) { m.skippedAfterKill++; return; }
    if (!mm.memcgBound) {
      mm.memcgBound = true;
      if (b.memcg[i] >= 0) mm.memcg = m.memcgs.lookup(this.strings[b.memcg[i]]);
    }
    const agent = b.agent[i];
    const agentPos = m.agentNode(agent);
    if (agentPos < 0) {
      const name = agent >= 0 ? `cpu${agent}` : `dev${-agent - 1}`;
      this.bad(b, i, 'column "agent"', name, agent >= 0
        ? `is not a CPU of this machine (it has ${m.topo.cpuNodeOf.length} CPUs)`
        : `is not a device of this machine (it has ${m.deviceNodes.length} device nodes)`);
    }
    const isCpu = agent >= 0;
    // Syscalls issued "by a device" run on the nearest CPU node.
    const cpuNode = isCpu ? agentPos : m.nearestCpuNode(agentPos);
    if (isCpu) mm.cpuNode = agentPos;
    const thread = b.tid[i] >= 0 ? b.tid[i] : pid;
    if (thread !== mm.lastThread) { mm.threads.add(thread); mm.lastThread = thread; } // a Set op only on a change
    const tid = b.tid[i];

    const vpn = firstPage(b, i, this.hiPages, this.shift);
    const end = pageEnd(b, i, vpn, m.pageSize);
    const isAccess = op === Op.read || op === Op.write || op === Op.fault;
    if (isAccess) {
      const write = op !== Op.read;
      const window = Math.floor(time / m.windowNs);
      const weight = b.weight[i]; // a sampled record stands for this many accesses (perf mem)
      for (let p = vpn; p < end; p++) {
        if (mm.killed) break;
        access(m, mm, ops.vmaFor(m, mm, p), p, write, agent, tid, window, weight);
      }
      return;
    }
    switch (op) {
      case Op.mmap: {
        const kind = b.kind[i] === 1 ? VmaKind.ANON : b.kind[i] === 2 ? VmaKind.FILE : VmaKind.SHMEM;
        ops.mmap(m, mm, vpn, end, kind, b.file[i] >= 0 ? this.strings[b.file[i]] : null);
        return;
      }
      case Op.munmap: return ops.munmap(m, mm, vpn, end);
      case Op.mbind:
        return ops.mbind(m, mm, vpn, end, MODE_OF[b.policy[i]], b.nodes[i], (b.flags[i] & Flag.move) !== 0,
          (b.flags[i] & Flag.move_all) !== 0, cpuNode);
      case Op.set_mempolicy: return ops.setMempolicy(m, mm, tid, MODE_OF[b.policy[i]], b.nodes[i]);
      case Op.migrate: {
        const nodes = b.nodes[i] >>> 0;
        if ((nodes & (nodes - 1)) !== 0) this.bad(b, i, 'column "nodes"', nodesText(nodes), 'names several nodes (expected one target node for migrate)');
        const id = firstNode(nodes);
        const to = m.topo.pos[id];
        if (to < 0) {
          // do_pages_move(): a node that is not online fails the call with -ENODEV.
          for (let p = vpn; p < end; p++) m.migrations.record(pid, p, -1, -1, time, isCpu ? Trig.move_pages : Trig.driver, Out.ENODEV, false);
          return;
        }
        return ops.migrate(m, mm, vpn, end, to, !isCpu, (b.flags[i] & Flag.move_all) !== 0, cpuNode);
      }
      case Op.mlock: return ops.mlock(m, mm, vpn, end, cpuNode, tid);
      case Op.munlock: return ops.munlock(m, mm, vpn, end);
      case Op.madvise: return ops.madvise(m, mm, vpn, end, (b.flags[i] & Flag.hugepage) !== 0, (b.flags[i] & Flag.nohugepage) !== 0);
      case Op.pin: return ops.pin(m, mm, vpn, end, cpuNode, tid);
      case Op.unpin: return ops.unpin(m, mm, vpn, end);
      case Op.exit:
        ops.exit(m, mm, () => this.metrics.beforeExit(mm));
        return;
      default:
        this.bad(b, i, 'column "op"', OP_BY_CODE[op] ?? String(op), 'is not supported');
    }
  }
}

/** The event's first page number: its address / page size (exact below 2^53). */
export function firstPage(b: EventBatch, i: number, hiPages: number, shift: number): number {
  return b.addrHi[i] * hiPages + (b.addrLo[i] >>> shift);
}

/** One past the event's last page: [addr, addr + len) when it has a length, else one page. */
export function pageEnd(b: EventBatch, i: number, vpn: number, pageSize: number): number {
  const len = b.len[i];
  return len === len ? vpn + Math.floor(((b.addrLo[i] & (pageSize - 1)) + len - 1) / pageSize) + 1 : vpn + 1;
}

const nodesText = (mask: number): string => {
  const out: number[] = [];
  for (let n = 0; n < 32; n++) if ((mask >>> n) & 1) out.push(n);
  return out.join(',');
};
