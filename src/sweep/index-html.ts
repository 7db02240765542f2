// `sweep --html` / `merge --html`: OUT/index.html, one small chart per headline metric of
// sweep.csv across the grid (one bar per backend at each trace × grid point), and a table of the
// runs linking each run's files under OUT/runs/ when they exist. Self-contained like the report
// page (ECharts and the data inlined, no request), and deterministic: no timestamps, run order.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chartLibrary } from '../report/html-assets.js';
import { escapeHtml as e, jsonForScript } from '../report/html-escape.js';
import { PAGE_CSS } from '../report/html-style.js';
import { describeParams, expand, runId } from './grid.js';
import { CSV_METRICS, runFile, writeAtomic, type SweepDoc } from './output.js';
import { parseSpec } from './spec.js';

const INDEX_JS = String.raw`
(function () {
  'use strict';
  var d = JSON.parse(document.getElementById('sweep-data').textContent);
  var COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#9c755f'];
  var charts = [];
  d.metrics.forEach(function (m, i) {
    var el = document.getElementById('metric-' + i);
    var points = 0;
    var series = d.backends.map(function (b, k) {
      return {
        name: b, type: 'bar', color: COLOURS[k % COLOURS.length],
        data: d.points.map(function (_p, j) { var v = d.values[i][j][k]; if (v !== null) points++; return v; })
      };
    });
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption({
      animation: false,
      title: { text: m, left: 'center', textStyle: { fontSize: 12 } },
      grid: { left: 64, right: 12, top: 56, bottom: 64 },
      legend: { top: 24, type: 'scroll', itemWidth: 12, itemHeight: 8, textStyle: { fontSize: 10 } },
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      xAxis: { type: 'category', data: d.points, axisLabel: { fontSize: 9, rotate: d.points.length > 4 ? 30 : 0, width: 120, overflow: 'truncate' } },
      yAxis: { type: 'value' },
      series: series
    });
    el.setAttribute('data-points', String(points));
    charts.push(chart);
  });
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
  document.body.setAttribute('data-charts', String(charts.length));
})();
`;

const at = (obj: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((cur, seg) => (cur === null || typeof cur !== 'object' ? undefined : (cur as Record<string, unknown>)[seg]), obj);

/** The index page for a sweep document; `outDir` is where it goes (links are relative to it). */
export function renderSweepIndex(doc: SweepDoc, outDir: string): string {
  const lib = chartLibrary();
  const multiTrace = new Set(doc.runs.map((r) => r.trace)).size > 1;
  const pointOf = (r: SweepDoc['runs'][number]) => `${multiTrace ? `${r.trace} · ` : ''}${describeParams(r.params ?? {})}`;
  const points = [...new Set(doc.runs.map(pointOf))];
  const backends = [...new Set(doc.runs.map((r) => r.backend))];
  const values = CSV_METRICS.map((m) => points.map((p) => backends.map((b) => {
    const run = doc.runs.find((r) => pointOf(r) === p && r.backend === b);
    const v = run?.report ? at(run.report, m) : undefined;
    return typeof v === 'number' ? v : null;
  })));
  const data = { metrics: CSV_METRICS, points, backends, values };
  const scripts = [lib.code, INDEX_JS];
  const hashes = scripts.map((s) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`).join(' ');
  const csp = `default-src 'none'; script-src ${hashes}; style-src 'unsafe-inline'; img-src data:; font-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'`;
  // Run files are named by the run's index in the full expansion (what sharded runs share).
  const { spec, backends: specBackends } = parseSpec(doc.spec, 'sweep.json (spec)');
  const indexOf = new Map(expand(spec.traces, spec.grid ?? {}, specBackends).runs.map((k) => [runId(k), k.index]));
  const rows = doc.runs.map((r, i) => {
    const index = indexOf.get(runId(r));
    const base = index === undefined ? undefined : runFile('', index).replace(/\.json$/, '');
    const links = base === undefined ? '' : ['html', 'json'].filter((ext) => existsSync(join(outDir, `${base}.${ext}`)))
      .map((ext) => `<a href="${e(`${base}.${ext}`)}">${ext}</a>`).join(' ');
    const status = r.error ? `<span class="worst">failed: ${e(r.error.message)}</span>` : 'ok';
    return `<tr><td>${i}</td><td>${e(r.trace)}</td><td>${e(describeParams(r.params ?? {}))}</td><td>${e(r.backend)}</td><td>${status}</td><td>${links}</td></tr>`;
  }).join('\n');
  return [
    '<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${e(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>cdm-replay sweep: ${e(doc.spec.traces.join(', '))}</title>`,
    `<style>${PAGE_CSS}.small { width: 100%; height: 260px; }</style>`,
    '</head>', '<body>',
    `<header><h1>cdm-replay sweep</h1><p class="sub">${doc.runs.length} runs · traces ${e(doc.spec.traces.join(', '))} · backends ${e(backends.join(', '))}</p></header>`,
    '<section id="metrics"><h2>Headline metrics across the grid</h2><p class="note">The columns of sweep.csv; one bar per backend at each grid point (a failed run has no bar).</p>',
    `<div class="panels">${CSV_METRICS.map((m, i) => `<div class="panel"><div class="chart small" id="metric-${i}" data-metric="${e(m)}"></div></div>`).join('')}</div></section>`,
    `<section id="runs"><h2>Runs</h2><p class="note">In sweep.json order; links to the run's files under runs/ where they exist.</p><table class="cmp"><thead><tr><th>#</th><th>trace</th><th>grid point</th><th>backend</th><th>status</th><th>files</th></tr></thead><tbody>${rows}</tbody></table></section>`,
    `<section id="spec"><h2>Sweep spec</h2><pre>${e(JSON.stringify(doc.spec, null, 2))}</pre></section>`,
    `<footer><p>Charts drawn with ${e(lib.name)} ${e(lib.version)} (${e(lib.licence)}), inlined in this file.</p><details><summary>${e(lib.name)} licence and notice</summary><pre>${e(lib.notice)}</pre></details><p>Written by ${e(doc.tool.name)} ${e(doc.tool.version)}.</p></footer>`,
    `<script type="application/json" id="sweep-data">${jsonForScript(data)}</script>`,
    ...scripts.map((s) => `<script>${s}</script>`),
    '</body>', '</html>', '',
  ].join('\n');
}

export function writeSweepIndex(doc: SweepDoc, outDir: string): string {
  const path = join(outDir, 'index.html');
  writeAtomic(path, renderSweepIndex(doc, outDir));
  return path;
}
