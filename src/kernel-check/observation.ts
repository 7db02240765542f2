// The guest's JSON (schema cdm-replay/kernel-observation@1), validated at the boundary, and its
// extraction from the serial console between the marker lines init.sh prints.
import { z } from 'zod';
import { GuestCrashError, GuestTraceError } from './errors.js';
import { PARSE_ONCE } from '../parse-once.js';

export const MARK_INIT = '@@CDM-REPLAY-INIT';
export const MARK_DONE = '@@CDM-REPLAY-DONE';
export const MARK_BEGIN = '@@CDM-REPLAY-JSON-BEGIN@@';
export const MARK_END = '@@CDM-REPLAY-JSON-END';

const counts = z.record(z.string(), z.number());

const mappingSchema = z.object({
  trace_addr: z.string(),
  addr: z.string(),
  pages: z.number(),
  kind: z.enum(['none', 'anon', 'file', 'shmem']),
  implicit: z.boolean(),
  relocated: z.boolean(),
  /** move_pages status per page: node id, or -errno (-2 not present, -14 zero page). */
  list: z.array(z.number()).optional(),
  /** The same, summarised: {"1": 64, "-2": 3}. */
  nodes: counts,
  /** --kernel hmm: pages resident on each trace device (test_hmm SNAPSHOT, LOCAL state): {"0": 64}. */
  devices: counts.optional(),
});

const hmmOpSchema = z.object({ calls: z.number(), failed: z.number(), cpages: z.number(), faults: z.number() });
/** --kernel hmm: the process's test_hmm ioctls (guest/hmm.c), one page each. */
const hmmSchema = z.object({
  /** Pages test_hmm vmalloc'ed as bounce buffers (READ, WRITE, MIGRATE_TO_DEV: one per page). */
  bounce_pages: z.number(),
  /** Pages MIGRATE_TO_DEV put on a device (SNAPSHOT before and after); device-private ones each have a backing system page. */
  arrived: z.number(),
  /** Present file/shmem pages MIGRATE_TO_DEV gave a device page and migrate_vma_pages() refused (anonymous only). */
  refused: z.number(),
  read: hmmOpSchema,
  write: hmmOpSchema,
  migrate_to_dev: hmmOpSchema,
  migrate_to_sys: hmmOpSchema,
});
export type HmmIoctls = z.infer<typeof hmmSchema>;

const processSchema = z.object({
  pid: z.number(),
  state: z.enum(['running', 'exited', 'killed']),
  signal: z.number(),
  memcg: z.string().nullable(),
  killed_at_line: z.number(),
  skipped_after_kill: z.number(),
  /** Events of this pid after its `exit` op (not replayed). */
  skipped_after_exit: z.number(),
  relocated: z.number(),
  /** Per trace op: syscalls made (page touches for accesses), ranges with holes, errors by errno name. */
  ops: z.record(z.string(), z.object({ calls: z.number(), unmapped: z.number(), errors: counts })),
  /** move_pages status of every page a `migrate` asked for: target node or -errno. */
  migrate_status: counts,
  hmm: hmmSchema.optional(),
  /** The worker's VmRSS etc. before its first event: the replayer's own pages, to subtract. */
  status_kB_baseline: counts.nullable(),
  /** Taken at the end of the trace, or just before the process's `exit`; null after an OOM kill. */
  snapshot: z
    .object({
      status_kB: counts,
      mapped_pages: z.number(),
      mappings: z.array(mappingSchema),
      numa_maps: z.array(z.string()),
      truncated: z.boolean().optional(),
    })
    .nullable(),
});

const nodeSchema = z.object({
  node: z.number(),
  numastat_before: counts,
  numastat_after: counts,
  numastat_delta: counts,
  meminfo_kB_before: counts,
  meminfo_kB_after: counts,
});

/** One populated zone of /proc/zoneinfo just before the replay (pages). */
const zoneSchema = z.object({
  node: z.number(),
  zone: z.string(),
  free: z.number(),
  boost: z.number(),
  min: z.number(),
  low: z.number(),
  high: z.number(),
  present: z.number(),
  managed: z.number(),
  /** lowmem_reserve[] by highest usable zone index (DMA, DMA32, Normal, Movable, ...). */
  protection: z.array(z.number()),
});

const memcgSchema = z.object({
  path: z.string(),
  current: z.number().nullable(),
  max: z.union([z.number(), z.literal('max')]).nullable(),
  peak: z.union([z.number(), z.literal('max')]).nullable(),
  stat: counts,
  numa_stat: z.record(z.string(), counts),
  events: counts,
});

export const guestReportSchema = z.object({
  schema: z.literal('cdm-replay/kernel-observation@1'),
  kernel: z.string(),
  cpus: z.number(),
  numa_nodes: z.number(),
  events: z.number(),
  replay_ns: z.number(),
  settings: z.record(z.string(), z.string()),
  page_table_pages_delta: z.number(),
  zones_before: z.array(zoneSchema).optional(),
  /** Every /proc/vmstat counter, after minus before, in the kernel's own units. */
  vmstat_delta: counts,
  nodes: z.array(nodeSchema),
  memcgs: z.array(memcgSchema),
  processes: z.array(processSchema),
});
export type GuestReport = z.infer<typeof guestReportSchema>;

const guestErrorSchema = z.object({
  error: z.object({ kind: z.enum(['trace', 'unsupported', 'setup']), line: z.number(), message: z.string() }),
});

export interface KernelObservation extends GuestReport {
  host: {
    kernelImage: string;
    kernelVersion: string | null;
    qemuArgs: string[];
    /** qemu start to exit. */
    wallMs: number;
    /** Guest uptime when /init started and when the replay ended (boot cost vs replay cost). */
    initUptimeS: number | null;
    doneUptimeS: number | null;
  };
}

/** Last lines of the console, for error messages. */
export function consoleTail(console: string, lines = 40): string {
  return console.replace(/\r/g, '').trimEnd().split('\n').slice(-lines).join('\n');
}

function uptime(console: string, marker: string): number | null {
  const m = new RegExp(`${marker} uptime=([0-9.]+)@@`).exec(console);
  return m ? Number(m[1]) : null;
}

export interface ExtractedResult {
  report: GuestReport;
  initUptimeS: number | null;
  doneUptimeS: number | null;
}

/**
 * Finds the JSON between the markers, drops any kernel printk line that slipped in, and validates it.
 * Throws GuestTraceError when the guest rejected the trace and GuestCrashError for everything else.
 */
export function extractResult(console: string, trace = 'trace'): ExtractedResult {
  const text = console.replace(/\r/g, '');
  const begin = text.indexOf(MARK_BEGIN);
  const end = text.indexOf(MARK_END, begin + 1);
  const tail = consoleTail(text);
  if (begin < 0 || end < 0) {
    const why = text.includes(MARK_INIT) ? 'the guest stopped during the replay (crash, panic or timeout)' : 'the guest did not reach /init';
    throw new GuestCrashError(`kernel-check: no result from the guest: ${why}`, tail);
  }
  const body = text
    .slice(begin + MARK_BEGIN.length, end)
    .split('\n')
    .filter((l) => !/^\s*\[\s*\d+\.\d+\]/.test(l))
    .join('\n')
    .trim();
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    throw new GuestCrashError(`kernel-check: the guest's result is not JSON (${(e as Error).message})`, tail);
  }
  const err = guestErrorSchema.safeParse(json, PARSE_ONCE);
  if (err.success) {
    const { kind, line, message } = err.data.error;
    if (kind === 'setup') throw new GuestCrashError(`kernel-check: guest setup failed: ${message}`, tail);
    throw new GuestTraceError(`${trace}:${line}: ${message}`, line, kind === 'unsupported');
  }
  const parsed = guestReportSchema.safeParse(json, PARSE_ONCE);
  if (!parsed.success) {
    const rc = /JSON-END rc=(\d+)/.exec(text.slice(end))?.[1];
    throw new GuestCrashError(`kernel-check: unexpected guest result (replayer exit ${rc ?? '?'}): ${z.prettifyError(parsed.error)}`, tail);
  }
  return { report: parsed.data, initUptimeS: uptime(text, MARK_INIT), doneUptimeS: uptime(text, MARK_DONE) };
}
