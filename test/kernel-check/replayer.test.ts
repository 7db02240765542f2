// The guest replayer runs natively too: its parser and bookkeeping are tested here without qemu.
// (Placement needs the guest's two nodes; the host may have one, so only node 0 is used.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReplayer } from '../../src/kernel-check/initramfs.js';
import { checkPrerequisites, isStaticElf } from '../../src/kernel-check/prereqs.js';

const compiler = checkPrerequisites().missing.filter((m) => /gcc|libc/.test(m.what));
const dir = mkdtempSync(join(tmpdir(), 'cdm-replayer-'));
const env = { ...process.env, CDM_REPLAY_CACHE: dir };
let bin = '';
beforeAll(async () => {
  if (!compiler.length) bin = await buildReplayer('gcc', env);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function replay(csv: string, ...args: string[]): { code: number | null; json: Record<string, unknown> } {
  const path = join(dir, `t${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(path, csv);
  const r = spawnSync(bin, ['-f', dir, ...args, path], { encoding: 'utf8' });
  return { code: r.status, json: JSON.parse(r.stdout) as Record<string, unknown> };
}
const errorOf = (r: { json: Record<string, unknown> }) => r.json.error as { kind: string; line: number; message: string };

describe.skipIf(compiler.length > 0)('guest replayer (native)', () => {
  it('is a static binary', () => {
    expect(isStaticElf(bin)).toBe(true);
  });

  it('rejects invalid trace data with the line and column (exit 3)', () => {
    const r = replay('# cdm-replay trace@1\nop,addr\nwrite,0x1000\nwrite,0xzz\n');
    expect(r.code).toBe(3);
    expect(errorOf(r)).toEqual({ kind: 'trace', line: 4, message: 'column "addr": "0xzz" is not a valid address (expected 0x-hex or decimal, < 2^64)' });
    expect(errorOf(replay('op,addr,bogus\n')).message).toBe('header: "bogus" is not a trace@1 column (--ignore-columns skips it)');
    expect(errorOf(replay('op,addr,time\nwrite,1,5\nwrite,1,4\n')).message).toContain('decreases');
  });

  it('says clearly what the stock-kernel guest cannot replay (exit 2)', () => {
    const dev = replay('op,addr,agent\nwrite,0x1000,dev0\n');
    expect(dev.code).toBe(2);
    expect(errorOf(dev).message).toContain('device agent');
    expect(errorOf(replay('op,addr\npin,0x1000\n')).message).toContain('not supported');
    expect(errorOf(replay('op,addr,policy,nodes\nmbind,0x1000,bind,"0,9"\n')).message).toContain('node the guest does not have');
  });

  it('--kernel hmm mode: device agents parse, what test_hmm cannot express is exit 2, and no /dev/hmm_dmirror* is exit 4', () => {
    const hmm = ['-H', 'private', '-d', '1:0', '-N', '0:0'];
    const head = 'op,addr,len,agent,kind,policy,nodes\nmmap,0x7e0000000000,16384,cpu0,anon,,\n';
    const msg = (row: string) => {
      const r = replay(head + row, ...hmm);
      expect(r.code, row).toBe(2);
      return errorOf(r).message;
    };
    expect(msg('mbind,0x7e0000000000,16384,cpu0,,bind,1\n')).toContain('names a device: under --kernel hmm device memory is not a NUMA node');
    expect(msg('migrate,0x7e0000000000,16384,cpu0,,,1\n')).toContain('move_pages cannot name device memory');
    expect(msg('read,0x7e0000000000,,dev1,,,\n')).toContain('names a device the guest does not have');
    const ok = replay(`${head}migrate,0x7e0000000000,16384,dev0,,,1\nread,0x7e0000000000,,dev,,,\nmigrate,0x7e0000000000,16384,dev0,,,0\n`, ...hmm);
    if (ok.code === 4) expect(errorOf(ok).message).toBe('/dev/hmm_dmirror0 is missing: test_hmm.ko did not load (see the console above)');
    else expect(ok.code).toBe(0); // a host that has test_hmm loaded
  });

  it('ignores unknown columns with -i, and replays mmap/write/munmap/implicit accesses', () => {
    const r = replay(
      'op,addr,len,kind,extra\n' +
        'mmap,0x7e0000000000,16384,anon,x\nwrite,0x7e0000000000,16384,,\nmunmap,0x7e0000001000,4096,,\n' +
        'write,0x7e1000000000,,,\nwrite,0x7e1000001000,,,\n',
      '-i',
    );
    expect(r.code).toBe(0);
    const [p] = r.json.processes as { snapshot: { mappings: { trace_addr: string; pages: number; nodes: Record<string, number>; implicit: boolean }[] } }[];
    expect(p.snapshot.mappings.map((m) => [m.trace_addr, m.pages, m.implicit])).toEqual([
      ['0x7e0000000000', 1, false],
      ['0x7e0000002000', 2, false],
      ['0x7e1000000000', 2, true], // adjacent implicit pages share one entry
    ]);
    expect(Object.values(p.snapshot.mappings[1].nodes)).toEqual([2]);
  });
});
