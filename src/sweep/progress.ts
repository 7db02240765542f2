// The sweep's progress bar on stderr, only when stderr is a terminal (DESIGN §5): runs done of
// total, trace events per second over all workers, and an ETA from the work done: finished runs
// plus, for each running task, its runs times the part of its trace read. A task's runs finish
// together (one pass), so runs alone would leave the bar still and the ETA unknown until then.
export class SweepProgress {
  private readonly start = Date.now();
  private last = 0;
  private shown = false;
  private events = 0;
  private done = 0;
  /** Runs taken from an earlier sweep (--resume): on the bar, but no part of the rate. */
  private resumed = 0;
  /** Work of running tasks (in runs), by the task's first run index. */
  private readonly partial = new Map<number, number>();

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly total: number,
  ) {}

  get enabled(): boolean {
    return this.out.isTTY === true && this.total > 0;
  }

  /** Events replayed; with `task`, that task's work so far in runs (replaces its last value). */
  addEvents(n: number, task = -1, work = 0): void {
    this.events += n;
    if (task >= 0) this.partial.set(task, work);
    this.draw(false);
  }

  /** Runs finished, those of `task` (its first run index) when given. */
  addRuns(n: number, task = -1): void {
    this.done += n;
    this.partial.delete(task);
    this.draw(true);
  }

  /** Runs already done when the sweep started (--resume). */
  resume(n: number): void {
    this.resumed += n;
    this.addRuns(n);
  }

  /** Runs done plus the running tasks' parts. */
  get work(): number {
    let w = this.done;
    for (const x of this.partial.values()) w += x;
    return w;
  }

  /** Writes a message on its own line, above the bar. */
  message(line: string): void {
    if (this.shown) this.out.write('\r\x1b[K');
    this.out.write(`${line}\n`);
    if (this.shown) this.draw(true);
  }

  finish(): void {
    if (this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }

  private draw(force: boolean): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 250) return;
    this.last = now;
    const secs = Math.max(0.001, (now - this.start) / 1000);
    const width = 24;
    const work = Math.min(this.total, this.work);
    const filled = Math.round((work / this.total) * width);
    const rate = Math.round(this.events / secs).toLocaleString('en-US');
    const fresh = work - this.resumed;
    const eta = fresh <= 0 ? '?' : clock(((this.total - work) * secs) / fresh);
    this.out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total} runs  ${rate} events/s  ETA ${eta}\x1b[K`);
    this.shown = true;
  }
}

function clock(s: number): string {
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(t % 60)}` : `${m}:${pad(t % 60)}`;
}
