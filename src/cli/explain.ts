// `cdm-replay explain <trace> --page ADDR [--range ...]`: the life of a page under each backend.
import type { Command } from 'commander';
import { parseBackendList } from '../backends/registry.js';
import { loadConfig } from '../config/index.js';
import { replay } from '../engine/replay.js';
import { ExitCode, UsageError } from '../errors.js';
import { emit } from './main.js';

interface ExplainOptions {
  page?: string; range?: string; pid: string; backend: string; preset?: string; config?: string; set: string[];
  format: string; out?: string; inputFormat?: string;
}

/** Parses 0x-hex or decimal; exact to 2^53 bytes is plenty for a page number after division. */
function parseAddr(text: string, flag: string): bigint {
  try {
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(text)) throw new Error();
    return BigInt(text);
  } catch {
    throw new UsageError(`${flag}: "${text}" is not an address (expected 0x-hex or decimal)`);
  }
}

export function registerExplain(program: Command, setExit: (code: number) => void): void {
  program
    .command('explain <trace>')
    .description('the life of one page (or a range) under each backend: allocation and why, touches, migrations, reclaim, final state, observables')
    .option('--page <addr>', 'a virtual address inside the page')
    .option('--range <from-to|from+len>', 'an address range (at most 64 pages are shown in detail)')
    .option('--pid <n>', 'process', '1')
    .option('-b, --backend <list>', 'backends', 'all')
    .option('-p, --preset <name>', 'machine preset')
    .option('-c, --config <file>', 'scenario config')
    .option('-s, --set <key=value>', 'config override (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('-f, --format <fmt>', 'text | json', 'text')
    .option('-o, --out <file>', 'write to a file')
    .option('--input-format <fmt>', 'trace format')
    .action(async (trace: string, o: ExplainOptions) => {
      if (!o.page === !o.range) throw new UsageError('explain: give exactly one of --page ADDR or --range FROM-TO');
      const pid = Number(o.pid);
      if (!Number.isInteger(pid) || pid < 0) throw new UsageError(`--pid: "${o.pid}" is not a process id`);
      const { config, warnings } = loadConfig({ preset: o.preset, configFile: o.config, sets: o.set });
      const ps = BigInt(config.pageSize);
      let lo: bigint, hi: bigint;
      if (o.page) {
        lo = parseAddr(o.page, '--page') / ps;
        hi = lo + 1n;
      } else {
        const m = /^(.+?)([-+])(.+)$/.exec(o.range!);
        if (!m) throw new UsageError(`--range: "${o.range}" is not FROM-TO or FROM+LEN`);
        const a = parseAddr(m[1], '--range'), b = parseAddr(m[3], '--range');
        lo = a / ps;
        hi = m[2] === '+' ? (a + b + ps - 1n) / ps : (b + ps - 1n) / ps;
        if (hi <= lo) throw new UsageError(`--range: "${o.range}" is empty`);
      }
      for (const w of warnings) process.stderr.write(`cdm-replay: warning: ${w}\n`);
      const report = await replay({
        tracePath: trace, config, presetName: config.preset ?? o.preset ?? 'custom', backends: parseBackendList(o.backend),
        inputFormat: o.inputFormat, warnings, watch: { pid, lo: Number(lo), hi: Number(hi) },
      });
      const sections = report.backends.map((b) => ({ ...(b as unknown as { explain: ExplainSection }).explain, label: b.label }));
      if (o.format === 'json') emit(`${JSON.stringify({ schema: 'cdm-replay/explain@1', trace: report.trace, backends: sections }, null, 2)}\n`, o.out);
      else if (o.format === 'text') emit(renderText(sections), o.out);
      else throw new UsageError(`explain: unknown format "${o.format}" (known: text, json)`);
      setExit(ExitCode.ok);
    });
}

interface ExplainSection {
  label: string;
  range: { pid: number; from: string; to: string };
  touches: Record<string, number>;
  first_touch_ns: number;
  last_touch_ns: number;
  events: { t: number; what: string; page: string; detail: Record<string, unknown> }[];
  final: Record<string, unknown>[];
}

const ms = (ns: number) => `${(ns / 1e6).toFixed(3)} ms`;
const kv = (d: Record<string, unknown>) => Object.entries(d).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ');

function renderText(sections: ExplainSection[]): string {
  const out: string[] = [];
  for (const s of sections) {
    out.push(`== ${s.label}: pid ${s.range.pid}, ${s.range.from} .. ${s.range.to}`);
    const touches = Object.entries(s.touches);
    out.push(touches.length
      ? `touched by ${touches.map(([a, n]) => `${a} ×${n}`).join(', ')} between ${ms(s.first_touch_ns)} and ${ms(s.last_touch_ns)}`
      : 'never touched');
    for (const e of s.events) out.push(`  ${ms(e.t).padStart(14)}  ${e.page}  ${e.what.padEnd(14)} ${kv(e.detail)}`);
    if (!s.events.length) out.push('  (no allocation, migration or reclaim event)');
    out.push('  final:');
    for (const f of s.final) out.push(`    ${kv(f)}`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
