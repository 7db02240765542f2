// What each ftrace event becomes (see src/trace/ftrace.ts for the list). Events without a virtual
// address cannot become page events (the event model is per virtual page): they are counted,
// never silently dropped, in info.skipped by reason, with their page totals in info.meta.
import { TraceDataError } from '../errors.js';
import type { TraceInfo } from './events.js';
import { bytes, Counter, equalsBytes, isKernelAddress, S, textOf } from './lines.js';
import { faultFields, fieldNumber, fieldText, NO_ADDRESS, SYMBOLIC_ADDRESS } from './tp-fields.js';
import type { ZoneMap } from './zoneinfo.js';

const PAGE_FAULT_USER = bytes('page_fault_user');
const PAGE_FAULT_KERNEL = bytes('page_fault_kernel');
const MM_PAGE_ALLOC = bytes('mm_page_alloc');
const MM_MIGRATE_PAGES = bytes('mm_migrate_pages');
const SCHED_MOVE_NUMA = bytes('sched_move_numa');
const PFN = bytes('pfn=');
const ORDER = bytes('order=');
const NR_SUCCEEDED = bytes('nr_succeeded=');
const NR_FAILED = bytes('nr_failed=');
const REASON = bytes('reason=');
const SRC_NID = bytes('src_nid=');
const DST_NID = bytes('dst_nid=');

/** Skipped reasons that name an event are capped, so a trace with many event kinds stays readable. */
const MAX_EVENT_NAMES = 64;

export class FtraceEvents {
  readonly skipped = new Counter();
  readonly meta = new Counter();
  private readonly events = new Set<string>();
  private lastName: Buffer = Buffer.alloc(0);
  private lastKey = '';
  /** Per node: its skipped reason and meta key, built once. */
  private readonly nodeKeys: [string, string][] = [];

  constructor(private readonly info: TraceInfo, private readonly zones: ZoneMap | null) {}

  /**
   * Handles event b[ns, ne) with fields b[fs, e). Returns an op to emit (its address in
   * S.hi / S.lo), or 0 when the event was counted instead.
   */
  handle(b: Buffer, ns: number, ne: number, fs: number, e: number, line: number): number {
    const user = equalsBytes(b, ns, ne, PAGE_FAULT_USER);
    if (user || equalsBytes(b, ns, ne, PAGE_FAULT_KERNEL)) {
      const op = faultFields(b, fs, e);
      if (op === NO_ADDRESS) this.fail(b, fs, e, line, 'fields', 'have no address= (expected address=0x... ip=... error_code=0x...)');
      const event = user ? 'page_fault_user' : 'page_fault_kernel';
      if (op === SYMBOLIC_ADDRESS) {
        this.skipped.add(`${event}:symbolic-address`);
        return 0;
      }
      if (isKernelAddress(S.hi)) {
        this.skipped.add(`${event}:kernel-address`);
        return 0;
      }
      return op;
    }
    if (equalsBytes(b, ns, ne, MM_PAGE_ALLOC)) this.pageAlloc(b, fs, e, line);
    else if (equalsBytes(b, ns, ne, MM_MIGRATE_PAGES)) this.migratePages(b, fs, e, line);
    else if (equalsBytes(b, ns, ne, SCHED_MOVE_NUMA)) this.moveNuma(b, fs, e);
    else this.skipped.add(this.eventKey(b, ns, ne));
    return 0;
  }

  /** kmem:mm_page_alloc "page=%p pfn=0x%lx order=%d ..." (decimal pfn on old kernels). */
  private pageAlloc(b: Buffer, fs: number, e: number, line: number): void {
    const pfn = fieldNumber(b, fs, e, PFN);
    const order = fieldNumber(b, fs, e, ORDER);
    if (!(pfn >= 0) || !(order >= 0 && order < 64)) {
      this.fail(b, fs, e, line, 'fields', 'have no valid pfn= and order= (expected e.g. pfn=0x122233 order=0)');
    }
    if (this.zones === null) {
      this.skipped.add('mm_page_alloc:node-unknown');
      this.meta.add('mm_page_alloc.pages.node-unknown', 2 ** order);
      return;
    }
    const node = this.zones.nodeOf(pfn);
    if (node < 0) {
      this.skipped.add('mm_page_alloc:pfn-outside-zones');
      return;
    }
    const keys = (this.nodeKeys[node] ??= [`mm_page_alloc:node${node}`, `mm_page_alloc.pages.node${node}`]);
    this.skipped.add(keys[0]);
    this.meta.add(keys[1], 2 ** order);
  }

  /** migrate:mm_migrate_pages: nr_succeeded, nr_failed, ... mode, reason (old kernels: the first two, mode, reason). */
  private migratePages(b: Buffer, fs: number, e: number, line: number): void {
    const ok = fieldNumber(b, fs, e, NR_SUCCEEDED);
    const failed = fieldNumber(b, fs, e, NR_FAILED);
    if (!(ok >= 0) || !(failed >= 0)) {
      this.fail(b, fs, e, line, 'fields', 'have no valid nr_succeeded= and nr_failed= (expected e.g. nr_succeeded=512 nr_failed=0 ... reason=demotion)');
    }
    const reason = fieldText(b, fs, e, REASON) ?? 'unknown';
    this.skipped.add(`mm_migrate_pages:${reason}`);
    this.meta.add(`mm_migrate_pages.${reason}.succeeded`, ok);
    this.meta.add(`mm_migrate_pages.${reason}.failed`, failed);
  }

  /** sched:sched_move_numa "pid=%d tgid=%d ngid=%d src_cpu=%d src_nid=%d dst_cpu=%d dst_nid=%d". */
  private moveNuma(b: Buffer, fs: number, e: number): void {
    this.skipped.add('sched_move_numa');
    const src = fieldNumber(b, fs, e, SRC_NID);
    const dst = fieldNumber(b, fs, e, DST_NID);
    if (src >= 0 && dst >= 0) this.meta.add(`sched_move_numa.${src}-${dst}`);
  }

  private eventKey(b: Buffer, s: number, e: number): string {
    const last = this.lastName;
    if (last.length === e - s && b.compare(last, 0, last.length, s, e) === 0) return this.lastKey;
    this.lastName = Buffer.from(b.subarray(s, e));
    const name = b.toString('latin1', s, e);
    if (!this.events.has(name) && this.events.size >= MAX_EVENT_NAMES) return (this.lastKey = 'event:other');
    this.events.add(name);
    return (this.lastKey = `event:${name}`);
  }

  /** Lines that are not events but belong to the format; false when the line is not one. */
  header(b: Buffer, s: number, e: number, line: number): boolean {
    const text = b.toString('latin1', s, Math.min(e, s + 200));
    const m = /^cpus=(\d+)\s*$/.exec(text);
    if (m) {
      if (line === 1) this.info.format = 'ftrace/trace-cmd';
      this.info.meta.cpus = m[1];
      return true;
    }
    if (/^CPU \d+ is empty\s*$/.test(text) || /^version = \d+/.test(text)) return true;
    const lost = /^CPU:(\d+) \[LOST (\d+) EVENTS\]/.exec(text);
    if (lost) {
      this.skipped.add('lost-events-notice');
      this.meta.add('lost_events', Number(lost[2]));
      return true;
    }
    return false;
  }

  private fail(b: Buffer, s: number, e: number, line: number, field: string, expected: string): never {
    throw new TraceDataError(this.info.path, `${line}`, field, textOf(b, s, e), expected);
  }

  end(): void {
    this.skipped.flushInto(this.info.skipped);
    for (const [k, v] of this.meta.counts) this.info.meta[k] = String(v);
  }
}
