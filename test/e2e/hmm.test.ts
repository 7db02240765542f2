// End-to-end: the `hmm` backend through the built CLI — unsupported ops warned once on stderr,
// `--strict` exits 2, `backends` documents it (DESIGN §3, §5).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/cdm-replay.js');
const dir = mkdtempSync(join(tmpdir(), 'cdm-e2e-hmm-'));
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const tracePath = join(dir, 'mbind-dev.csv');
writeFileSync(tracePath, [
  'op,addr,len,agent,policy,nodes,kind',
  'mmap,0x7f0000000000,1048576,cpu0,,,anon',
  'mbind,0x7f0000000000,1048576,cpu0,bind,0-1,',
  'mbind,0x7f0000000000,1048576,cpu0,bind,0-1,',
  'write,0x7f0000000000,1048576,cpu0,,,',
  'migrate,0x7f0000000000,1048576,dev0,,1,',
  '',
].join('\n'));

describe('cdm-replay --backend hmm', () => {
  it('counts an mbind naming the device, warns once on stderr and replays on', () => {
    const r = cli([tracePath, '--backend', 'numa,hmm', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.err.match(/warning: backend hmm: .*mbind-dev\.csv:3: mbind/g)).toHaveLength(1);
    const report = JSON.parse(r.out);
    const hmm = report.backends.find((b: { label: string }) => b.label === 'hmm');
    expect(hmm.unsupported).toEqual({ mbind: 2 });
    expect(hmm.migrations.to_device).toBe(256);
    expect(hmm.vmstat.pgmigrate_success).toBe(0);
  });

  it('--strict exits 2 naming file:line and the op', () => {
    const r = cli([tracePath, '--backend', 'numa,hmm', '--strict']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/mbind-dev\.csv:3: mbind .*backend hmm cannot express it \(--strict\)/);
    expect(r.out).toBe('');
    expect(cli([tracePath, '--backend', 'numa', '--strict']).code).toBe(0);
  });

  it('`backends` lists hmm with its variants and knobs', () => {
    const out = cli(['backends']).out;
    expect(out).toContain('hmm (kernel rules: 4.11)');
    for (const s of ['public-2017 (default)', 'private:', 'coherent-6x:', 'deviceFirstTouch', 'evict', 'faultBackPages', 'hostNode']) {
      expect(out).toContain(s);
    }
  });
});
