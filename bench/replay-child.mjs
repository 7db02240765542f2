// One measured replay in a fresh process, so peak RSS belongs to this replay alone.
// argv: trace backendList [--set k=v ...] [--input-format NAME] [--trace-options JSON] [--threads N|auto]
// (JSON: the reader options of src/trace/events.ts ReadOptions, with `agent` as a list of
// --agent rules). Prints one JSON line: events, ms, maxRssBytes, resident pages per backend,
// the trace format and skipped counts the reader reported, and the replay's warnings.
import { performance } from 'node:perf_hooks';
import { loadConfig, parseBackendList, replay } from '../dist/index.js';
import { parseAgentMap } from '../dist/trace/agent-map.js';

const [trace, backends, ...rest] = process.argv.slice(2);
const sets = [];
let inputFormat;
let traceOptions;
let threads;
for (let i = 0; i < rest.length; i += 2) {
  if (rest[i] === '--set') sets.push(rest[i + 1]);
  else if (rest[i] === '--input-format') inputFormat = rest[i + 1];
  else if (rest[i] === '--threads') threads = rest[i + 1] === 'auto' ? 'auto' : Number(rest[i + 1]);
  else if (rest[i] === '--trace-options') {
    const { agent, ...o } = JSON.parse(rest[i + 1]);
    traceOptions = { ...o, ...(agent ? { agentMap: parseAgentMap(agent) } : {}) };
  } else throw new Error(`replay-child: unknown argument ${rest[i]}`);
}
const { config } = loadConfig({ preset: 'two-node', sets });
const warnings = [];
const t0 = performance.now();
const report = await replay({
  tracePath: trace, config, presetName: 'two-node', backends: parseBackendList(backends), inputFormat, traceOptions, threads,
  onWarning: (w) => warnings.push(w),
});
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({
  events: report.trace.events,
  ms,
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
  resident: report.backends.map((b) => b.accounting.resident_pages),
  format: report.trace.format,
  skipped: report.trace.skipped,
  warnings: [...new Set([...warnings, ...report.warnings])],
}) + '\n');
