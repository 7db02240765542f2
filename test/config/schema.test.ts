import { describe, expect, it } from 'vitest';
import { configJsonSchema, configSchema, type Config } from '../../src/config/schema.js';

const cpu = (id = 0, extra = {}) => ({ id, kind: 'cpu', capacity: '64MiB', cpus: 2, ...extra });
const dev = (id = 1, extra = {}) => ({ id, kind: 'device', capacity: '32MiB', ...extra });

function parse(input: unknown): Config {
  return configSchema.parse(input);
}
function issues(input: unknown) {
  const r = configSchema.safeParse(input);
  expect(r.success).toBe(false);
  return r.error!.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code }));
}

describe('config schema defaults', () => {
  it('fills every default of DESIGN §4a and KERNEL-MODEL §10', () => {
    const c = parse({ nodes: [cpu(), dev()] });
    expect(c.schema).toBe('cdm-replay/config@1');
    expect(c.pageSize).toBe(4096);
    expect(c.swap).toBe(0);
    expect(c.memcgs).toEqual([]);
    expect(c.links).toEqual([]);
    expect(c.backends).toEqual({});
    expect(c.distance).toEqual([[10, 20], [20, 10]]);
    expect(c.kernel).toEqual({
      thp: 'always',
      numaBalancing: 1,
      demotion: false,
      watermarkModel: 'auto',
      swappiness: 60,
      watermarkScaleFactor: 10,
      numaScanDelayMs: 1000,
      numaScanPeriodMinMs: 1000,
      numaScanPeriodMaxMs: 60000,
      numaScanSizeMb: 256,
      lru: 'classic',
      khugepaged: { scanSleepMs: 10000, allocSleepMs: 60000, pagesToScan: 4096, maxPtesNone: 511, maxPtesSwap: 64, maxPtesShared: 256 },
    });
    expect(c.kernel.minFreeKbytes).toBeUndefined();
    expect(c.timing).toEqual({ eventNs: 1000 });
    expect(c.metrics).toEqual({ windowNs: 1e9, pingPongNs: 1e9 });
  });

  it('defaults node cpus, zones and tier by kind', () => {
    const c = parse({ nodes: [cpu(), dev()] });
    expect(c.nodes[0]).toEqual({ id: 0, kind: 'cpu', capacity: 64 << 20, cpus: 2, zones: [{ type: 'NORMAL', size: 64 << 20 }], tier: 576 });
    expect(c.nodes[1]).toEqual({ id: 1, kind: 'device', capacity: 32 << 20, cpus: 0, zones: [{ type: 'MOVABLE', size: 32 << 20 }], tier: 576 });
  });

  it('fills memcg limits and link return bandwidth', () => {
    const c = parse({
      nodes: [cpu(), dev()],
      memcgs: [{ path: '/job', max: '32MiB' }, { path: '/other', max: 'max', swapMax: 0 }],
      links: [{ node: 1, latencyNs: 800, bandwidthGBps: 64 }],
    });
    expect(c.memcgs).toEqual([
      { path: '/job', max: 32 << 20, high: 'max', swapMax: 'max' },
      { path: '/other', max: 'max', high: 'max', swapMax: 0 },
    ]);
    expect(c.links[0]).toEqual({ node: 1, latencyNs: 800, bandwidthGBps: 64, bandwidthFromGBps: 64 });
  });

  it('reads YAML-number watermark models as their strings', () => {
    expect(parse({ nodes: [cpu()], kernel: { watermarkModel: 4.11 } }).kernel.watermarkModel).toBe('4.11');
    expect(parse({ nodes: [cpu()], kernel: { watermarkModel: 6.12 } }).kernel.watermarkModel).toBe('6.12');
    expect(issues({ nodes: [cpu()], kernel: { watermarkModel: 5.1 } })[0].path).toBe('kernel.watermarkModel');
  });

  it('sorts nodes by id and permutes the distance matrix with them', () => {
    const c = parse({ nodes: [dev(1), cpu(0), dev(2)], distance: [[10, 30, 40], [30, 10, 50], [40, 50, 10]] });
    expect(c.nodes.map((n) => n.id)).toEqual([0, 1, 2]);
    // old order 1,0,2 → row for node 0 was old row 1
    expect(c.distance).toEqual([[10, 30, 50], [30, 10, 40], [50, 40, 10]]);
  });

  it('sorts zones into kernel order and checks their sum', () => {
    const c = parse({ nodes: [cpu(0, { zones: [{ type: 'NORMAL', size: '48MiB' }, { type: 'DMA32', size: '16MiB' }] })] });
    expect(c.nodes[0].zones.map((z) => z.type)).toEqual(['DMA32', 'NORMAL']);
    expect(issues({ nodes: [cpu(0, { zones: [{ type: 'NORMAL', size: '16MiB' }] })] })[0]).toMatchObject({ path: 'nodes.0.zones', message: expect.stringMatching(/sum to 16777216 bytes, capacity is 67108864/) });
  });

  it('keeps backend knobs as given', () => {
    const c = parse({ nodes: [cpu()], backends: { hmm: { variant: 'private', hostNode: 0 } } });
    expect(c.backends.hmm).toEqual({ variant: 'private', hostNode: 0 });
  });
});

describe('config schema errors', () => {
  it('names the path of an unknown key, at any depth', () => {
    expect(issues({ nodes: [cpu()], kernel: { thpp: 'always' } })[0]).toMatchObject({ code: 'unrecognized_keys', path: 'kernel' });
    expect(issues({ nodes: [cpu(), dev(1, { colour: 'red' })] })[0]).toMatchObject({ code: 'unrecognized_keys', path: 'nodes.1' });
    expect(issues({ nodes: [cpu()], extra: 1 })[0]).toMatchObject({ code: 'unrecognized_keys', path: '' });
  });

  it.each([
    [{ nodes: [cpu(), dev()], distance: [[10, 20]] }, 'distance', /1 rows, nodes has 2/],
    [{ nodes: [cpu(), dev()], distance: [[10, 20], [20]] }, 'distance.1', /square/],
    [{ nodes: [cpu(), dev()], distance: [[10, 20], [20, 12]] }, 'distance.1.1', /diagonal/],
    [{ nodes: [cpu(), dev()], distance: [[10, 9], [20, 10]] }, 'distance.0.1', /10/],
    [{ nodes: [cpu(), dev()], distance: [[10, 256], [20, 10]] }, 'distance.0.1', /255/],
  ])('rejects a bad distance matrix %#', (input, path, message) => {
    const [first] = issues(input);
    expect(first.path).toBe(path);
    expect(first.message).toMatch(message);
  });

  it.each([
    [{ nodes: [dev(0)] }, 'nodes', /at least one cpu node/],
    [{ nodes: [cpu(0), dev(0)] }, 'nodes.1.id', /used twice/],
    [{ nodes: [cpu(32)] }, 'nodes.0.id', /31/],
    [{ nodes: [{ id: 0, kind: 'cpu', capacity: '1GiB' }] }, 'nodes.0.cpus', /cpus ≥ 1/],
    [{ nodes: [cpu(), dev(1, { cpus: 4 })] }, 'nodes.1.cpus', /CPU-less/],
    [{ nodes: [cpu(0, { capacity: '6KiB' })] }, 'nodes.0.capacity', /multiple of pageSize/],
    [{ nodes: [cpu(0, { capacity: 0 })] }, 'nodes.0.capacity', /> 0/],
    [{ nodes: [cpu()], pageSize: '12KiB' }, 'pageSize', /power of two/],
    [{ nodes: [cpu()], pageSize: '2KiB' }, 'pageSize', /power of two ≥ 4KiB/],
    [{ nodes: [cpu(), dev()], links: [{ node: 0, latencyNs: 1, bandwidthGBps: 1 }] }, 'links.0.node', /cpu node/],
    [{ nodes: [cpu(), dev()], links: [{ node: 7, latencyNs: 1, bandwidthGBps: 1 }] }, 'links.0.node', /not in nodes/],
    [{ nodes: [cpu()], memcgs: [{ path: 'job', max: 'max' }] }, 'memcgs.0.path', /start/],
    [{ nodes: [cpu()], memcgs: [{ path: '/j', max: 'lots' }] }, 'memcgs.0.max', /"max" or a size/],
    [{ nodes: [cpu()], kernel: { numaBalancing: 4 } }, 'kernel.numaBalancing', /./],
    [{ nodes: [cpu()], kernel: { swappiness: 201 } }, 'kernel.swappiness', /200/],
    [{ nodes: [cpu()], kernel: { numaScanPeriodMinMs: 5000, numaScanPeriodMaxMs: 1000 } }, 'kernel.numaScanPeriodMinMs', /exceed/],
    [{ nodes: [cpu()], schema: 'cdm-replay/config@2' }, 'schema', /./],
  ])('rejects %j', (input, path, message) => {
    const [first] = issues(input);
    expect(first.path).toBe(path);
    expect(first.message).toMatch(message);
  });
});

describe('configJsonSchema', () => {
  it('describes the input side: strict objects, sizes as string or number', () => {
    const js = configJsonSchema() as {
      properties: Record<string, { items?: { properties: Record<string, { type?: unknown }>; additionalProperties?: boolean } }>;
      required: string[];
      additionalProperties: boolean;
    };
    expect(js.required).toEqual(['nodes']);
    expect(js.additionalProperties).toBe(false);
    const node = js.properties.nodes.items!;
    expect(node.additionalProperties).toBe(false);
    expect(node.properties.capacity.type).toEqual(['number', 'string']);
    expect(Object.keys(js.properties)).toEqual(expect.arrayContaining(['kernel', 'links', 'backends', 'distance', 'pageSize']));
  });
});
