// The fidelity suite under `npm run test:kernel`: every scenario of test/fidelity/scenarios.json
// through kernel-check (one boot each, about 4-10 s; a second one when the first shows a value
// outside its tolerance or crashed, runKernelCheckConfirmed), failing on any observable outside
// its tolerance. Known divergences (listed with their reason in scenarios.json and docs/fidelity.md)
// are reported, not failed. Skips when qemu or the kernel is missing; fails instead when CI=true.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { runKernelCheckConfirmed } from '../../src/kernel-check/check.js';
import { checkPrerequisites } from '../../src/kernel-check/prereqs.js';

interface Scenario {
  name: string;
  trace: string;
  covers: string;
  sets: string[];
  pace?: boolean;
  known: Record<string, string>;
}

const SUITE = join(import.meta.dirname, '../fidelity');
const suite = JSON.parse(readFileSync(join(SUITE, 'scenarios.json'), 'utf8')) as { config: string; scenarios: Scenario[] };
const missing = checkPrerequisites().missing;
const skip = missing.length > 0 && process.env.CI !== 'true';
if (skip) console.warn(`SKIPPED fidelity suite: ${missing.map((m) => `${m.what} (${m.install})`).join('; ')}`);

describe.skipIf(skip)('fidelity suite: mainline simulator vs Debian 6.12 (docs/fidelity.md)', () => {
  it.each(suite.scenarios.map((s) => [s.name, s] as const))('%s', async (_name, s) => {
    const { config, warnings } = loadConfig({ configFile: join(SUITE, suite.config), sets: s.sets });
    const res = await runKernelCheckConfirmed({ tracePath: join(SUITE, s.trace), config, pace: s.pace, known: s.known, warnings });
    for (const w of res.warnings.filter((x) => x.startsWith('attempt '))) console.warn(`${s.name}: ${w}`);
    if (process.env.CDM_KERNEL_DUMP) writeFileSync(join(process.env.CDM_KERNEL_DUMP, `${s.name}.json`), JSON.stringify(res.observation, null, 1));
    const bad = res.rows.filter((r) => r.status === 'FAIL').map((r) => `${r.id}: kernel ${r.kernel}, simulator ${r.simulator}, expected ${r.expected} ${r.allowed}`);
    const stale = res.rows.filter((r) => r.knownButAgrees).map((r) => r.id);
    if (stale.length) console.warn(`${s.name}: known divergences that now agree (remove them from scenarios.json): ${stale.join(', ')}`);
    console.log(`${s.name}: ${res.summary.ok} ok, ${res.summary.known} known, guest ${res.kernel.wall_ms} ms`);
    expect(bad).toEqual([]);
    // Every known divergence names a real observable of this scenario (a typo would hide nothing).
    expect(Object.keys(s.known).filter((id) => !res.rows.some((r) => r.id === id))).toEqual([]);
  });
});
