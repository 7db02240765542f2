// `sweep --html` / `merge --html`: OUT/index.html with one chart per headline metric, links to the
// runs' files, identical bytes from a sharded-and-merged sweep and an unsharded one, and a page
// that loads in headless Chromium with no console error and no request.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_METRICS } from '../../src/sweep/output.js';
import { SMALL_SPEC, sweepDir, writeSpec } from '../sweep/helpers.js';
import { artifact, browserMissing, chartInk, launch, open } from './browser.js';

const BIN = join(import.meta.dirname, '../../bin/cdm-replay.js');
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const dir = sweepDir();
const spec = writeSpec(dir, SMALL_SPEC);
const full = join(dir, 'full');

describe('sweep index page', () => {
  it('is written by sweep --html, links every run, and merge --html of shards gives the same page', () => {
    expect(cli(['sweep', spec, '--jobs', '1', '--out', full, '--html']).code).toBe(0);
    const page = readFileSync(join(full, 'index.html'), 'utf8');
    for (let i = 0; i < CSV_METRICS.length; i++) expect(page).toContain(`id="metric-${i}"`);
    expect(page.match(/<a href="runs\/\d{6}\.json">/g)).toHaveLength(8);
    for (const s of ['1/2', '2/2']) expect(cli(['sweep', spec, '--shard', s, '--out', join(dir, `s${s[0]}`)]).code).toBe(0);
    expect(cli(['merge', join(dir, 's1'), join(dir, 's2'), '--out', join(dir, 'merged'), '--html']).code).toBe(0);
    // The merged folder has no runs/ of its own: the same page less the links.
    const merged = readFileSync(join(dir, 'merged', 'index.html'), 'utf8');
    expect(merged).toBe(page.replace(/<a href="runs\/\d{6}\.json">json<\/a>/g, ''));
  });

  const skip = browserMissing();
  describe.skipIf(skip !== null)('in headless Chromium', () => {
    let browser: Browser;
    beforeAll(async () => { browser = await launch(); });
    afterAll(async () => { await browser?.close(); });

    it('loads offline with a non-empty chart per metric', async () => {
      const { page, problems, requests } = await open(browser, join(full, 'index.html'));
      await page.waitForSelector('body[data-charts]', { timeout: 30_000 });
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
      const ink = await chartInk(page);
      expect(ink).toHaveLength(CSV_METRICS.length);
      for (const c of ink) expect(c.ink, c.id).toBeGreaterThan(200);
      await page.screenshot({ path: artifact('sweep-index.png'), fullPage: true });
    });
  });
});
