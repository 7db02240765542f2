// runKernelCheck end to end with the guest replaced by canned observations, and the suite's
// "a failure must reproduce" rule (runKernelCheckConfirmed).
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { GuestCrashError } from '../../src/kernel-check/errors.js';
import type { KernelObservation } from '../../src/kernel-check/observation.js';
import { fidelityConfig, observation, type Shape } from './fixtures.js';

const boots: (KernelObservation | Error)[] = [];
const calls: unknown[] = [];
vi.mock('../../src/kernel-check/run.js', () => ({
  runKernelReplay: vi.fn((_trace: string, machine: unknown, options: unknown) => {
    calls.push({ machine, options });
    const next = boots.shift();
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  }),
}));
const { runKernelCheck, runKernelCheckConfirmed } = await import('../../src/kernel-check/check.js');

const TRACE = join(import.meta.dirname, '../fidelity/bind1-first-touch.csv');
const bind1: Shape = {
  vmstat: { numa_hit: 1028, numa_local: 4, numa_other: 1024, nr_anon_pages: 1024, nr_page_table_pages: 4, pgalloc_dma32: 1028, pgfault: 1025 },
  numastat: { 0: { numa_hit: 4, local_node: 4 }, 1: { numa_hit: 1024, other_node: 1024 } },
  pages: { 1: 1024 },
};
const noisy: Shape = { ...bind1, numastat: { ...bind1.numastat, 1: { numa_hit: 1031, other_node: 1031 } } };

beforeEach(() => {
  boots.length = 0;
  calls.length = 0;
});

describe('runKernelCheck', () => {
  it('boots the mapped machine with the config\'s settings and compares with the mainline simulator', async () => {
    boots.push(observation(bind1));
    const res = await runKernelCheck({ tracePath: TRACE, config: fidelityConfig(['kernel.numaBalancing=1']) });
    expect(res.summary).toMatchObject({ failed: 0 });
    expect(res.backend).toBe('mainline');
    expect(calls[0]).toMatchObject({
      machine: { nodes: [{ id: 0, capacityBytes: 2 ** 30, cpus: 2 }, { id: 1, kind: 'device' }] },
      options: { numaBalancing: 1, thp: 'never', pace: true }, // pacing follows NUMA balancing
    });
  });
});

describe('runKernelCheckConfirmed', () => {
  it('boots again when a value is outside its tolerance, and keeps the second result', async () => {
    boots.push(observation(noisy), observation(bind1));
    const res = await runKernelCheckConfirmed({ tracePath: TRACE, config: fidelityConfig() });
    expect(calls).toHaveLength(2);
    expect(res.summary.failed).toBe(0);
    expect(res.warnings[0]).toMatch(/^attempt 1: node1\.numa_hit \(kernel 1031, expected 1024 ±2\).* booted again$/);
  });

  it('reports a failure that reproduces', async () => {
    boots.push(observation(noisy), observation(noisy));
    const res = await runKernelCheckConfirmed({ tracePath: TRACE, config: fidelityConfig() });
    expect(res.summary.failed).toBeGreaterThan(0);
  });

  it('boots again after a guest crash, but not after a trace error', async () => {
    boots.push(new GuestCrashError('kernel-check: no result from the guest', 'Kernel panic'), observation(bind1));
    const res = await runKernelCheckConfirmed({ tracePath: TRACE, config: fidelityConfig() });
    expect(res.summary.failed).toBe(0);
    expect(res.warnings[0]).toContain('attempt 1: the guest crashed');
    boots.push(new Error('other'));
    await expect(runKernelCheckConfirmed({ tracePath: TRACE, config: fidelityConfig() })).rejects.toThrow('other');
  });
});
