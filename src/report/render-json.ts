// JSON renderer: the report as the contract defines it. Parsing through the schema first puts
// the fixed keys in schema order and sorts counter maps, so equal reports give equal bytes however
// the producer built the object; it also stops an invalid report before it reaches a file.
import { ReportSchema, type Report } from './schema.js';
import { PARSE_ONCE } from '../parse-once.js';

export function renderJson(report: Report): string {
  return `${JSON.stringify(ReportSchema.parse(report, PARSE_ONCE), null, 2)}\n`;
}
