// `nsys stats --report um_total_sum --format csv` (FORMATS §2.6): unified-memory totals for a whole
// run, one row. Aggregates carry no per-page events, so the report is checked, not replayed: the
// header and the row are validated, the totals go to info.meta, and the reader yields no events
// (the replay then reports 0 events, and trace.skipped says why).
import { TraceDataError } from '../errors.js';
import type { TraceInfo, TraceReader } from './events.js';
import { clipText, skip } from './event-writer.js';
import { textLines } from './text-lines.js';

export const NSYS_UM_TOTAL_SUM = 'nsys-um-total-sum';
export const UM_SUM_NOT_REPLAYED = 'um_total_sum aggregates (checked, not replayed: no per-page events)';

/** Columns by their name without unit; value kind; meta key. */
const COLUMNS: [RegExp, 'size' | 'count' | 'addr', string][] = [
  [/^Total HtoD Migration Size$/i, 'size', 'total_htod_migration'],
  [/^Total DtoH Migration Size$/i, 'size', 'total_dtoh_migration'],
  [/^Total CPU Page ?Faults$/i, 'count', 'total_cpu_page_faults'],
  [/^Total GPU Page ?Faults$/i, 'count', 'total_gpu_page_faults'],
  [/^Minimum Virtual Address$/i, 'addr', 'minimum_virtual_address'],
  [/^Maximum Virtual Address$/i, 'addr', 'maximum_virtual_address'],
];
const NAMES = 'Total HtoD Migration Size, Total DtoH Migration Size, Total CPU Page Faults, Total GPU PageFaults, Minimum Virtual Address, Maximum Virtual Address';

/** One CSV record (RFC 4180 quoting), or null when a quote is left open. */
export function splitCsv(line: string): string[] | null {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') cur += line[i++];
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur === '') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return quoted ? null : out.map((f) => f.trim());
}

/** "Total HtoD Migration Size (MB)" / "...:mem_B" -> name and unit. */
const nameAndUnit = (h: string): [string, string] => {
  const m = /^(.*?)\s*(?:\(([^)]*)\)|:(\w+))?$/.exec(h.trim()) as RegExpExecArray;
  return [m[1], m[2] ?? m[3] ?? ''];
};

/** Validates the report into info; yields no events. */
async function* readUmSum(chunks: AsyncIterable<Buffer>, info: TraceInfo): AsyncGenerator<never> {
  await checkUmSum(chunks, info);
  yield* []; // aggregates: nothing to replay
}

async function checkUmSum(chunks: AsyncIterable<Buffer>, info: TraceInfo): Promise<void> {
  info.format = NSYS_UM_TOTAL_SUM;
  info.columns = ['op', 'addr'];
  let header: { index: number; kind: 'size' | 'count' | 'addr'; key: string; unit: string }[] | null = null;
  let width = 0;
  let rows = 0;
  for await (const { text, no } of textLines(chunks, info.path)) {
    if (text.trim() === '') continue;
    const fields = splitCsv(text);
    if (fields === null) throw new TraceDataError(info.path, `${no}`, 'row', clipText(text), 'is not a CSV record (expected closed quotes)');
    if (header === null) {
      if (!/Total HtoD Migration Size/i.test(text)) {
        skip(info, 'nsys stats text before the um_total_sum table');
        continue;
      }
      const named = fields.map(nameAndUnit);
      header = COLUMNS.map(([re, kind, key]) => {
        const index = named.findIndex(([n]) => re.test(n));
        if (index < 0) throw new TraceDataError(info.path, `${no}`, 'header', clipText(text), `lacks a column like "${re.source.replace(/[\^$\\]|\?/g, '')}" (expected ${NAMES})`);
        return { index, kind, key, unit: named[index][1] };
      });
      width = fields.length;
      continue;
    }
    if (rows === 1) {
      skip(info, 'text after the um_total_sum row');
      continue;
    }
    if (fields.length !== width) {
      throw new TraceDataError(info.path, `${no}`, 'row', clipText(text), `is not a row of ${width} fields (expected ${width} as in the header, found ${fields.length})`);
    }
    for (const col of header) {
      const v = fields[col.index].replace(/,/g, '');
      const ok = col.kind === 'size' ? /^\d+(\.\d+)?$/.test(v) : col.kind === 'count' ? /^\d+$/.test(v) : /^(0x[0-9a-f]+|\d+)?$/i.test(v);
      if (!ok) {
        const expected = col.kind === 'size' ? 'a size >= 0' : col.kind === 'count' ? 'a count (integer >= 0)' : 'an address (0x-hex or decimal)';
        throw new TraceDataError(info.path, `${no}`, `column "${col.key}"`, clipText(fields[col.index]), `is not ${expected}`);
      }
      info.meta[`nsys.${col.key}`] = col.unit && col.kind === 'size' ? `${v} ${col.unit}` : v;
    }
    rows = 1;
  }
  if (header === null) {
    throw new TraceDataError(info.path, '1', 'header', '', 'is not present (expected the um_total_sum CSV header: ' + NAMES + ')');
  }
  if (rows === 0) throw new TraceDataError(info.path, 'end', 'row', '', 'is not present (expected one row of totals after the header)');
  skip(info, UM_SUM_NOT_REPLAYED);
  info.meta.note = `${NSYS_UM_TOTAL_SUM}: aggregates only, checked, not replayed (0 events); totals in trace metadata`;
}

export const sniffNsysUmSum = (head: string): boolean => /Total HtoD Migration Size[^,\n]*,\s*"?Total DtoH Migration Size/i.test(head);

export const nsysUmSumReader: TraceReader = {
  name: NSYS_UM_TOTAL_SUM,
  description: 'nsys stats --report um_total_sum --format csv: UM totals (checked, not replayed)',
  producedBy: 'nsys stats --report um_total_sum --format csv run.nsys-rep > um_total_sum.csv',
  sniff: sniffNsysUmSum,
  copiesChunks: true, // textLines decodes each chunk to strings; nothing else sees the bytes
  read: (chunks, info) => readUmSum(chunks, info),
};
