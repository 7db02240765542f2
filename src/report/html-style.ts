// The HTML report's stylesheet: system fonts only (no web font, nothing fetched), light colours
// that print, backends side by side in panels that wrap on narrow screens.
export const PAGE_CSS = `
:root { color-scheme: light; --fg: #1d1d1f; --muted: #666; --line: #ddd; --best: #1a7f37; --worst: #c62828; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1800px; padding: 16px 24px 48px; color: var(--fg); background: #fff;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
code, pre, dd { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
h1 { font-size: 22px; margin: 8px 0 0; }
h2 { font-size: 18px; margin: 28px 0 4px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 4px 0; }
.sub, .note { color: var(--muted); margin: 2px 0 8px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
table.cmp { border-collapse: collapse; margin-top: 8px; }
table.cmp th, table.cmp td { padding: 2px 10px; border-bottom: 1px solid #f0f0f0; text-align: right; white-space: nowrap; }
table.cmp td:first-child, table.cmp th:first-child { text-align: left; }
table.cmp tr.section th { text-align: left; background: #f6f6f6; padding-top: 6px; }
td.best, .best { color: var(--best); font-weight: 600; }
td.worst, .worst { color: var(--worst); font-weight: 600; }
.panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 12px; }
.panel { border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; min-width: 0; }
.chart { width: 100%; height: 300px; }
section#heatmap .chart { height: 420px; }
table.acct { border-collapse: collapse; margin: 6px 0 2px; font-size: 12.5px; }
table.acct th { text-align: left; font-weight: normal; padding-right: 12px; }
table.acct td { text-align: right; }
table.acct caption { text-align: left; color: var(--muted); }
.drift { color: var(--worst); }
pre { background: #f7f7f7; padding: 8px; overflow: auto; max-height: 480px; }
footer { margin-top: 32px; color: var(--muted); font-size: 12.5px; }
`;
