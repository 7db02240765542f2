// `cdm-replay gen`: every workload is deterministic, valid trace@1 and does what it says.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { WORKLOADS } from '../../src/gen/workloads.js';

const BIN = join(import.meta.dirname, '../../bin/cdm-replay.js');
const dir = mkdtempSync(join(tmpdir(), 'cdm-gen-'));
const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

describe('cdm-replay gen', () => {
  for (const w of WORKLOADS) {
    it(`${w.name}: same seed, same bytes; replays on every backend`, () => {
      const a = join(dir, `${w.name}-a.csv.gz`), b = join(dir, `${w.name}-b.csv`);
      expect(cli(['gen', w.name, '--events', '3000', '--pages', '600', '--seed', '7', '--out', a]).status).toBe(0);
      expect(cli(['gen', w.name, '--events', '3000', '--pages', '600', '--seed', '7', '--out', b]).status).toBe(0);
      expect(gunzipSync(readFileSync(a)).toString()).toBe(readFileSync(b, 'utf8'));
      const r = cli([a, '--backend', 'all', '--format', 'json']);
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.trace.accesses).toBeGreaterThanOrEqual(3000);
      const devAccesses = report.backends[0].placement.remote_accesses_by_agent.dev0?.accesses ?? 0;
      if (['phase-shift', 'producer-consumer', 'oversubscribe'].includes(w.name)) expect(devAccesses).toBeGreaterThan(0);
      else expect(devAccesses).toBe(0);
    });
  }

  it('a different seed changes a random workload', () => {
    const a = cli(['gen', 'random', '--events', '200', '--seed', '1']).stdout;
    const b = cli(['gen', 'random', '--events', '200', '--seed', '2']).stdout;
    expect(a).not.toBe(b);
  });

  it('rejects an unknown workload with exit 2', () => {
    const r = cli(['gen', 'nope']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown workload');
  });
});
