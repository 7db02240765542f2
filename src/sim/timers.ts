// Time-driven kernel work, run when trace time passes its due time: the NUMA scanner and khugepaged.
import type { Machine } from './machine.js';
import { runNumaTimers } from './numab.js';

export function runTimers(m: Machine, now: number): void {
  const numa = runNumaTimers(m, now);
  const khugepaged = m.khugepaged.run(m, now);
  m.now = now;
  m.nextTimerNs = Math.min(numa, khugepaged);
}
