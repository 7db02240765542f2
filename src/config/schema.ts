// The `cdm-replay/config@1` schema (DESIGN §4a). Parsing yields the *effective* config: every
// default filled, sizes in bytes, nodes sorted by id, so code downstream never re-checks it.
// Kernel defaults follow KERNEL-MODEL §10; cross-field checks run in the final transform so
// they only ever see values that already passed the per-field checks.
import { z } from 'zod';
import { SIZE_EXPECTED, SIZE_HELP, trySize } from './size.js';

export const CONFIG_SCHEMA_ID = 'cdm-replay/config@1';
/** Default memory-tier abstract distance of DRAM (MEMTIER_ADISTANCE_DRAM, 6.12). */
export const ADISTANCE_DRAM = 576;
export const MAX_NODES = 32;

export const sizeSchema = z
  .union([z.number(), z.string()], { error: SIZE_EXPECTED })
  .transform((v, ctx) => {
    const r = trySize(v);
    if (r.ok) return r.bytes;
    ctx.addIssue({ code: 'custom', message: r.message });
    return z.NEVER;
  })
  .meta({ description: SIZE_HELP });

// "max" or a size, as cgroup v2 writes limits; one transform so errors stay specific.
const limitSchema = z
  .union([z.number(), z.string()], { error: `expected "max" or a size; ${SIZE_EXPECTED}` })
  .transform((v, ctx): number | 'max' => {
    if (v === 'max') return 'max';
    const r = trySize(v);
    if (r.ok) return r.bytes;
    ctx.addIssue({ code: 'custom', message: `expected "max" or a size: ${r.message}` });
    return z.NEVER;
  })
  .meta({ description: `"max" (no limit) or ${SIZE_HELP}` });

export const zoneTypes = ['DMA', 'DMA32', 'NORMAL', 'MOVABLE'] as const;
export type ZoneType = (typeof zoneTypes)[number];

const zoneSchema = z.strictObject({ type: z.enum(zoneTypes), size: sizeSchema });

const nodeSchema = z
  .strictObject({
    id: z.int().min(0).max(MAX_NODES - 1),
    kind: z.enum(['cpu', 'device']).meta({ description: 'cpu: has CPUs; device: CPU-less memory (GPU HBM, CXL)' }),
    capacity: sizeSchema,
    cpus: z.int().min(0).optional().meta({ description: 'CPU count; required (≥1) for cpu nodes, 0 for device nodes' }),
    zones: z.array(zoneSchema).min(1).optional().meta({ description: 'default: one NORMAL zone (cpu) or one MOVABLE zone (device)' }),
    tier: z.int().min(0).optional().meta({ description: `memory-tier abstract distance; default ${ADISTANCE_DRAM} (DRAM)` }),
    name: z.string().optional(),
  })
  .transform((n, ctx) => {
    if (n.kind === 'cpu' && (n.cpus === undefined || n.cpus < 1)) {
      ctx.addIssue({ code: 'custom', path: ['cpus'], message: 'a cpu node needs cpus ≥ 1' });
    }
    if (n.kind === 'device' && n.cpus !== undefined && n.cpus !== 0) {
      ctx.addIssue({ code: 'custom', path: ['cpus'], message: 'a device node is CPU-less: cpus must be 0 (model CPUs as a cpu node)' });
    }
    if (n.capacity <= 0) ctx.addIssue({ code: 'custom', path: ['capacity'], message: 'capacity must be > 0' });
    const zones = n.zones ?? [{ type: n.kind === 'cpu' ? 'NORMAL' : 'MOVABLE', size: n.capacity }];
    const seen = new Set<ZoneType>();
    zones.forEach((zn, i) => {
      if (seen.has(zn.type)) ctx.addIssue({ code: 'custom', path: ['zones', i, 'type'], message: `zone ${zn.type} listed twice` });
      if (zn.size <= 0) ctx.addIssue({ code: 'custom', path: ['zones', i, 'size'], message: 'zone size must be > 0' });
      seen.add(zn.type);
    });
    const sum = zones.reduce((s, zn) => s + zn.size, 0);
    if (sum !== n.capacity) {
      ctx.addIssue({ code: 'custom', path: ['zones'], message: `zone sizes sum to ${sum} bytes, capacity is ${n.capacity}` });
    }
    // Kernel zone order (DMA < DMA32 < NORMAL < MOVABLE) so zonelist code can rely on it.
    const ordered = [...zones].sort((a, b) => zoneTypes.indexOf(a.type) - zoneTypes.indexOf(b.type));
    return {
      id: n.id,
      kind: n.kind,
      capacity: n.capacity,
      cpus: n.cpus ?? 0,
      zones: ordered,
      tier: n.tier ?? ADISTANCE_DRAM,
      ...(n.name === undefined ? {} : { name: n.name }),
    };
  });

const memcgSchema = z
  .strictObject({
    path: z.string().startsWith('/', 'a memcg path starts with "/"'),
    max: limitSchema,
    high: limitSchema.optional(),
    swapMax: limitSchema.optional(),
  })
  .transform((m) => ({ path: m.path, max: m.max, high: m.high ?? 'max', swapMax: m.swapMax ?? 'max' }));

const linkSchema = z
  .strictObject({
    node: z.int().min(0).max(MAX_NODES - 1).meta({ description: 'id of the device node this link leads to' }),
    latencyNs: z.number().min(0).meta({ description: 'latency of one access crossing the link, ns' }),
    bandwidthGBps: z.number().positive().meta({ description: 'GB/s per direction, CPU memory → node' }),
    bandwidthFromGBps: z.number().positive().optional().meta({ description: 'GB/s node → CPU memory; default bandwidthGBps' }),
    source: z.string().optional(),
  })
  .transform((l) => ({
    node: l.node,
    latencyNs: l.latencyNs,
    bandwidthGBps: l.bandwidthGBps,
    bandwidthFromGBps: l.bandwidthFromGBps ?? l.bandwidthGBps,
    ...(l.source === undefined ? {} : { source: l.source }),
  }));

// YAML reads `4.11` as a number; accept that spelling too.
const watermarkModelSchema = z
  .union([z.enum(['auto', '4.11', '6.12']), z.literal([4.11, 6.12])], { error: 'expected auto, "4.11" or "6.12"' })
  .transform((v) => String(v) as 'auto' | '4.11' | '6.12');

const kernelSchema = z
  .strictObject({
    thp: z.enum(['always', 'madvise', 'never']).default('always'),
    numaBalancing: z.literal([0, 1, 2, 3]).default(1),
    demotion: z.boolean().default(false),
    watermarkModel: watermarkModelSchema.default('auto'),
    swappiness: z.int().min(0).max(200).default(60),
    minFreeKbytes: z.int().min(0).optional().meta({ description: 'override; default computed per KERNEL-MODEL §2.2' }),
    watermarkScaleFactor: z.int().min(1).max(3000).default(10),
    numaScanDelayMs: z.int().min(0).default(1000),
    numaScanPeriodMinMs: z.int().min(1).default(1000),
    numaScanPeriodMaxMs: z.int().min(1).default(60000),
    numaScanSizeMb: z.int().min(1).default(256),
    lru: z.enum(['classic']).default('classic'),
    // khugepaged (/sys/kernel/mm/transparent_hugepage/khugepaged/*), KERNEL-MODEL §2.11 defaults.
    khugepaged: z.strictObject({
      scanSleepMs: z.int().min(1).default(10000),
      allocSleepMs: z.int().min(1).default(60000),
      pagesToScan: z.int().min(1).default(4096),
      maxPtesNone: z.int().min(0).max(511).default(511),
      maxPtesSwap: z.int().min(0).max(511).default(64),
      maxPtesShared: z.int().min(0).max(511).default(256),
    }).prefault({}),
  })
  .refine((k) => k.numaScanPeriodMinMs <= k.numaScanPeriodMaxMs, {
    path: ['numaScanPeriodMinMs'],
    message: 'numaScanPeriodMinMs must not exceed numaScanPeriodMaxMs',
  });

const baseSchema = z.strictObject({
  schema: z.literal(CONFIG_SCHEMA_ID).default(CONFIG_SCHEMA_ID),
  preset: z.string().optional(),
  nodes: z.array(nodeSchema).min(1),
  distance: z
    .array(z.array(z.int().min(10).max(255)))
    .optional()
    .meta({ description: 'SLIT-style matrix in the order of `nodes`; default 10 on the diagonal, 20 elsewhere' }),
  memcgs: z.array(memcgSchema).default(() => []),
  swap: sizeSchema.default(0),
  pageSize: sizeSchema.default(4096),
  links: z.array(linkSchema).default(() => []),
  kernel: kernelSchema.prefault({}),
  timing: z.strictObject({ eventNs: z.int().min(1).default(1000) }).prefault({}),
  metrics: z
    .strictObject({ windowNs: z.int().min(1).default(1e9), pingPongNs: z.int().min(1).default(1e9) })
    .prefault({}),
  backends: z
    .record(z.string(), z.record(z.string(), z.unknown()))
    .default(() => ({}))
    .meta({ description: 'per-backend knobs, validated by each backend' }),
});

type Base = z.output<typeof baseSchema>;

export const configSchema = baseSchema.transform((c, ctx) => {
  let bad = 0;
  const issue = (path: (string | number)[], message: string) => {
    bad++;
    ctx.addIssue({ code: 'custom', path, message });
  };
  const n = c.nodes.length;
  if (c.pageSize < 4096 || (c.pageSize & (c.pageSize - 1)) !== 0) {
    issue(['pageSize'], `pageSize must be a power of two ≥ 4KiB, got ${c.pageSize}`);
  }
  if (n > MAX_NODES) issue(['nodes'], `at most ${MAX_NODES} nodes`);
  const ids = new Set<number>();
  c.nodes.forEach((node, i) => {
    if (ids.has(node.id)) issue(['nodes', i, 'id'], `node id ${node.id} used twice`);
    ids.add(node.id);
    if (bad > 0) return; // sizes are only checked against a valid pageSize
    if (node.capacity % c.pageSize !== 0) issue(['nodes', i, 'capacity'], `capacity must be a multiple of pageSize (${c.pageSize})`);
    node.zones.forEach((zn, j) => {
      if (zn.size % c.pageSize !== 0) issue(['nodes', i, 'zones', j, 'size'], `zone size must be a multiple of pageSize (${c.pageSize})`);
    });
  });
  if (!c.nodes.some((node) => node.kind === 'cpu')) issue(['nodes'], 'at least one cpu node is needed (tasks run on CPUs)');
  if (c.distance !== undefined) checkDistance(c.distance, n, issue);
  const kindOf = new Map(c.nodes.map((node) => [node.id, node.kind]));
  const linked = new Set<number>();
  c.links.forEach((l, i) => {
    const kind = kindOf.get(l.node);
    if (kind === undefined) issue(['links', i, 'node'], `node ${l.node} is not in nodes`);
    else if (kind !== 'device') issue(['links', i, 'node'], `node ${l.node} is a cpu node; links describe device nodes`);
    if (linked.has(l.node)) issue(['links', i, 'node'], `node ${l.node} has two links`);
    linked.add(l.node);
  });
  const paths = new Set<string>();
  c.memcgs.forEach((m, i) => {
    if (paths.has(m.path)) issue(['memcgs', i, 'path'], `memcg ${m.path} listed twice`);
    paths.add(m.path);
  });
  return bad > 0 ? z.NEVER : normalize(c);
});

function checkDistance(d: number[][], n: number, issue: (p: (string | number)[], m: string) => void): void {
  if (d.length !== n) return issue(['distance'], `distance has ${d.length} rows, nodes has ${n} entries`);
  d.forEach((row, i) => {
    if (row.length !== n) return issue(['distance', i], `row ${i} has ${row.length} entries, expected ${n} (a square matrix)`);
    if (row[i] !== 10) issue(['distance', i, i], `the diagonal (local distance) must be 10, got ${row[i]}`);
  });
}

// Sort nodes by id, permuting the distance matrix with them, and fill the default matrix.
function normalize(c: Base) {
  const order = c.nodes.map((_, i) => i).sort((a, b) => c.nodes[a].id - c.nodes[b].id);
  const distance = order.map((i) => order.map((j) => (c.distance ? c.distance[i][j] : i === j ? 10 : 20)));
  return {
    ...c,
    nodes: order.map((i) => c.nodes[i]),
    distance,
    links: [...c.links].sort((a, b) => a.node - b.node),
  };
}

/** The effective, fully defaulted configuration. */
export type Config = z.output<typeof configSchema>;
/** What a user may write (sizes as strings, defaults omitted). */
export type ConfigInput = z.input<typeof configSchema>;
export type NodeConfig = Config['nodes'][number];
export type LinkConfig = Config['links'][number];
export type KernelConfig = Config['kernel'];

/** JSON Schema of what a config file may contain (the input side: sizes as strings or numbers). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
