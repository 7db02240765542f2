// The HTML renderer at string level: self-contained, deterministic, every trace/config string
// escaped, the embedded JSON safe inside <script> and read back unchanged.
import { describe, expect, it } from 'vitest';
import { escapeHtml, jsonForScript } from '../../src/report/html-escape.js';
import { renderHtml } from '../../src/report/render-html.js';
import { getRenderer } from '../../src/report/registry.js';
import { parseReport } from '../../src/report/schema.js';
import { sampleReport } from './sample-report.js';

const EVIL = `<script>alert(1)</script>"'&</script><!--`;

function hostileReport() {
  const r = sampleReport();
  r.trace.path = `/traces/${EVIL}.csv`;
  r.warnings.push(`warning about ${EVIL}`);
  r.backends[0].accounting.memcg[0].path = `/job/${EVIL}`;
  r.backends[3].timeline!.heatmap.rows[3].space = `file ${EVIL}`;
  (r.config as Record<string, unknown>).note = EVIL;
  return parseReport(r);
}

describe('html escaping helpers', () => {
  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('embeds JSON that cannot close its script element and parses back unchanged', () => {
    const v = { s: `${EVIL}\u2028\u2029`, n: [1, 2.5] };
    const text = jsonForScript(v);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(v);
  });
});

describe('renderHtml', () => {
  const html = renderHtml(hostileReport());
  // The page without the code of its two executable scripts (the library has its own strings).
  const markup = html.replace(/<script>[\s\S]*?<\/script>/g, '<script></script>');

  it('is registered as --format html', () => {
    expect(getRenderer('html')(hostileReport(), { colour: { enabled: false } as never }) === html).toBe(true);
  });

  it('never lets a hostile string through as markup', () => {
    expect(html.includes('<script>alert(1)')).toBe(false);
    expect(markup.includes('<!--')).toBe(false);
    expect(markup).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    // exactly the page's own three script elements, and one closing tag each
    expect(html.match(/<script[\s>]/g)).toHaveLength(3);
    expect(html.match(/<\/script/gi)).toHaveLength(3);
  });

  it('makes no network reference: no src or href, no url(), no @import; a CSP forbids fetches', () => {
    expect(/\s(src|href)\s*=/i.test(markup)).toBe(false);
    expect(/url\(|@import/i.test(markup)).toBe(false);
    expect(html).toMatch(/Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;sha256-/);
  });

  it('carries the data for the charts, the comparison marks, provenance and the licence', () => {
    const json = html.match(/<script type="application\/json" id="cdm-data">([^<]*)<\/script>/)![1];
    const data = JSON.parse(json);
    expect(data.backends.map((b: { label: string }) => b.label)).toEqual(['hmm:private', 'numa', 'cdm', 'mainline']);
    expect(data.backends[3].timeline.heatmap.rows[3].space).toBe(`file ${EVIL}`);
    expect(markup).toContain('class="best"');
    expect(markup).toContain('class="worst"');
    expect(markup).toContain(hostileReport().trace.sha256);
    expect(markup).toContain('Apache License');
    for (const id of ['resident', 'migrations', 'heatmap', 'accounting', 'activity']) expect(markup).toContain(`id="chart-${id}-3"`);
  });

  it('is deterministic', () => {
    expect(renderHtml(hostileReport()) === html).toBe(true);
  });

  it('says how to get charts when the report has no timeline', () => {
    const r = sampleReport();
    delete r.backends[3].timeline;
    expect(renderHtml(parseReport(r)).includes('This report has no timeline')).toBe(true);
  });
});
