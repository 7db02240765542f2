// What the core tells observers, in batches (never a callback per access): migration records.
// Metrics subscribe with `onFlush`; the buffer is handed over when full and at the end.

/** Why a page moved (report `migrations.by_trigger`, KERNEL-MODEL §8 metric names). */
export const TRIGGERS = [
  'move_pages', 'migrate_pages', 'mbind', 'numa_balancing', 'demotion', 'driver', 'fault_back', 'longterm_pin', 'khugepaged',
] as const;
export type Trigger = (typeof TRIGGERS)[number];
export const Trig = Object.fromEntries(TRIGGERS.map((t, i) => [t, i])) as Record<Trigger, number>;

/** Outcome: 0 = moved; otherwise a failure reason (report `migrations.failed_by_reason`). */
export const OUTCOMES = [
  'ok', 'ENODEV', 'EACCES', 'ENOENT', 'EBUSY', 'EFAULT', 'ENOMEM', 'EPERM', 'EINVAL',
  'pinned', 'isolate', 'no-dst', 'file-to-device', 'thp', 'locked', 'no-mapping', 'unbalanced',
  'still-mapped', 'anon-exclusive-share', 'mapping',
] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const Out = Object.fromEntries(OUTCOMES.map((t, i) => [t, i])) as Record<Outcome, number>;

export class MigrationLog {
  static readonly CAPACITY = 4096;
  count = 0;
  readonly space = new Int32Array(MigrationLog.CAPACITY);
  readonly index = new Float64Array(MigrationLog.CAPACITY);
  /** Node positions; `from` is -1 when the page was not resident (a populated hole). */
  readonly from = new Int8Array(MigrationLog.CAPACITY);
  readonly to = new Int8Array(MigrationLog.CAPACITY);
  readonly time = new Float64Array(MigrationLog.CAPACITY);
  readonly trigger = new Uint8Array(MigrationLog.CAPACITY);
  readonly outcome = new Uint8Array(MigrationLog.CAPACITY);
  /** Whether the move was counted in pgmigrate_* (migrate_pages) or not (migrate_vma). */
  readonly counted = new Uint8Array(MigrationLog.CAPACITY);
  onFlush: ((log: MigrationLog) => void) | null = null;
  /** `explain` only: sees each record as it is made. */
  tap: ((space: number, index: number, from: number, to: number, trigger: number, outcome: number, counted: boolean) => void) | null = null;

  record(space: number, index: number, from: number, to: number, time: number, trigger: number, outcome: number, counted: boolean): void {
    const i = this.count;
    this.space[i] = space;
    this.index[i] = index;
    this.from[i] = from;
    this.to[i] = to;
    this.time[i] = time;
    this.trigger[i] = trigger;
    this.outcome[i] = outcome;
    this.counted[i] = counted ? 1 : 0;
    if (this.tap !== null) this.tap(space, index, from, to, trigger, outcome, counted);
    if (++this.count === MigrationLog.CAPACITY) this.flush();
  }

  flush(): void {
    if (this.count === 0) return;
    this.onFlush?.(this);
    this.count = 0;
  }
}
