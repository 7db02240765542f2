// CSV renderer: tidy data, one row per backend and metric (`backend,metric,value`), ready for
// DuckDB, pandas or a spreadsheet. Metric names follow the path scheme of metric-paths.ts; values
// are the report's own numbers (JSON number syntax, full precision); an unlimited memcg max_pages
// (null) is an empty field. Quoting follows RFC 4180; lines end in LF.
import { metricValues } from './metric-paths.js';
import { ReportSchema, type Report } from './schema.js';
import { PARSE_ONCE } from '../parse-once.js';

export const CSV_HEADER = ['backend', 'metric', 'value'] as const;

export function renderCsv(report: Report): string {
  // Parsing first gives canonical key order, so equal reports give equal bytes.
  const parsed = ReportSchema.parse(report, PARSE_ONCE);
  const lines = [CSV_HEADER.join(',')];
  for (const b of parsed.backends) {
    for (const m of metricValues(b)) lines.push([b.label, m.path, m.value === null ? '' : String(m.value)].map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** RFC 4180: a field holding a comma, quote, CR or LF is quoted, inner quotes doubled. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
