// Boots Debian's stock 6.12 in qemu and checks the KERNEL-CHECK figures on a tiny trace. Skips (with
// the reason printed) when qemu or the kernel image is missing; fails instead when CI=true.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPrerequisites } from '../../src/kernel-check/prereqs.js';
import { runKernelReplay } from '../../src/kernel-check/run.js';
import type { KernelMachine } from '../../src/kernel-check/topology.js';

const GiB = 1024 ** 3;
const machine: KernelMachine = {
  nodes: [
    { id: 0, kind: 'cpu', capacityBytes: GiB, cpus: 2 },
    { id: 1, kind: 'device', capacityBytes: GiB },
  ],
};
const missing = checkPrerequisites().missing;
const inCI = process.env.CI === 'true';
const skip = missing.length > 0 && !inCI;
if (skip) {
  console.warn(`SKIPPED kernel-check integration tests: ${missing.map((m) => `${m.what} (${m.install})`).join('; ')}`);
}

const dir = mkdtempSync(join(tmpdir(), 'cdm-kint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** CDM_KERNEL_DUMP=DIR keeps each observation as DIR/<trace>.json for inspection. */
function dump(name: string, obs: unknown): void {
  if (process.env.CDM_KERNEL_DUMP) writeFileSync(join(process.env.CDM_KERNEL_DUMP, `${name}.json`), JSON.stringify(obs, null, 1));
}
function trace(name: string, rows: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${rows.join('\n')}\n`);
  return path;
}

describe.skipIf(skip)('kernel-check on Debian 6.12 under qemu', () => {
  it('has its prerequisites (required when CI=true)', () => {
    expect(missing).toEqual([]);
  });

  it('mbind BIND{1}, touch 64 pages, move_pages to node 0 (KERNEL-CHECK Q2)', async () => {
    const path = trace('bind-move.csv', [
      'op,addr,len,kind,policy,nodes',
      'mmap,0x7f0000000000,262144,anon,,',
      'mbind,0x7f0000000000,262144,,bind,1',
      'write,0x7f0000000000,262144,,,',
      'migrate,0x7f0000000000,262144,,,0',
    ]);
    const obs = await runKernelReplay(path, machine, { numaBalancing: 0, thp: 'never' });
    dump('bind-move', obs);
    console.log(`kernel ${obs.kernel}: wall ${obs.host.wallMs} ms, init at ${obs.host.initUptimeS} s, done at ${obs.host.doneUptimeS} s, replay ${(obs.replay_ns / 1e6).toFixed(1)} ms`);
    const node1 = obs.nodes[1].numastat_delta;
    expect(node1.numa_hit).toBeGreaterThanOrEqual(64); // first touch under BIND{1}
    expect(node1.numa_hit).toBeLessThanOrEqual(66); // ±2 pages (KERNEL-CHECK caveat 1)
    expect(obs.vmstat_delta.pgmigrate_success).toBe(64);
    expect(obs.vmstat_delta.nr_anon_pages).toBeGreaterThanOrEqual(64);
    expect(obs.vmstat_delta.nr_anon_pages).toBeLessThanOrEqual(66);
    expect(obs.page_table_pages_delta).toBeGreaterThanOrEqual(1); // KERNEL-MODEL §2.4: PTE (+PMD, PUD)
    expect(obs.page_table_pages_delta).toBeLessThanOrEqual(3);
    const [proc] = obs.processes;
    expect(proc.state).toBe('running');
    expect(proc.migrate_status).toEqual({ '0': 64 });
    const m = proc.snapshot?.mappings.find((x) => x.trace_addr === '0x7f0000000000');
    expect(m?.relocated).toBe(false);
    expect(m?.nodes).toEqual({ '0': 64 });
    expect(m?.list).toEqual(Array(64).fill(0));
    expect(proc.snapshot?.numa_maps.join('\n')).toMatch(/^7f0000000000 bind:1 anon=64 dirty=64 .*N0=64/m);
  });

  it('processes, memcg OOM kill, exit, relocation, file/shmem and implicit mappings', async () => {
    const path = trace('procs.csv', [
      'op,addr,len,kind,policy,nodes,pid,memcg,agent,file',
      'mmap,0x7f0000000000,4194304,anon,,,1,/job,,',
      'write,0x7f0000000000,4194304,,,,1,,,',
      'mmap,0x7f1000000000,33554432,anon,,,2,/small,,',
      'write,0x7f1000000000,33554432,,,,2,,,',
      'write,0x7f1000000000,,,,,2,,,',
      'mmap,0x400000,8192,shmem,,,1,,,',
      'write,0x400000,8192,,,,1,,cpu1,',
      'mmap,0x7f2000000000,8192,file,,,1,,,data',
      'write,0x7f2000000000,8192,,,,1,,,',
      'read,0x7f3000000000,,,,,1,,,',
      'write,0x7f3000001000,,,,,1,,,',
      'set_mempolicy,,,,bind,1,3,,,',
      'write,0x7f4000000000,65536,,,,3,,,',
      'exit,,,,,,3,,,',
    ]);
    const obs = await runKernelReplay(path, machine, {
      numaBalancing: 0,
      thp: 'never',
      memcgs: [{ path: '/small', maxBytes: 16 * 1024 * 1024 }],
    });
    dump('procs', obs);
    const [p1, p2, p3] = obs.processes;
    expect(p2).toMatchObject({ pid: 2, state: 'killed', signal: 9, skipped_after_kill: 1, snapshot: null });
    const small = obs.memcgs.find((m) => m.path === '/small');
    expect(small?.events.oom_kill).toBe(1);
    expect(small?.max).toBe(16 * 1024 * 1024);
    const job = obs.memcgs.find((m) => m.path === '/job');
    expect(job?.stat.anon).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    expect(p3.state).toBe('exited');
    expect(p3.snapshot?.mappings[0]).toMatchObject({ implicit: true, pages: 16, nodes: { '1': 16 } });
    expect(p1.state).toBe('running');
    const maps = p1.snapshot?.mappings ?? [];
    expect(maps.find((m) => m.trace_addr === '0x400000')).toMatchObject({ kind: 'shmem', relocated: true, nodes: { '0': 2 } });
    expect(maps.find((m) => m.trace_addr === '0x7f2000000000')).toMatchObject({ kind: 'file', nodes: { '0': 2 } });
    expect(maps.find((m) => m.trace_addr === '0x7f3000000000')).toMatchObject({ implicit: true, pages: 2 });
    expect(p1.snapshot?.status_kB.RssShmem).toBeGreaterThanOrEqual(16);
  });
});
