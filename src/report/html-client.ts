// The script the HTML report runs in the browser: it reads the embedded JSON and draws the charts
// with ECharts. Plain JavaScript kept as text (it never runs in Node). It builds no markup from
// data: every name from a trace reaches the page through textContent or ECharts' canvas, and the
// one HTML tooltip it formats escapes its text first. Each chart element gets data-points (how
// many values it drew) so tests can check it is not empty.
export const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('cdm-data').textContent);
  var NODE_COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#bab0ac'];
  var TRIGGER_COLOURS = {
    move_pages: '#4e79a7', migrate_pages: '#a0cbe8', mbind: '#86bcb6', numa_balancing: '#f28e2b', demotion: '#9c755f',
    driver: '#59a14f', fault_back: '#b07aa1', longterm_pin: '#edc948', khugepaged: '#bab0ac'
  };
  var charts = [];
  var nodeKind = {};
  data.nodes.forEach(function (n) { nodeKind[n.id] = n.kind; });
  var nodeColour = function (id) { return NODE_COLOURS[data.nodes.findIndex(function (n) { return n.id === id; }) % NODE_COLOURS.length]; };
  var nodeName = function (id) { return 'node ' + id + ' (' + (nodeKind[id] || '?') + ')'; };
  var esc = function (s) {
    return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; });
  };
  // Trace time in the unit that suits the whole trace, so every chart's axis reads the same.
  var unit = data.duration_ns >= 2e9 ? ['s', 1e9] : data.duration_ns >= 2e6 ? ['ms', 1e6] : ['µs', 1e3];
  var at = function (ns) { return ns / unit[1]; };
  var label = function (v) { return String(Number(v.toPrecision(3))); };
  var timeAxis = function () {
    return {
      type: 'value', min: 0, max: at(data.axis_end_ns), name: 'trace time (' + unit[0] + ')', nameLocation: 'middle', nameGap: 24,
      axisLabel: { formatter: label, showMaxLabel: false }
    };
  };
  // A round upper bound just above the largest value, shared by every backend's panel.
  var nice = function (v) {
    if (!(v > 0)) return null;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    return [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map(function (m) { return m * p; }).find(function (c) { return c >= v; });
  };
  var base = function () {
    return {
      animation: false,
      grid: { left: 64, right: 24, top: 56, bottom: 48 },
      tooltip: { trigger: 'axis' },
      legend: { top: 0, type: 'scroll', itemWidth: 14, itemHeight: 8, textStyle: { fontSize: 11 } }
    };
  };
  var draw = function (el, option, points, group) {
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption(option);
    if (group) chart.group = 'time';
    el.setAttribute('data-points', String(points));
    charts.push(chart);
  };
  var chartEl = function (kind, i) { return document.getElementById('chart-' + kind + '-' + i); };
  var ends = function (t) { return t.buckets.map(function (b) { return at(b.start_ns + t.bucket_ns); }); };
  var mids = function (t) { return t.buckets.map(function (b) { return at(b.start_ns + t.bucket_ns / 2); }); };
  var pairs = function (xs, ys) { return xs.map(function (x, k) { return [x, ys[k]]; }); };
  var max = function (xs) { return xs.reduce(function (a, b) { return Math.max(a, b); }, 0); };

  // Shared y scales, so a taller area in one backend's panel means more pages than in another's.
  var withTimeline = data.backends.filter(function (b) { return b.timeline; });
  var usedMax = max(withTimeline.map(function (b) {
    return max(b.timeline.buckets.map(function (x) { return Object.values(x.used_pages).reduce(function (s, v) { return s + v; }, 0); }));
  }));
  var migMax = max(withTimeline.map(function (b) {
    return max(b.timeline.buckets.map(function (x) { return x.migrations.total + x.migrations.failed; }));
  }));
  var accMax = max(withTimeline.map(function (b) {
    return max(b.timeline.buckets.map(function (x) { return max(Object.values(x.accounting)); }));
  }));

  data.backends.forEach(function (b, i) {
    var t = b.timeline;
    if (!t) return;
    var x = ends(t), xm = mids(t);

    // 1. Resident pages per node, stacked.
    var used = data.nodes.map(function (n) {
      return {
        name: nodeName(n.id), type: 'line', stack: 'used', step: 'end', symbol: 'none', areaStyle: { opacity: 0.85 },
        color: nodeColour(n.id), lineStyle: { width: 1 },
        data: pairs(x, t.buckets.map(function (k) { return k.used_pages[String(n.id)] || 0; }))
      };
    });
    draw(chartEl('resident', i), Object.assign(base(), {
      xAxis: timeAxis(), yAxis: { type: 'value', name: 'pages', max: nice(usedMax) }, series: used
    }), used.length * x.length, true);

    // 2. Migrations by trigger (stacked bars), ping-pong and failures as lines on top.
    var triggers = [];
    t.buckets.forEach(function (k) { Object.keys(k.migrations.by_trigger).forEach(function (g) { if (triggers.indexOf(g) < 0) triggers.push(g); }); });
    triggers.sort();
    var mig = triggers.map(function (g) {
      return {
        name: g, type: 'bar', stack: 'moved', barCategoryGap: '0%', barMaxWidth: 24, color: TRIGGER_COLOURS[g] || '#888',
        data: pairs(xm, t.buckets.map(function (k) { return k.migrations.by_trigger[g] || 0; }))
      };
    });
    // Ping-pong: buckets that had any are shaded red behind the bars, with the count as a red dot.
    var pp = [];
    t.buckets.forEach(function (k, c) { if (k.migrations.ping_pong > 0) pp.push([xm[c], k.migrations.ping_pong]); });
    mig.push({
      name: 'ping-pong', type: 'scatter', symbol: 'circle', symbolSize: 9, color: '#d62728', z: 5, data: pp,
      markArea: {
        silent: true, itemStyle: { color: 'rgba(214,39,40,0.12)' },
        data: pp.map(function (q) { var half = Math.max(at(t.bucket_ns), at(data.axis_end_ns) / 80) / 2; return [{ xAxis: q[0] - half }, { xAxis: q[0] + half }]; })
      }
    });
    mig.push({
      name: 'failed', type: 'line', symbol: 'none', color: '#555', lineStyle: { type: 'dashed' },
      data: pairs(xm, t.buckets.map(function (k) { return k.migrations.failed; }))
    });
    draw(chartEl('migrations', i), Object.assign(base(), {
      xAxis: timeAxis(), yAxis: { type: 'value', name: 'pages per bucket', max: nice(migMax) || 1 }, series: mig
    }), mig.length * xm.length, true);

    // 3. Placement heatmap: address regions (rows, gaps collapsed) over time, colour = node.
    var h = t.heatmap, cells = [];
    h.cells.forEach(function (col, c) {
      for (var r = 0; r < col.length; r++) if (col[r] !== '.') cells.push([c, r, parseInt(col[r], 36)]);
    });
    var rowLabel = function (r) { return h.rows[r].space + ' ' + h.rows[r].start; };
    draw(chartEl('heatmap', i), {
      animation: false,
      grid: { left: 150, right: 24, top: 36, bottom: 48 },
      tooltip: {
        formatter: function (p) {
          var v = p.value;
          return esc(rowLabel(v[1])) + '<br>' + esc(nodeName(v[2])) + ' at ' + esc(at(t.buckets[v[0]].start_ns + t.bucket_ns).toPrecision(4)) + ' ' + unit[0];
        }
      },
      xAxis: {
        type: 'category', data: t.buckets.map(function (k) { return label(at(k.start_ns)); }), name: 'trace time (' + unit[0] + ')',
        nameLocation: 'middle', nameGap: 24, splitArea: { show: false }
      },
      yAxis: {
        type: 'category', inverse: true, data: h.rows.map(function (_r, k) { return rowLabel(k); }),
        axisLabel: { fontSize: 9, width: 140, overflow: 'truncate' }
      },
      visualMap: {
        type: 'piecewise', dimension: 2, orient: 'horizontal', top: 0, left: 'center',
        pieces: data.nodes.map(function (n) { return { value: n.id, label: nodeName(n.id), color: nodeColour(n.id) }; })
      },
      series: [{ type: 'heatmap', data: cells, progressive: 0 }]
    }, cells.length, false);

    // 4. What the kernel shows beside the truth (KERNEL-MODEL §8 row 9: the drift).
    var views = [
      ['resident (truth)', 'resident_pages', '#000', 3, 'solid'],
      ['VmRSS', 'vmrss_pages', '#e15759', 1.5, 'solid'],
      ['smaps Rss', 'smaps_rss_pages', '#4e79a7', 1.5, 'dashed'],
      ['numa_maps', 'numa_maps_pages', '#59a14f', 1.5, 'dotted'],
      ['memory.current', 'memcg_current_pages', '#f28e2b', 1.5, 'dashed']
    ].map(function (v) {
      return {
        name: v[0], type: 'line', step: 'end', symbol: 'none', color: v[2], lineStyle: { width: v[3], type: v[4] },
        data: pairs(x, t.buckets.map(function (k) { return k.accounting[v[1]]; }))
      };
    });
    draw(chartEl('accounting', i), Object.assign(base(), {
      xAxis: timeAxis(), yAxis: { type: 'value', name: 'pages', max: nice(accMax) }, series: views
    }), views.length * x.length, true);

    // 5. Activity: remote accesses, faults, reclaim scans; OOM kills as marks.
    var act = [
      ['remote accesses', function (k) { return k.remote_accesses; }, '#e15759'],
      ['faults', function (k) { return k.faults.cpu + k.faults.device; }, '#4e79a7'],
      ['reclaim scans', function (k) { return k.reclaim.pages_scanned; }, '#9c755f']
    ].map(function (v) {
      return { name: v[0], type: 'line', symbol: 'none', color: v[2], data: pairs(xm, t.buckets.map(v[1])) };
    });
    var ooms = [];
    t.buckets.forEach(function (k, c) { if (k.oom_kills > 0) ooms.push([xm[c], k.oom_kills]); });
    act.push({ name: 'OOM kills', type: 'scatter', yAxisIndex: 1, symbol: 'triangle', symbolSize: 14, color: '#d62728', data: ooms });
    draw(chartEl('activity', i), Object.assign(base(), {
      xAxis: timeAxis(),
      yAxis: [{ type: 'value', name: 'per bucket' }, { type: 'value', name: 'OOM kills', minInterval: 1, splitLine: { show: false } }],
      series: act
    }), 3 * xm.length + ooms.length, true);
  });
  echarts.connect('time');
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
  document.body.setAttribute('data-charts', String(charts.length));
})();
`;
