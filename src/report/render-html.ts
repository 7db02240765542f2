// HTML renderer: one self-contained page (no network request of any kind, system fonts only) with
// the comparison table of the table format, the backends' timelines as charts side by side on a
// shared time axis, the placement heatmaps, the accounting views beside the truth, and the
// configuration and provenance. The charting library (Apache ECharts) and the data are inlined;
// a Content-Security-Policy allows only the page's own two scripts (by hash) and no fetches.
import { createHash } from 'node:crypto';
import { formatDurationNs, formatInt } from './format.js';
import { chartLibrary } from './html-assets.js';
import { CLIENT_JS } from './html-client.js';
import { escapeHtml as e, jsonForScript } from './html-escape.js';
import { PAGE_CSS } from './html-style.js';
import { buildSections, type Cell } from './rows.js';
import type { Report } from './schema.js';

/** The charts drawn per backend, in page order: element id prefix, heading, what it shows. */
export const CHARTS = [
  ['resident', 'Resident pages per node', 'Pages allocated on each node at the end of each time bucket, stacked; same scale in every panel.'],
  ['migrations', 'Migrations by trigger', 'Pages migrated per time bucket, stacked by trigger; ping-pong (a page returning to a node it left within metrics.pingPongNs) in red, failed moves dashed.'],
  ['heatmap', 'Placement heatmap', 'Address regions (rows, in address order; gaps between mappings left out) over time; colour is the node holding most of the region\'s pages at the end of the bucket.'],
  ['accounting', 'What the kernel shows beside the truth', 'Resident pages (the truth, thick black) against VmRSS, smaps Rss, numa_maps and memory.current over time (KERNEL-MODEL §8 row 9).'],
  ['activity', 'Remote accesses, faults, reclaim and OOM', 'Per time bucket; OOM kills as red triangles (right axis).'],
] as const;

export function renderHtml(report: Report): string {
  const lib = chartLibrary();
  const t = report.trace;
  const first = report.backends.find((b) => b.timeline)?.timeline;
  const axisEnd = Math.max(t.duration_ns, ...report.backends.map((b) => (b.timeline ? b.timeline.buckets.length * b.timeline.bucket_ns : 0)));
  const data = {
    duration_ns: t.duration_ns,
    axis_end_ns: first ? axisEnd : t.duration_ns,
    nodes: report.machine.nodes.map((n) => ({ id: n.id, kind: n.kind })),
    backends: report.backends.map((b) => ({ label: b.label, timeline: b.timeline ?? null })),
  };
  const scripts = [lib.code, CLIENT_JS];
  const hashes = scripts.map((s) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`).join(' ');
  const csp = `default-src 'none'; script-src ${hashes}; style-src 'unsafe-inline'; img-src data:; font-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'`;
  const title = `cdm-replay: ${t.path}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${e(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(title)}</title>`,
    `<style>${PAGE_CSS}</style>`,
    '</head>',
    '<body>',
    `<header><h1>${e(report.tool.name)} report</h1><p class="sub">${e(t.path)} · ${report.backends.map((b) => e(b.label)).join(' · ')}</p></header>`,
    provenance(report),
    comparison(report),
    first ? charts(report) : '<section><h2>Timeline</h2><p class="note">This report has no timeline: replay with <code>--format html</code> or <code>--timeline</code> to get the charts.</p></section>',
    configuration(report),
    warnings(report),
    `<footer><p>Charts drawn with ${e(lib.name)} ${e(lib.version)} (${e(lib.licence)}), inlined in this file.</p>`,
    `<details><summary>${e(lib.name)} licence and notice</summary><pre>${e(lib.notice)}</pre></details>`,
    `<p>Written by ${e(report.tool.name)} ${e(report.tool.version)}.</p></footer>`,
    `<script type="application/json" id="cdm-data">${jsonForScript(data)}</script>`,
    ...scripts.map((s) => `<script>${s}</script>`),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function provenance(report: Report): string {
  const t = report.trace;
  const rows: [string, string][] = [
    ['trace', t.path],
    ['format', t.format],
    ['events', `${formatInt(t.events)} events, ${formatInt(t.accesses)} accesses, ${formatInt(t.pages_touched)} pages touched`],
    ['duration', formatDurationNs(t.duration_ns)],
    ['sha256', t.sha256],
  ];
  if (t.start_time !== null) rows.push(['start time', t.start_time]);
  const skipped = Object.entries(t.skipped).filter(([, v]) => v > 0);
  if (skipped.length > 0) rows.push(['skipped', skipped.map(([k, v]) => `${k} ${formatInt(v)}`).join(', ')]);
  rows.push(['machine', `${report.machine.preset}: ${report.machine.nodes.map((n) => `node ${n.id} ${n.kind} ${formatInt(n.capacity_pages)} pages`).join(', ')}`]);
  const tl = report.backends.find((b) => b.timeline)?.timeline;
  if (tl) rows.push(['timeline', `${tl.buckets.length} buckets of ${formatDurationNs(tl.bucket_ns)}; heatmap rows of ${formatInt(tl.heatmap.region_pages)} pages`]);
  return `<section id="provenance"><h2>Trace and machine</h2><dl>${rows.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('')}</dl></section>`;
}

function comparison(report: Report): string {
  const compared = report.backends.length > 1;
  const head = `<tr><th>metric</th>${report.backends.map((b) => `<th>${e(b.label)}</th>`).join('')}</tr>`;
  const body = buildSections(report).map((s) =>
    `<tr class="section"><th colspan="${report.backends.length + 1}">${e(s.title)}</th></tr>` +
    s.rows.map((r) => `<tr><td><code>${e(r.label)}</code></td>${r.cells.map((c) => cell(c, compared)).join('')}</tr>`).join(''),
  ).join('\n');
  const legend = compared
    ? '<p class="note"><span class="best">* best</span>, <span class="worst">! worst</span> across backends on rows where lower is better (rss_drift_pages by absolute value); cost is a model estimate.</p>'
    : '';
  return `<section id="comparison"><h2>Comparison</h2>${legend}<table class="cmp">\n<thead>${head}</thead>\n<tbody>${body}</tbody></table></section>`;
}

function cell(c: Cell, compared: boolean): string {
  if (!compared || c.mark === null) return `<td>${e(c.text)}</td>`;
  return c.mark === 'best' ? `<td class="best" title="best">${e(c.text)} *</td>` : `<td class="worst" title="worst">${e(c.text)} !</td>`;
}

function charts(report: Report): string {
  return CHARTS.map(([id, heading, note]) => {
    const panels = report.backends.map((b, i) =>
      `<div class="panel"><h3>${e(b.label)}</h3>${b.timeline ? `<div class="chart" id="chart-${id}-${i}" data-kind="${id}"></div>` : '<p class="note">no timeline</p>'}${id === 'accounting' ? accountingEnd(b) : ''}</div>`,
    ).join('');
    return `<section id="${id}"><h2>${e(heading)}</h2><p class="note">${e(note)}</p><div class="panels">${panels}</div></section>`;
  }).join('\n');
}

/** End-of-trace accounting (report values, exited processes included) with the drift. */
function accountingEnd(b: Report['backends'][number]): string {
  const a = b.accounting;
  const rows: [string, number][] = [
    ['resident (truth)', a.resident_pages], ['VmRSS', a.vmrss_pages], ['smaps Rss', a.smaps_rss_pages],
    ['numa_maps', a.numa_maps_pages], ['memory.current', memoryCurrent(a.memcg)],
  ];
  const drift = (v: number) => (v === a.resident_pages ? '' : ` <span class="drift">(${v > a.resident_pages ? '+' : ''}${formatInt(v - a.resident_pages)})</span>`);
  return `<table class="acct"><caption>at the end of the trace (pages)</caption>${rows.map(([k, v], i) => `<tr><th>${e(k)}</th><td>${formatInt(v)}${i > 0 ? drift(v) : ''}</td></tr>`).join('')}</table>`;
}

/** memory.current of the root cgroup when listed, else summed over the top-level cgroups. */
function memoryCurrent(memcg: { path: string; current_pages: number }[]): number {
  const root = memcg.find((g) => g.path === '/');
  return root ? root.current_pages : memcg.filter((g) => g.path.lastIndexOf('/') === 0).reduce((s, g) => s + g.current_pages, 0);
}

function configuration(report: Report): string {
  const perBackend = report.backends.map((b) => `<h3>${e(b.label)}</h3><p class="note">${e(b.description)}</p><pre>${e(JSON.stringify(b.config, null, 2))}</pre>`).join('');
  return `<section id="config"><h2>Effective configuration</h2><pre>${e(JSON.stringify(report.config, null, 2))}</pre><details><summary>per backend</summary>${perBackend}</details></section>`;
}

function warnings(report: Report): string {
  if (report.warnings.length === 0) return '';
  return `<section id="warnings"><h2>Warnings</h2><ul>${report.warnings.map((w) => `<li>${e(w)}</li>`).join('')}</ul></section>`;
}
