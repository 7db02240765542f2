// One measured replay in a fresh process, so peak RSS belongs to this replay alone.
// argv: trace backendList [--set k=v ...]; prints one JSON line.
import { performance } from 'node:perf_hooks';
import { loadConfig, parseBackendList, replay } from '../dist/index.js';

const [trace, backends, ...rest] = process.argv.slice(2);
const sets = [];
for (let i = 0; i < rest.length; i += 2) if (rest[i] === '--set') sets.push(rest[i + 1]);
const { config } = loadConfig({ preset: 'two-node', sets });
const t0 = performance.now();
const report = await replay({ tracePath: trace, config, presetName: 'two-node', backends: parseBackendList(backends) });
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({
  events: report.trace.events,
  ms,
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
  resident: report.backends.map((b) => b.accounting.resident_pages),
}) + '\n');
