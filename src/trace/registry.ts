// The format registry (STYLE habit 3): readers by name, sniffing, and openTrace, which ties the
// input layer, format detection and a reader together. A new format = one module + one line here.
import { UsageError } from '../errors.js';
import type { EventBatch, FormatOption, ReadOptions, TraceInfo, TraceReader } from './events.js';
import { hasRules } from './agent-map.js';
import { csvReader } from './csv.js';
import { damoJsonReader } from './damo-json.js';
import { damoPerfScriptReader } from './damo-perf-script.js';
import { ftraceReader } from './ftrace.js';
import { openInput, prepend, type OpenInputOptions } from './input.js';
import { kfdSmiReader } from './kfd-smi.js';
import { lackeyReader } from './lackey.js';
import { nsysSqliteReader } from './nsys-sqlite.js';
import { nsysUmSumReader } from './nsys-um-sum.js';
import { perfReader } from './perf-script.js';
import { pinReader } from './pin.js';

/**
 * Every reader; the first is the fallback when sniffing recognises nothing. Sniffing tries them
 * in order, so a reader whose lines are a special case of another's (DAMON's perf-script
 * tracepoint text is perf script text) goes before the general one.
 */
export const READERS: readonly TraceReader[] = [csvReader, damoPerfScriptReader, damoJsonReader, nsysSqliteReader, nsysUmSumReader, kfdSmiReader, lackeyReader, pinReader, ftraceReader, perfReader];

/** Other names `--input-format` accepts, mapped to a reader's name. */
export const FORMAT_ALIASES: Readonly<Record<string, string>> = {
  csv: 'trace@1',
  'valgrind-lackey': 'lackey',
  pin: 'pinatrace',
  'pin-pinatrace': 'pinatrace',
  'trace-cmd': 'ftrace',
  perf: 'perf-script',
  'perf-script/page-faults': 'perf-script',
  'perf-script/mem': 'perf-script',
};

/** The command-line flag of each format-specific option, for messages. */
export const FORMAT_OPTION_FLAGS: Readonly<Record<FormatOption, string>> = {
  agentMap: '--agent',
  keepInstr: '--keep-instr',
  pinColumns: '--pin-columns',
  zoneinfo: '--zoneinfo',
  deviceMap: '--device-map',
};

/** A format-specific option the reader does not honour is a usage error, not silently ignored. */
function checkOptions(reader: TraceReader, options: ReadOptions): void {
  for (const key of Object.keys(FORMAT_OPTION_FLAGS) as FormatOption[]) {
    const given = key === 'agentMap' ? hasRules(options.agentMap) : options[key] !== undefined && options[key] !== false;
    if (!given || (reader.options ?? []).includes(key)) continue;
    const takers = READERS.filter((r) => (r.options ?? []).includes(key)).map((r) => r.name);
    throw new UsageError(`${FORMAT_OPTION_FLAGS[key]} does not apply to ${reader.name} input (it applies to ${takers.join(', ')}; ` +
      'give --input-format if the input was not recognised)');
  }
}

/** How many decompressed bytes the sniffers see. */
export const SNIFF_BYTES = 4096;

/** Every accepted --input-format name: readers' names, then aliases. */
export function formatNames(): string[] {
  return [...READERS.map((r) => r.name), ...Object.keys(FORMAT_ALIASES)];
}

/** The reader called `name` (or an alias of it); an unknown name is a UsageError (exit 2). */
export function getReader(name: string): TraceReader {
  const canonical = FORMAT_ALIASES[name] ?? name;
  const reader = READERS.find((r) => r.name === canonical);
  if (!reader) throw new UsageError(`unknown input format "${name}" (known: ${formatNames().join(', ')})`);
  return reader;
}

/** The first reader that recognises `head` (the first decompressed bytes as text), or null. */
export function sniffFormat(head: string): TraceReader | null {
  return READERS.find((r) => r.sniff(head)) ?? null;
}

export interface OpenTraceOptions extends OpenInputOptions, ReadOptions {
  /** A reader name or alias (`--input-format`); sniffed when absent. */
  inputFormat?: string;
}

export interface OpenedTrace {
  /** Filled while `batches` is read; final (events, sha256, startTime) once it is done. */
  info: TraceInfo;
  /** Reused batch: finish with one before pulling the next. */
  batches: AsyncGenerator<EventBatch>;
  /** Bytes of the file (as given: compressed for gzip) read so far. */
  bytesRead(): number;
}

/** Opens a trace path (`-` = stdin, gzip detected) and streams its events. */
export async function openTrace(path: string, options: OpenTraceOptions = {}): Promise<OpenedTrace> {
  // An unknown format is a usage error before any I/O.
  const chosen = options.inputFormat === undefined ? null : getReader(options.inputFormat);
  const input = await openInput(path, options);
  const head: Buffer[] = [];
  let size = 0;
  while (size < SNIFF_BYTES) {
    const r = await input.chunks.next();
    if (r.done) break;
    head.push(r.value);
    size += r.value.length;
  }
  // Only the first SNIFF_BYTES are looked at: no copy of whole chunks (fresh memory costs page faults).
  const start = head.length > 0 && head[0].length >= SNIFF_BYTES ? head[0] : Buffer.concat(head);
  const reader = chosen ?? sniffFormat(start.toString('utf8', 0, SNIFF_BYTES)) ?? READERS[0];
  const info: TraceInfo = {
    path: input.name, format: '', strings: [], events: 0, startTime: null, meta: {}, skipped: {}, sha256: '',
  };
  const { inputFormat: _format, stdin: _stdin, ...readOptions } = options;
  try {
    checkOptions(reader, readOptions);
  } catch (e) {
    await input.chunks.return(undefined); // closes the file
    throw e;
  }
  input.recycle = reader.copiesChunks === true;
  async function* batches(): AsyncGenerator<EventBatch> {
    yield* reader.read(prepend(head, input.chunks), info, readOptions);
    info.sha256 = input.sha256;
  }
  return { info, batches: batches(), bytesRead: () => input.bytesRead };
}
