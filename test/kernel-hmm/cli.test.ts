// `cdm-replay kernel-check --kernel hmm` without a kernel: usage errors, ops test_hmm cannot express,
// and the missing custom kernel, each one line (or the prerequisite list) with exit 2.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/cdm-replay.js');
const MACHINE = join(import.meta.dirname, 'machine.yaml');
const TRACE = join(import.meta.dirname, 'migrate-roundtrip.csv');
const dir = mkdtempSync(join(tmpdir(), 'cdm-hmm-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(trace: string, args: string[]) {
  const env: Record<string, string | undefined> = { ...process.env, CDM_REPLAY_CACHE: join(dir, 'empty-cache') };
  delete env.FORCE_COLOR;
  const r = spawnSync(process.execPath, [BIN, 'kernel-check', trace, '--config', MACHINE, ...args], { encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('cdm-replay kernel-check --kernel hmm (no kernel)', () => {
  it('names the opt-in setup when the hmm kernel is not built (exit 2)', () => {
    const r = cli(TRACE, ['--kernel', 'hmm', '--hmm-variant', 'private']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/the hmm kernel: no hmm kernel built .*: npm run kernel-check:setup -- --hmm/);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses an op test_hmm cannot express before booting, in one line (exit 2)', () => {
    const t = join(dir, 'mbind-dev.csv');
    writeFileSync(t, 'op,addr,len,agent,kind,policy,nodes\nmmap,0x7f0000000000,16384,cpu0,anon,,\nmbind,0x7f0000000000,16384,cpu0,,bind,1\n');
    const r = cli(t, ['--kernel', 'hmm']);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n').filter((l) => !l.startsWith('warning') && !/^backend /.test(l)).at(-1))
      .toMatch(/mbind-dev\.csv:3: column "nodes": mbind names device node 1: under hmm device memory is not a NUMA node/);
  });

  it('checks its options: --hmm-variant needs --kernel hmm and a known variant (exit 2)', () => {
    expect(cli(TRACE, ['--hmm-variant', 'private']).err).toMatch(/--hmm-variant needs --kernel hmm/);
    const r = cli(TRACE, ['--kernel', 'hmm', '--hmm-variant', 'public-2017']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown --hmm-variant "public-2017" \(known: private, coherent-6x\)/);
  });
});
