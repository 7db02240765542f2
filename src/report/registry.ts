// Renderers by name (STYLE habit 3): `--format NAME` looks one up here; adding a format is a file
// plus a line in RENDERERS. Renderers take a finished report and return the text to write.
import { UsageError } from '../errors.js';
import type { Colour } from './colour.js';
import { renderCsv } from './render-csv.js';
import { renderHtml } from './render-html.js';
import { renderJson } from './render-json.js';
import { renderMarkdown } from './render-markdown.js';
import { renderTable } from './render-table.js';
import type { Report } from './schema.js';

export interface RenderOptions {
  /** Decided once by the CLI (decideColour); formats that never colour ignore it. */
  colour: Colour;
}

export type Renderer = (report: Report, options: RenderOptions) => string;

const RENDERERS: ReadonlyMap<string, Renderer> = new Map<string, Renderer>([
  ['table', renderTable],
  ['json', (report) => renderJson(report)],
  ['csv', (report) => renderCsv(report)],
  ['markdown', (report) => renderMarkdown(report)],
  ['html', (report) => renderHtml(report)],
]);

/** Known format names, in the order `--help` lists them. */
export function rendererNames(): string[] {
  return [...RENDERERS.keys()];
}

export function getRenderer(name: string): Renderer {
  const r = RENDERERS.get(name);
  if (!r) throw new UsageError(`unknown format ${JSON.stringify(name)} (known: ${rendererNames().join(', ')})`);
  return r;
}
