// The sweep's progress bar: silent unless stderr is a terminal; the bar and ETA follow the work
// done inside running tasks, not only finished runs.
import { describe, expect, it } from 'vitest';
import { SweepProgress } from '../../src/sweep/progress.js';

function tty(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const stream = { isTTY, write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
  return { stream, text: () => out };
}

describe('sweep progress', () => {
  it('writes nothing when stderr is not a terminal', () => {
    const t = tty(false);
    const p = new SweepProgress(t.stream, 8);
    p.addEvents(1000, 0, 2);
    p.addRuns(4, 0);
    p.finish();
    expect(t.text()).toBe('');
  });

  it('moves the bar and gives an ETA while a task is still running, and counts a task once when it ends', () => {
    const t = tty(true);
    const p = new SweepProgress(t.stream, 8);
    p.addRuns(0); // a first draw: nothing done, no ETA yet
    expect(t.text()).toContain('0/8 runs');
    expect(t.text()).toContain('ETA ?');
    p.addEvents(5000, 0, 2); // task of 4 runs, half its trace read
    p.addRuns(0); // force a draw (events draw at most every 250 ms)
    const last = t.text().split('\r').at(-1) as string;
    expect(last).toMatch(/^\[#{6}\.{18}\] 0\/8 runs/); // 2 of 8 runs' work: a quarter of the bar
    expect(last).not.toContain('ETA ?');
    p.addEvents(5000, 0, 4);
    p.addRuns(4, 0); // the task ends: its partial work becomes 4 runs, not 4 + 4
    expect(p.work).toBe(4);
    p.addEvents(100, 4, 1);
    expect(p.work).toBe(5);
    p.finish();
  });

  it('leaves resumed runs out of the ETA: they took no time in this sweep', () => {
    const t = tty(true);
    const p = new SweepProgress(t.stream, 8);
    p.resume(4);
    expect(t.text()).toContain('4/8 runs');
    expect(t.text()).toContain('ETA ?'); // nothing run yet: no rate to go by
  });
});
