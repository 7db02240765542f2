import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveKernel } from '../../src/kernel-check/paths.js';
import { checkPrerequisites, isStaticElf } from '../../src/kernel-check/prereqs.js';

const dir = mkdtempSync(join(tmpdir(), 'cdm-prereq-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('prerequisites', () => {
  it('names each missing piece with the command that installs it', () => {
    const { missing } = checkPrerequisites({ env: { PATH: '', CDM_REPLAY_CACHE: join(dir, 'none') } });
    const what = missing.map((m) => m.what);
    expect(what).toContain('qemu-system-x86_64');
    expect(what).toContain('gcc');
    expect(what.some((w) => w.startsWith('kernel image "debian-6.12"'))).toBe(true);
    for (const m of missing) expect(m.install).toMatch(/npm run kernel-check:setup|--kernel/);
    expect(missing.find((m) => m.what === 'qemu-system-x86_64')?.install).toContain('apt-get install -y qemu-system-x86');
  });

  it('tells a dynamic executable from a static one', () => {
    expect(isStaticElf(process.execPath)).toBe(false); // node needs ld.so
    expect(isStaticElf(join(dir, 'nothing'))).toBe(false);
  });

  it('resolves debian-6.12 to the recorded default, then the pinned, then the newest cached 6.12', () => {
    const env = { CDM_REPLAY_CACHE: dir };
    const k = join(dir, 'kernel');
    mkdirSync(k, { recursive: true });
    expect(resolveKernel('debian-6.12', env)).toBeNull();
    writeFileSync(join(k, 'vmlinuz-6.12.99+deb12-amd64'), '');
    writeFileSync(join(k, 'vmlinuz-6.12.120+deb12-amd64'), '');
    expect(resolveKernel(undefined, env)?.version).toBe('6.12.120+deb12-amd64');
    writeFileSync(join(k, 'vmlinuz-6.12.117+deb12-amd64'), '');
    expect(resolveKernel(undefined, env)?.version).toBe('6.12.117+deb12-amd64');
    writeFileSync(join(k, 'DEFAULT'), '6.12.99+deb12-amd64\n');
    expect(resolveKernel('debian-6.12', env)?.version).toBe('6.12.99+deb12-amd64');
    expect(resolveKernel('6.12.120+deb12-amd64', env)?.path).toBe(join(k, 'vmlinuz-6.12.120+deb12-amd64'));
    expect(resolveKernel('/no/such/bzImage', env)).toBeNull();
  });
});
