// Markdown renderer: GitHub-flavoured, to paste into a pull-request comment. The same rows and
// best/worst judgement as the table (rows.ts), one table per section, backends as columns. Marks
// are emoji after the value (✅ best, ⚠️ worst): they survive notification e-mails and plain-text
// views where bold and italics are lost, and they need no colour.
import { formatDurationNs, formatInt } from './format.js';
import { buildSections, type Cell } from './rows.js';
import type { Report } from './schema.js';

export const MD_BEST = '✅';
export const MD_WORST = '⚠️';

export function renderMarkdown(report: Report): string {
  const t = report.trace;
  const compared = report.backends.length > 1;
  const machine = report.machine.nodes.map((n) => `node ${n.id} ${n.kind} ${formatInt(n.capacity_pages)} pages`).join(', ');
  const out: string[] = [
    `### ${escapeText(report.tool.name)} ${escapeText(report.tool.version)} report`,
    '',
    `- **trace** ${code(t.path)} (${t.format}), sha256 ${code(t.sha256.slice(0, 12))}`,
    `- **events** ${formatInt(t.events)} (${formatInt(t.accesses)} accesses, ${formatInt(t.pages_touched)} pages touched, ${formatDurationNs(t.duration_ns)} of trace time)`,
    `- **preset** ${code(report.machine.preset)}: ${machine}`,
    '',
  ];
  if (compared) {
    out.push(`${MD_BEST} best, ${MD_WORST} worst across backends on rows where lower is better (${code('rss_drift_pages')} by absolute value); cost figures are model estimates.`, '');
  }
  for (const section of buildSections(report)) {
    out.push(`#### ${escapeText(section.title)}`, '');
    out.push(tableRow(['metric', ...report.backends.map((b) => escapeText(b.label))]));
    out.push(tableRow(['---', ...report.backends.map(() => '---:')]));
    for (const row of section.rows) out.push(tableRow([code(row.label), ...row.cells.map(showCell)]));
    out.push('');
  }
  if (report.warnings.length > 0) {
    out.push('**Warnings**', '', ...report.warnings.map((w) => `- ${escapeText(w)}`), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function showCell(cell: Cell): string {
  const text = escapeText(cell.text);
  return cell.mark === 'best' ? `${text} ${MD_BEST}` : cell.mark === 'worst' ? `${text} ${MD_WORST}` : text;
}

const tableRow = (cells: string[]): string => `| ${cells.join(' | ')} |`;

/** Text in a table cell or list: pipes would split the cell; *, _, `, [ and < would start markup. */
export function escapeText(s: string): string {
  return s.replace(/[\\|*_`<[\]]/g, (c) => `\\${c}`);
}

/** A code span; pipes are still escaped because GFM splits table cells before parsing spans. */
export function code(s: string): string {
  const fence = s.includes('`') ? '``' : '`';
  const pad = s.includes('`') ? ' ' : '';
  return `${fence}${pad}${s.replace(/\|/g, '\\|')}${pad}${fence}`;
}
