// `cdm-replay explain`: the life of one page, run as a user would.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/cdm-replay.js');
const dir = mkdtempSync(join(tmpdir(), 'cdm-explain-'));
const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

const BASE = 0x7f0000000000;
const rows = [
  'op,addr,len,agent,policy,nodes,kind,flags,time',
  `mmap,0x${BASE.toString(16)},1048576,cpu0,,,anon,,0`,
  `madvise,0x${BASE.toString(16)},1048576,cpu0,,,,nohugepage,0`,
  `mbind,0x${BASE.toString(16)},1048576,cpu0,bind,1,,,0`,
  `write,0x${BASE.toString(16)},1048576,cpu0,,,,,0`,
  `mbind,0x${BASE.toString(16)},1048576,cpu0,default,,,,0`,
  ...Array.from({ length: 30 }, (_, t) => `read,0x${BASE.toString(16)},1048576,cpu0,,,,,${(t + 1) * 100_000_000}`),
  // A page the device keeps reading from RAM: misplaced, never moved.
  `write,0x${(BASE + 0x200000).toString(16)},4096,cpu0,,,,,3100000000`,
  ...Array.from({ length: 20 }, (_, t) => `read,0x${(BASE + 0x200000).toString(16)},4096,dev0,,,,,${3_200_000_000 + t * 1000}`),
];
const trace = join(dir, 'life.csv');
writeFileSync(trace, `${rows.join('\n')}\n`);

describe('cdm-replay explain', () => {
  it('tells the life of a page that NUMA balancing moves back, per backend', () => {
    const r = cli(['explain', trace, '--page', `0x${(BASE + 0x3000).toString(16)}`, '--backend', 'mainline,numa', '--format', 'json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const mainline = out.backends.find((b: { label: string }) => b.label === 'mainline');
    const what = mainline.events.map((e: { what: string }) => e.what);
    expect(what).toEqual(['alloc', 'numa-scan', 'hint-fault', 'migrate']);
    expect(mainline.events[0].detail.node).toBe(1);
    expect(mainline.events[3].detail).toMatchObject({ from: 1, to: 0, trigger: 'numa_balancing', vmstat: 'pgmigrate_*' });
    expect(mainline.final[0]).toMatchObject({ state: 'resident', node: 0 });
    expect(mainline.touches.cpu0).toBe(31);
    // numa: allocated from the coherent node's own zonelist; NUMA balancing pulls it back too (§4.4).
    const numa = out.backends.find((b: { label: string }) => b.label === 'numa');
    expect(numa.events[0].detail).toMatchObject({ node: 1, zonelist: '1 > 0' });
    expect(numa.final[0]).toMatchObject({ node: 0 });
  });

  it('shows which observables see a page: numa_maps hides a coherent-node page (numa)', () => {
    const r = cli(['explain', trace, '--page', `0x${(BASE + 0x3000).toString(16)}`, '--backend', 'numa,mainline',
      '--set', 'kernel.numaBalancing=0', '--format', 'json']);
    expect(r.status, r.stderr).toBe(0);
    const [numa, mainline] = JSON.parse(r.stdout).backends;
    expect(numa.final[0]).toMatchObject({ node: 1, observables: { numa_maps: false, vmrss: true, smaps: true } });
    expect(mainline.final[0]).toMatchObject({ node: 1, observables: { numa_maps: true } });
  });

  it('shows a misplaced page: on RAM, touched mostly by the device, never moved', () => {
    const r = cli(['explain', trace, '--page', `0x${(BASE + 0x200000).toString(16)}`, '--backend', 'mainline']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('touched by cpu0 ×1, dev0 ×20');
    expect(r.stdout).toContain('alloc');
    expect(r.stdout).toContain('node=0');
    expect(r.stdout).not.toContain(' migrate ');
  });

  it('needs exactly one of --page and --range (exit 2)', () => {
    expect(cli(['explain', trace]).status).toBe(2);
    expect(cli(['explain', trace, '--page', 'zz']).status).toBe(2);
  });
});
