// Progress on stderr, only when stderr is a terminal (DESIGN §5), at most a few times a second.
import type { WriteStream } from 'node:tty';

export class Progress {
  private last = 0;
  private readonly start = Date.now();
  private shown = false;
  constructor(private readonly out: NodeJS.WriteStream | WriteStream) {}

  update(events: number): void {
    if (!this.out.isTTY) return;
    const now = Date.now();
    if (now - this.last < 250) return;
    this.last = now;
    const rate = events / Math.max(0.001, (now - this.start) / 1000);
    this.out.write(`\r${events.toLocaleString('en-US')} events, ${Math.round(rate).toLocaleString('en-US')} events/s`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.out.write('\r\x1b[K');
  }
}
