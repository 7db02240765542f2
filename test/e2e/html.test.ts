// End-to-end: `--format html` from the built CLI, opened in headless Chromium. The page must load
// with no console error and no network request, draw every chart, and show hostile names from the
// trace as text (no script from the data may run). Screenshots go to test/artifacts/.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, browserMissing, chartInk, launch, open } from './browser.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/cdm-replay.js');
const dir = mkdtempSync(join(tmpdir(), 'cdm-html-'));
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

export const HOSTILE = `<script>alert(1)</script>"'&`;
/** A trace whose own path, file name and memcg paths carry markup, quotes and </script>. */
export function hostileTrace(into: string): string {
  const folder = join(into, '<script>alert(1)<');
  mkdirSync(folder, { recursive: true });
  const path = join(folder, `script>"'&.csv`); // the full path holds <script>alert(1)</script>"'&
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  writeFileSync(path, [
    'op,addr,len,kind,file,memcg,pid,agent,time,nodes',
    `mmap,0x7f0000000000,65536,file,${q(`${HOSTILE}</script>`)},${q(`/<b>job</b>/${HOSTILE}`)},1,cpu0,0,`,
    'read,0x7f0000000000,65536,,,,1,cpu0,1000,',
    'mmap,0x7f1000000000,65536,anon,,,2,cpu0,2000,',
    'write,0x7f1000000000,65536,,,/<script>alert(2)</script>,2,dev0,3000,',
    'migrate,0x7f1000000000,65536,,,,2,cpu0,4000,0',
    'read,0x7f1000000000,65536,,,,2,dev0,5000,',
    '',
  ].join('\n'));
  return path;
}

const skip = browserMissing();

describe.skipIf(skip !== null)('html report in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launch(); });
  afterAll(async () => { await browser?.close(); });

  it('loads offline, requests nothing, draws every chart of every backend', async () => {
    const out = join(dir, 'pressure.html');
    const r = cli(['traces/pressure-device.csv.gz', '--preset', 'two-node', '--format', 'html', '--out', out]);
    expect(r.code).toBe(0);
    const { page, problems, requests } = await open(browser, out);
    await page.waitForSelector('body[data-charts]', { timeout: 30_000 });
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    const ink = await chartInk(page);
    // five charts for each of the four backends
    expect(ink.map((c) => c.id.replace(/-\d+$/, '')).sort()).toEqual(
      ['accounting', 'activity', 'heatmap', 'migrations', 'resident'].flatMap((k) => Array(4).fill(`chart-${k}`)).sort());
    for (const c of ink) {
      expect(c.points, c.id).toBeGreaterThan(0);
      expect(c.ink, c.id).toBeGreaterThan(500);
    }
    expect(await page.locator('table.cmp td.best').count()).toBeGreaterThan(0);
    expect(await page.locator('table.cmp td.worst').count()).toBeGreaterThan(0);
    await page.screenshot({ path: artifact('html-pressure-device.png'), fullPage: true });
  });

  it('renders hostile names from the trace as text and runs no script from them', async () => {
    const trace = hostileTrace(dir);
    const out = join(dir, 'hostile.html');
    const r = cli([trace, '--preset', 'two-node', '--format', 'html', '--out', out]);
    expect(r.code).toBe(0);
    const { page, problems, requests } = await open(browser, out);
    await page.waitForSelector('body[data-charts]', { timeout: 30_000 });
    expect(problems).toEqual([]); // includes: no alert() dialog
    expect(requests).toEqual([]);
    const text = await page.locator('#provenance').innerText();
    expect(text).toContain(`${HOSTILE}.csv`);
    expect(await page.locator('#comparison').innerText()).toContain(`/<b>job</b>/${HOSTILE}`);
    // only the page's own scripts exist: data JSON, the chart library, the page script
    expect(await page.locator('script').count()).toBe(3);
    expect(await page.locator('b').count()).toBe(0);
    await page.screenshot({ path: artifact('html-hostile.png'), fullPage: true });
  });
});

describe('html report from the CLI', () => {
  it('is byte-identical for the same input', () => {
    const a = join(dir, 'a.html'), b = join(dir, 'b.html');
    expect(cli(['traces/pressure-device.csv.gz', '--preset', 'two-node', '-b', 'mainline,hmm', '--format', 'html', '--out', a]).code).toBe(0);
    expect(cli(['traces/pressure-device.csv.gz', '--preset', 'two-node', '-b', 'mainline,hmm', '--format', 'html', '--out', b]).code).toBe(0);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });

  it('writes the page to stdout when stdout is not a terminal', () => {
    const r = cli([hostileTrace(mkdtempSync(join(tmpdir(), 'cdm-html-'))), '--preset', 'two-node', '-b', 'numa', '--format', 'html']);
    expect(r.code).toBe(0);
    expect(r.out.startsWith('<!DOCTYPE html>')).toBe(true);
  });

  it('refuses a bad --timeline-buckets in one line with exit 2', () => {
    const r = cli(['traces/pressure-device.csv.gz', '--format', 'html', '--timeline-buckets', '7', '--out', join(dir, 'x.html')]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/--timeline-buckets 7: expected an even whole number/);
  });

  it('keeps the timeline out of json unless --timeline is given', () => {
    const plain = JSON.parse(cli(['traces/pressure-device.csv.gz', '--preset', 'two-node', '-b', 'numa', '--format', 'json']).out);
    expect(plain.backends[0].timeline).toBeUndefined();
    const tl = JSON.parse(cli(['traces/pressure-device.csv.gz', '--preset', 'two-node', '-b', 'numa', '--format', 'json', '--timeline', '--timeline-buckets', '32']).out);
    expect(tl.backends[0].timeline.buckets.length).toBeLessThanOrEqual(32);
  });
});
