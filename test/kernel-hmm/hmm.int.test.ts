// `npm run test:kernel-hmm`: the hmm backend's private and coherent-6x variants against test_hmm on
// the custom 6.12 (`npm run kernel-check:setup -- --hmm`, about 7 minutes once). Each scenario of
// scenarios.json boots once per variant (a second time when a value is outside its tolerance,
// runKernelCheckConfirmed). Opt-in, not in `npm test`, `npm run test:kernel` or CI: the kernel build
// is too slow for the 45-minute CI budget. Skips with the reason when the hmm kernel is not cached.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { runKernelCheckConfirmed } from '../../src/kernel-check/check.js';
import { HMM_VARIANTS } from '../../src/kernel-check/hmm-machine.js';
import { checkPrerequisites } from '../../src/kernel-check/prereqs.js';
import { renderCheckMarkdown } from '../../src/kernel-check/table.js';

interface Scenario { name: string; trace: string; covers: string; known: Record<string, string> }

const SUITE = import.meta.dirname;
const suite = JSON.parse(readFileSync(join(SUITE, 'scenarios.json'), 'utf8')) as { config: string; scenarios: Scenario[] };
const missing = checkPrerequisites({ kernel: 'hmm' }).missing;
if (missing.length) console.warn(`SKIPPED hmm kernel suite: ${missing.map((m) => `${m.what} (${m.install})`).join('; ')}`);

const cases = suite.scenarios.flatMap((s) => HMM_VARIANTS.map((v) => [`${s.name} (${v})`, s, v] as const));

describe.skipIf(missing.length > 0)('hmm simulator vs test_hmm on the custom 6.12', () => {
  it.each(cases)('%s', async (_name, s, variant) => {
    const { config, warnings } = loadConfig({ configFile: join(SUITE, suite.config) });
    const res = await runKernelCheckConfirmed({ tracePath: join(SUITE, s.trace), config, kernel: 'hmm', hmmVariant: variant, known: s.known, warnings });
    for (const w of res.warnings.filter((x) => x.startsWith('attempt '))) console.warn(`${s.name} ${variant}: ${w}`);
    // CDM_KERNEL_DUMP=DIR keeps each run's observation and Markdown table (docs/fidelity.md is made from them).
    if (process.env.CDM_KERNEL_DUMP) {
      writeFileSync(join(process.env.CDM_KERNEL_DUMP, `${s.name}.${variant}.json`), JSON.stringify(res.observation, null, 1));
      writeFileSync(join(process.env.CDM_KERNEL_DUMP, `${s.name}.${variant}.md`), renderCheckMarkdown(res));
    }
    const bad = res.rows.filter((r) => r.status === 'FAIL').map((r) => `${r.id}: kernel ${r.kernel}, simulator ${r.simulator}, expected ${r.expected} ${r.allowed}`);
    console.log(`${s.name} ${variant}: ${res.summary.ok} ok, ${res.summary.known} known, guest ${res.kernel.wall_ms} ms`);
    expect(bad).toEqual([]);
    expect(Object.keys(s.known).filter((id) => !res.rows.some((r) => r.id === id))).toEqual([]);
  });
});
