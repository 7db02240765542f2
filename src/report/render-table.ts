// Terminal table: a header block about the trace and machine, then the backends side by side.
// All colour comes from the Colour passed in; cli-table3's own styling is switched off because it
// colours through its own library, which would ignore NO_COLOR and colour pipes.
import Table from 'cli-table3';
import type { Colour } from './colour.js';
import { formatDurationNs, formatInt } from './format.js';
import { buildSections, type Cell } from './rows.js';
import type { Report } from './schema.js';

export interface TableOptions {
  colour: Colour;
}

/** Markers used instead of colour, so judgement survives a pipe or a monochrome terminal. */
export const BEST_MARK = '*';
export const WORST_MARK = '!';

export function renderTable(report: Report, { colour }: TableOptions): string {
  const c = colour.chalk;
  const n = report.backends.length;
  const compared = n > 1;

  const table = new Table({
    head: [c.bold('metric'), ...report.backends.map((b) => c.bold(b.label))],
    colAligns: ['left', ...report.backends.map(() => 'right' as const)],
    // compact: no rule between rows; sections are told apart by their title rows
    style: { head: [], border: [], compact: true },
  });
  for (const section of buildSections(report)) {
    table.push([{ colSpan: n + 1, content: c.bold(section.title) }]);
    for (const row of section.rows) {
      table.push([`  ${row.label}`, ...row.cells.map((cell) => showCell(cell, colour, compared))]);
    }
  }

  const out = [...headerBlock(report, colour), table.toString()];
  if (compared) out.push(legend(colour));
  for (const w of report.warnings) out.push(`${c.yellow('warning:')} ${w}`);
  return `${out.join('\n')}\n`;
}

function showCell(cell: Cell, colour: Colour, compared: boolean): string {
  if (colour.enabled) {
    if (cell.mark === 'best') return colour.chalk.green(cell.text);
    if (cell.mark === 'worst') return colour.chalk.red(cell.text);
    return cell.text;
  }
  if (!compared) return cell.text;
  // Every cell gets a two-character suffix so digits stay aligned whether marked or not.
  const suffix = cell.mark === 'best' ? BEST_MARK : cell.mark === 'worst' ? WORST_MARK : ' ';
  return `${cell.text} ${suffix}`;
}

function legend(colour: Colour): string {
  const { green, red } = colour.chalk;
  const marks = colour.enabled ? `${green('green')} best, ${red('red')} worst` : `${BEST_MARK} best, ${WORST_MARK} worst`;
  return `${marks} across backends on rows where lower is better (rss_drift_pages by absolute value); cost is a model estimate.`;
}

function headerBlock(report: Report, colour: Colour): string[] {
  const t = report.trace;
  const lines: [string, string][] = [
    ['trace', `${t.path} (${t.format}, sha256 ${t.sha256.slice(0, 12)})`],
    ['events', `${formatInt(t.events)} events, ${formatInt(t.accesses)} accesses, ${formatInt(t.pages_touched)} pages touched, duration ${formatDurationNs(t.duration_ns)}`],
  ];
  if (t.start_time !== null) lines.push(['start', t.start_time]);
  const skipped = Object.entries(t.skipped).filter(([, v]) => v > 0);
  if (skipped.length > 0) lines.push(['skipped', skipped.map(([k, v]) => `${k} ${formatInt(v)}`).join(', ')]);
  const nodes = report.machine.nodes.map((nd) => `node ${nd.id} ${nd.kind} ${formatInt(nd.capacity_pages)} pages`).join(', ');
  lines.push(['machine', `${report.machine.preset}: ${nodes}`]);
  const width = Math.max(...lines.map(([k]) => k.length)) + 2;
  // Pad before colouring: escape codes would throw the padding off.
  return lines.map(([k, v]) => `${colour.chalk.bold(k.padEnd(width))}${v}`);
}
