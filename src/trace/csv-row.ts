// Building one event from field values: the setters both parser paths share, string
// interning, the whole-row checks and time rebasing. Trace1Parser (csv-parser.ts) finds the
// fields in the bytes and extends this class, so the hot path calls these without indirection.
import { TraceDataError } from '../errors.js';
import { encodeCpu, EventBatch, NONE, type ReadOptions, type TraceInfo } from './events.js';
import {
  KIND_BYTES, lookupOp, matchName, parseFlags, parseNodes, POLICY_BYTES, S, scanAgent, scanInt, scanTime, scanU64,
} from './csv-fields.js';
import { COLUMN_NAMES, K } from './csv-header.js';
import { decimalString, opRuleError, TimeRebaser, usualRow } from './csv-rules.js';

export class RowBuilder {
  readonly batch: EventBatch;
  /** Number of the next input line (1-based); rows report errors at it. */
  line = 1;
  protected hasTimeColumn = false;
  private readonly strings = new Map<string, number>();
  /** Last memcg / file bytes and their string index: consecutive rows mostly repeat them. */
  private readonly lastBytes: (Buffer | null)[] = [null, null];
  private readonly lastIndex = [NONE, NONE];
  // The row being built; committed by finish().
  protected hasAddr = false;
  protected hasTime = false;
  protected tHi = NaN; // NaN: a double field from the start (see S in csv-fields.ts)
  protected tLo = NaN;
  private readonly times = new TimeRebaser();

  constructor(protected readonly info: TraceInfo, protected readonly options: ReadOptions) {
    this.batch = new EventBatch(options.batchSize ?? 4096);
  }

  /** Sets column `kind` of row n from b[s, e); false when the value is invalid. */
  protected setField(kind: number, b: Buffer, s: number, e: number, n: number): boolean {
    const batch = this.batch;
    const empty = s === e;
    switch (kind) {
      case K.OP:
        return (batch.op[n] = lookupOp(b, s, e)) !== 0;
      case K.ADDR:
        if (empty) {
          batch.addrHi[n] = batch.addrLo[n] = 0;
          return true;
        }
        if (scanU64(b, s, e) !== e) return false;
        batch.addrHi[n] = S.hi;
        batch.addrLo[n] = S.lo;
        return (this.hasAddr = true);
      case K.LEN:
        if (empty) {
          batch.len[n] = NaN;
          return true;
        }
        if (scanU64(b, s, e) !== e || S.hi >= 0x200000 || (S.hi === 0 && S.lo === 0)) return false; // 0 < len < 2^53
        batch.len[n] = S.hi * 4294967296 + S.lo;
        return true;
      case K.TIME:
        if (empty) return true;
        if (scanTime(b, s, e) !== e) return false;
        this.tHi = S.hi;
        this.tLo = S.lo;
        return (this.hasTime = true);
      case K.PID:
      case K.TID:
        if (empty) S.v = kind === K.PID ? 1 : NONE;
        else if (scanInt(b, s, e) !== e) return false;
        (kind === K.PID ? batch.pid : batch.tid)[n] = S.v;
        return true;
      case K.AGENT:
        if (empty) S.v = encodeCpu(0);
        else if (scanAgent(b, s, e) !== e) return false;
        batch.agent[n] = S.v;
        return true;
      case K.KIND:
      case K.POLICY: {
        const v = empty ? 0 : matchName(b, s, e, kind === K.KIND ? KIND_BYTES : POLICY_BYTES);
        (kind === K.KIND ? batch.kind : batch.policy)[n] = v > 0 ? v : 0;
        return v >= 0;
      }
      case K.NODES:
      case K.FLAGS: {
        const v = empty ? 0 : kind === K.NODES ? parseNodes(b, s, e) : parseFlags(b, s, e);
        (kind === K.NODES ? batch.nodes : batch.flags)[n] = v;
        return v >= 0;
      }
      case K.MEMCG:
        batch.memcg[n] = empty ? NONE : this.intern(0, b, s, e);
        return true;
      case K.FILE:
        batch.file[n] = empty ? NONE : this.intern(1, b, s, e);
        return true;
      default: // an ignored column
        return true;
    }
  }

  private intern(which: number, b: Buffer, s: number, e: number): number {
    const last = this.lastBytes[which];
    if (last !== null && last.length === e - s && b.compare(last, 0, last.length, s, e) === 0) return this.lastIndex[which];
    const text = b.toString('utf8', s, e);
    let index = this.strings.get(text);
    if (index === undefined) {
      index = this.info.strings.push(text) - 1;
      this.strings.set(text, index);
    }
    this.lastBytes[which] = Buffer.from(b.subarray(s, e));
    return (this.lastIndex[which] = index);
  }

  /** Checks that need the whole row (what each op requires), then commits its time. */
  protected finish(n: number): void {
    // Small, so the fast path can inline it: the error paths are calls of their own.
    const b = this.batch;
    if (!usualRow(b.op[n], this.hasAddr, b.flags[n])) this.checkOpRules(n);
    if (!this.hasTimeColumn) return;
    if (!this.hasTime) {
      b.time[n] = NaN;
      return;
    }
    const t = this.times.rebase(this.tHi, this.tLo);
    if (t < 0) this.timeError();
    if (this.info.startTime === null) this.info.startTime = this.times.start;
    b.time[n] = t;
  }

  private checkOpRules(n: number): void {
    const err = opRuleError(this.batch, n, this.hasAddr);
    if (err !== null) throw this.error(`column "${err[0]}"`, err[1], err[2]);
  }

  private timeError(): never {
    this.fail(K.TIME, decimalString(this.tHi, this.tLo), `is not non-decreasing (expected >= ${this.times.previous()}, the previous event's time)`);
  }

  protected fail(kind: number, value: string, expected: string): never {
    throw this.error(`column "${COLUMN_NAMES[kind]}"`, value, expected);
  }

  protected error(field: string, value: string, expected: string): TraceDataError {
    return new TraceDataError(this.info.path, `${this.line}`, field, value, expected);
  }
}
