// Headless Chromium for the HTML report tests: Debian's `chromium` driven by playwright-core (no
// browser download). Missing locally: the suites skip with the reason printed; missing under
// CI=true: they fail (project rule), since .ci/run installs the package.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CDM_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(import.meta.dirname, '../artifacts');

/** Why the browser tests cannot run here, or null when they can. Throws under CI. */
export function browserMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const why = `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) to run the HTML browser tests`;
  if (process.env.CI === 'true') throw new Error(`CI: ${why}`);
  process.stderr.write(`skipping browser tests: ${why}\n`);
  return why;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

export interface Opened {
  page: Page;
  /** Console errors, page errors and dialogs (a dialog means a script from the data ran). */
  problems: string[];
  /** Requests other than the file itself and data: URLs; each was aborted. */
  requests: string[];
}

/** Opens a local HTML file with every other request blocked and recorded. */
export async function open(browser: Browser, file: string): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, offline: true });
  const page = await context.newPage();
  const url = pathToFileURL(file).href;
  const problems: string[] = [];
  const requests: string[] = [];
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u === url || u.startsWith('data:')) return route.continue();
    requests.push(u);
    return route.abort();
  });
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
  page.on('request', (r) => { const u = r.url(); if (u !== url && !u.startsWith('data:') && !requests.includes(u)) requests.push(u); });
  await page.goto(url, { waitUntil: 'load' });
  return { page, problems, requests };
}

/** Per chart element: its id, the values it says it drew, and how many canvas pixels are not blank. */
export async function chartInk(page: Page): Promise<{ id: string; points: number; ink: number }[]> {
  return page.evaluate(() => [...document.querySelectorAll<HTMLElement>('.chart')].map((el) => {
    let ink = 0;
    for (const c of el.querySelectorAll('canvas')) {
      const ctx = c.getContext('2d');
      if (!ctx || c.width === 0 || c.height === 0) continue;
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 0 && (px[i] < 240 || px[i + 1] < 240 || px[i + 2] < 240)) ink++;
    }
    return { id: el.id, points: Number(el.dataset.points ?? 0), ink };
  }));
}

export function artifact(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
