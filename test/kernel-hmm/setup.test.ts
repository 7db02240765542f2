// --kernel hmm without a kernel: the guest machine and command line (hmm-machine.ts), the config
// fragment and cache key the setup script shares with the CLI (paths.ts), the prerequisite message.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { hmmGuestSetup } from '../../src/kernel-check/hmm-machine.js';
import { replayerArgs } from '../../src/kernel-check/initramfs.js';
import { HMM_SETUP, hmmCacheKey, hmmConfigFragment, hmmConfigHash, resolveHmmKernel } from '../../src/kernel-check/paths.js';
import { checkPrerequisites } from '../../src/kernel-check/prereqs.js';
import { qemuArgs } from '../../src/kernel-check/topology.js';

const MACHINE = join(import.meta.dirname, 'machine.yaml');
const SCRIPT = join(import.meta.dirname, '../../scripts/kernel-check-setup-hmm.sh');
const dir = mkdtempSync(join(tmpdir(), 'cdm-hmm-setup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = (sets: string[] = []) => loadConfig({ configFile: MACHINE, sets }).config;
const MiB = 1024 * 1024;

describe('the hmm guest machine', () => {
  it('private: the CPU node only, test_hmm loaded, dev0 = node 1 driven from CPU 0', () => {
    const s = hmmGuestSetup(config(), 'private');
    expect(s.machine.nodes.map((n) => [n.id, n.kind, n.capacityBytes / MiB])).toEqual([[0, 'cpu', 1024]]);
    expect(s.append).toEqual(['cdm_hmm=1']);
    expect(s.replayerArgs).toEqual(['-H', 'private', '-d', '1:0', '-N', '0:0']);
    expect(s.driverNode).toBe(0);
    expect(replayerArgs({ hmmArgs: s.replayerArgs })).toEqual(s.replayerArgs);
    const q = qemuArgs(s.machine, { qemu: 'q', kernel: 'k', initrd: 'i', append: s.append });
    expect(q.join(' ')).toContain('-m 1024M');
    expect(q.join(' ')).toContain('cdm_hmm=1');
  });

  it('coherent-6x: 512 MiB reserved with memmap= above node 0 (ACPI margin on top), spm addresses for test_hmm', () => {
    const s = hmmGuestSetup(config(), 'coherent-6x');
    expect(s.machine.nodes[0].capacityBytes / MiB).toBe(1024 + 512 + 64);
    expect(s.spmAddress).toBe(0x40000000);
    expect(s.append).toEqual(['cdm_hmm=1', 'memmap=512M$0x40000000', 'cdm_hmm_spm=0x40000000,0x50000000']);
    expect(s.replayerArgs.slice(0, 2)).toEqual(['-H', 'coherent']);
    expect(s.warnings.join('\n')).toMatch(/512 MiB reserved at 0x40000000/);
  });

  it('refuses configs test_hmm cannot play, naming the key', () => {
    const bad = (c: Config, variant: 'private' | 'coherent-6x', key: string, msg: RegExp) => {
      const e = (() => { try { hmmGuestSetup(c, variant); } catch (x) { return x; } return null; })();
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).message).toMatch(msg);
      expect((e as ConfigError).keyPath).toBe(key);
    };
    bad(config(['nodes.1.capacity=128MiB']), 'coherent-6x', 'nodes.1.capacity', /exactly 256 MiB/);
    const c = config();
    bad({ ...c, nodes: c.nodes.map((n) => ({ ...n, kind: 'cpu' as const, cpus: 1 })) }, 'private', 'nodes', /no device node/);
    bad({ ...c, nodes: [c.nodes[0], c.nodes[1], { ...c.nodes[1], id: 2 }, { ...c.nodes[1], id: 3 }] }, 'private', 'nodes.3', /two devices of each memory type/);
  });
});

describe('the hmm kernel cache', () => {
  const fragment = readFileSync(hmmConfigFragment(), 'utf8');

  it('the config fragment enables what test_hmm and the guest need, from a named base defconfig', () => {
    expect(fragment).toMatch(/^# base: x86_64_defconfig$/m);
    for (const want of ['CONFIG_DEVICE_PRIVATE=y', 'CONFIG_ZONE_DEVICE=y', 'CONFIG_TEST_HMM=m', 'CONFIG_HMM_MIRROR=y', 'CONFIG_NUMA=y',
      'CONFIG_NUMA_BALANCING=y', 'CONFIG_MIGRATION=y', 'CONFIG_MEMCG=y', 'CONFIG_TRANSPARENT_HUGEPAGE=y', 'CONFIG_DEVTMPFS=y',
      'CONFIG_BLK_DEV_INITRD=y', 'CONFIG_SERIAL_8250_CONSOLE=y', 'CONFIG_MODULES=y', '# CONFIG_MODULE_SIG is not set'])
      expect(fragment).toContain(want);
  });

  it('keys builds by source version and config hash, the same way the setup script does', () => {
    const fromScript = execFileSync('bash', [SCRIPT, '--print-config-hash'], { encoding: 'utf8' }).trim();
    expect(hmmConfigHash(fragment)).toBe(fromScript);
    expect(fromScript).toMatch(/^[0-9a-f]{12}$/);
    expect(hmmCacheKey('6.12.117-1~deb12u1', 'abc')).toBe('6.12.117-1_deb12u1-abc');
  });

  it('finds a complete build for the current fragment, and says why otherwise', () => {
    const env = { CDM_REPLAY_CACHE: dir };
    const root = join(dir, 'kernel-hmm');
    expect(resolveHmmKernel(env)).toEqual({ missing: `no hmm kernel built (looked in ${root})` });
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'CURRENT'), '6.12.117-1_deb12u1-000000000000\n');
    expect('missing' in resolveHmmKernel(env) && resolveHmmKernel(env)).toMatchObject({ missing: expect.stringMatching(/built from another scripts\/kernel-hmm.config/) });
    const key = hmmCacheKey('6.12.117-1~deb12u1', hmmConfigHash(fragment));
    writeFileSync(join(root, 'CURRENT'), `${key}\n`);
    mkdirSync(join(root, key));
    writeFileSync(join(root, key, 'bzImage'), 'x');
    expect(resolveHmmKernel(env)).toMatchObject({ missing: expect.stringMatching(/incomplete \(no test_hmm.ko, test_hmm_uapi.h\)/) });
    writeFileSync(join(root, key, 'test_hmm.ko'), 'x');
    writeFileSync(join(root, key, 'test_hmm_uapi.h'), 'x');
    writeFileSync(join(root, key, 'BUILD-INFO'), 'kernelrelease=6.12.117\nbuild_seconds=410\n');
    const found = resolveHmmKernel(env);
    expect('kernel' in found && found.kernel.info).toEqual({ kernelrelease: '6.12.117', build_seconds: '410' });
    const pre = checkPrerequisites({ kernel: 'hmm', env: { ...process.env, ...env } });
    expect(pre.kernel?.path).toBe(join(root, key, 'bzImage'));
    expect(pre.hmm?.module).toBe(join(root, key, 'test_hmm.ko'));
  });

  it('a missing hmm kernel names the opt-in setup command', () => {
    const pre = checkPrerequisites({ kernel: 'hmm', env: { ...process.env, CDM_REPLAY_CACHE: join(dir, 'none') } });
    const m = pre.missing.find((x) => x.what.startsWith('the hmm kernel'));
    expect(m?.install).toBe(HMM_SETUP);
    expect(HMM_SETUP).toBe('npm run kernel-check:setup -- --hmm');
  });

  it('the guest replayer\'s vendored test_hmm ioctls match the built kernel\'s uapi header (when cached)', (ctx) => {
    const found = resolveHmmKernel();
    if (!('kernel' in found)) return ctx.skip(`no hmm kernel cached: ${found.missing}`);
    const header = readFileSync(found.kernel.uapiHeader, 'utf8');
    const guest = readFileSync(join(import.meta.dirname, '../../src/kernel-check/guest/hmm.c'), 'utf8');
    for (const name of ['READ', 'WRITE', 'MIGRATE_TO_DEV', 'MIGRATE_TO_SYS', 'SNAPSHOT']) {
      const def = (text: string) => new RegExp(`#define\\s+HMM_DMIRROR_${name}\\s+(_IOWR\\([^)]*\\))`).exec(text)?.[1].replace(/\s+/g, '');
      expect(def(guest), name).toBe(def(header));
    }
    expect(header.replace(/\s+/g, ' ')).toContain('__u64 addr; __u64 ptr; __u64 npages; __u64 cpages; __u64 faults;');
    expect(existsSync(found.kernel.module)).toBe(true);
  });
});
