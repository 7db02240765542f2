// The sweep's progress bar on stderr, only when stderr is a terminal (DESIGN §5): runs done of
// total, trace events per second over all workers, and an ETA from the run rate. Silent otherwise.
export class SweepProgress {
  private readonly start = Date.now();
  private last = 0;
  private shown = false;
  private events = 0;
  private done = 0;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly total: number,
  ) {}

  get enabled(): boolean {
    return this.out.isTTY === true && this.total > 0;
  }

  addEvents(n: number): void {
    this.events += n;
    this.draw(false);
  }

  addRuns(n: number): void {
    this.done += n;
    this.draw(true);
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
    const filled = Math.round((this.done / this.total) * width);
    const rate = Math.round(this.events / secs).toLocaleString('en-US');
    const eta = this.done === 0 ? '?' : clock(((this.total - this.done) * secs) / this.done);
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
