// Renderers for a kernel-check result: a terminal table, Markdown (docs/fidelity.md) and JSON.
// Formatting only; the judgement is made in compare.ts.
import Table from 'cli-table3';
import type { Colour } from '../report/colour.js';
import type { KernelCheckResult } from './check.js';
import type { CheckRow } from './compare.js';

const GROUP_TITLES: Record<CheckRow['group'], string> = {
  vmstat: '/proc/vmstat deltas',
  numastat: 'per-node numastat deltas',
  placement: 'trace pages per node at the end',
  device: 'test_hmm devices: pages at the end and driver migrations',
  accounting: 'process accounting',
  memcg: 'memcg (cgroup v2)',
  fallback: 'fallback point (context, not judged)',
};

/** A row's name without its group prefix where the title already says it. */
function label(r: CheckRow): string {
  return r.group === 'vmstat' ? r.id.slice('vmstat.'.length) : r.id;
}

function expectedCell(r: CheckRow): string {
  return r.adjustments.length ? String(r.expected) : '';
}

function header(res: KernelCheckResult): string[] {
  const k = res.kernel;
  const wall = k.wall_ms === null ? '' : `, guest ${(k.wall_ms / 1000).toFixed(1)} s`;
  const nodes = res.machine.nodes.map((n) => `node ${n.id} ${n.kind} ${n.capacity_mib} MiB${n.cpus ? ` ${n.cpus} cpus` : ''}`).join(', ');
  const m = res.mechanisms;
  return [
    `kernel-check: ${res.trace.path} (${res.trace.events} events) — Linux ${k.release} under qemu TCG${wall} vs the ${res.backend} simulator`,
    `machine: ${nodes}; numa_balancing=${k.settings.numa_balancing ?? '?'}, thp=${/\[(\w+)\]/.exec(k.settings.thp ?? '')?.[1] ?? '?'}`,
    `seen: fallback ${m.fallback ? 'yes' : 'no'}, NUMA balancing ${m.numaBalancing ? 'yes' : 'no'}, kswapd/reclaim ${m.kswapd ? 'yes' : 'no'}`,
    ...(res.hmm ? [`test_hmm: ${res.hmm.variant} devices ${res.hmm.devices.join(', ')}; guest ops ${Object.entries(res.hmm.plan).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')}`] : []),
  ];
}

/** Adjustment and known-divergence notes, one line each, numbered as referenced in the table. */
function notes(rows: readonly CheckRow[]): { marks: Map<CheckRow, string>; lines: string[] } {
  const marks = new Map<CheckRow, string>();
  const lines: string[] = [];
  const seen = new Map<string, number>();
  const ref = (text: string): number => {
    if (!seen.has(text)) {
      seen.set(text, seen.size + 1);
      lines.push(`[${seen.size}] ${text}`);
    }
    return seen.get(text)!;
  };
  for (const r of rows) {
    const refs = [...r.adjustments.map((a) => ref(`${a.pages > 0 ? '+' : ''}${a.pages}: ${a.why}`)), ...(r.reason ? [ref(`known divergence: ${r.reason}`)] : [])];
    if (refs.length) marks.set(r, refs.map((n) => `[${n}]`).join(''));
  }
  return { marks, lines };
}

export function renderCheckTable(res: KernelCheckResult, colour: Colour): string {
  const c = colour.chalk;
  const paint = (s: CheckRow['status']): string => (s === 'ok' ? c.green(s) : s === 'FAIL' ? c.red.bold(s) : s === 'known' ? c.yellow(s) : c.dim(s));
  const table = new Table({
    head: ['observable', 'kernel', 'simulator', 'expected', 'tolerance', 'status', ''].map((h) => c.bold(h)),
    colAligns: ['left', 'right', 'right', 'right', 'right', 'left', 'left'],
    style: { head: [], border: [], compact: true },
  });
  const { marks, lines } = notes(res.rows);
  for (const [group, title] of Object.entries(GROUP_TITLES)) {
    const rows = res.rows.filter((r) => r.group === group);
    if (!rows.length) continue;
    table.push([{ colSpan: 7, content: c.bold(title) }]);
    for (const r of rows)
      table.push([`  ${label(r)}`, String(r.kernel), String(r.simulator), expectedCell(r), r.allowed, paint(r.status), marks.get(r) ?? '']);
  }
  const s = res.summary;
  const out = [...header(res), table.toString(), `${s.ok} ok, ${s.failed} FAIL, ${s.known} known divergences, ${s.info} for context`];
  out.push(...lines);
  for (const w of res.warnings) out.push(`${c.yellow('warning:')} ${w}`);
  return `${out.join('\n')}\n`;
}

export function renderCheckMarkdown(res: KernelCheckResult): string {
  const { marks, lines } = notes(res.rows);
  const out = header(res).map((l) => `${l}  `);
  out.push('', '| observable | kernel | simulator | expected | tolerance | status |', '|---|---:|---:|---:|---:|---|');
  for (const [group, title] of Object.entries(GROUP_TITLES)) {
    const rows = res.rows.filter((r) => r.group === group);
    if (!rows.length) continue;
    out.push(`| **${title}** | | | | | |`);
    for (const r of rows) {
      const status = r.status === 'FAIL' ? '**FAIL**' : r.status;
      out.push(`| ${label(r)} | ${r.kernel} | ${r.simulator} | ${expectedCell(r)} | ${r.allowed} | ${status} ${marks.get(r) ?? ''} |`);
    }
  }
  const s = res.summary;
  out.push('', `${s.ok} ok, ${s.failed} FAIL, ${s.known} known divergences, ${s.info} for context.`);
  if (lines.length) out.push('', ...lines.map((l) => `${l}  `));
  return `${out.join('\n')}\n`;
}

/** The JSON form: the result without the raw observation (write that with --save-observation). */
export function renderCheckJson(res: KernelCheckResult): string {
  const { observation: _omit, ...rest } = res;
  return `${JSON.stringify(rest, null, 2)}\n`;
}
