// config@1 -> guest machine and settings (docs/fidelity.md "Machine mapping").
import { describe, expect, it } from 'vitest';
import { ConfigError, ExitCode } from '../../src/errors.js';
import { loadConfig } from '../../src/config/index.js';
import { guestSetup, guestZones, minNode0Bytes } from '../../src/kernel-check/machine.js';
import { MIN_FIRST_NODE_BYTES } from '../../src/kernel-check/topology.js';
import { fidelityConfig } from './fixtures.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

function failure(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).exitCode).toBe(ExitCode.usage);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('guest setup from config@1', () => {
  it('maps the fidelity machine: nodes, CPUs, distances, kernel knobs and memcg limits', () => {
    const config = fidelityConfig(['kernel.thp=always', 'kernel.numaBalancing=1', 'memcgs=[{path: /job, max: 16MiB}, {path: /free, max: max}]']);
    const s = guestSetup(config, 4096);
    expect(s.machine).toEqual({
      nodes: [{ id: 0, kind: 'cpu', capacityBytes: GiB, cpus: 2 }, { id: 1, kind: 'device', capacityBytes: GiB, cpus: 0 }],
      distance: [[10, 20], [20, 10]],
    });
    expect(s.options).toEqual({ numaBalancing: 1, thp: 'always', memcgs: [{ path: '/job', maxBytes: 16 * MiB }, { path: '/free' }] });
    expect(s.warnings).toEqual([]); // its zones are the guest's
  });

  it('passes only the kernel knobs that differ from the kernel\'s defaults', () => {
    const s = guestSetup(fidelityConfig(['kernel.swappiness=10', 'kernel.minFreeKbytes=8192', 'kernel.numaScanDelayMs=200']));
    expect(s.options).toMatchObject({ swappiness: 10, minFreeKbytes: 8192, numaScanDelayMs: 200 });
    expect(s.options).not.toHaveProperty('watermarkScaleFactor');
  });

  it('warns where the guest differs: default zones, tiers, the 4.11 watermark model', () => {
    const { config } = loadConfig({ sets: ['nodes=[{id: 0, kind: cpu, capacity: 1GiB, cpus: 2}, {id: 1, kind: device, capacity: 1GiB, tier: 700}]', 'kernel.watermarkModel=4.11'] });
    const w = guestSetup(config).warnings.join('\n');
    expect(w).toContain("nodes.0.zones: the guest's node 0 has DMA 16MiB + DMA32 1008MiB, the config models NORMAL 1024MiB");
    expect(w).toContain("nodes.1.zones: the guest's node 1 has DMA32 1024MiB, the config models MOVABLE 1024MiB");
    expect(w).toContain('nodes.1.tier');
    expect(w).toContain('watermarkModel is 4.11');
  });

  it.each([
    ['the default two-node preset (64 MiB node 0)', [], 'nodes.0.capacity'],
    ['a 64 KiB page size', ['pageSize=64KiB', 'nodes.0.capacity=1GiB'], 'pageSize'],
    ['swap', ['swap=64MiB', 'nodes.0.capacity=1GiB'], 'swap'],
    ['memory.high', ['nodes.0.capacity=1GiB', 'memcgs=[{path: /a, max: 8MiB, high: 4MiB}]'], 'memcgs.0.high'],
  ] as const)('rejects %s with exit 2 naming the key', (_what, sets, key) => {
    const { config } = loadConfig({ sets: [...sets] });
    const e = failure(() => guestSetup(config));
    expect(e.keyPath).toBe(key);
  });

  it('needs node 0 large enough for the kernel plus three copies of the trace', () => {
    expect(minNode0Bytes(0)).toBe(MIN_FIRST_NODE_BYTES);
    expect(minNode0Bytes(100 * MiB)).toBe(MIN_FIRST_NODE_BYTES + 300 * MiB);
    const { config } = loadConfig({ sets: ['nodes.0.capacity=256MiB'] });
    expect(guestSetup(config, 10 * MiB).machine.nodes[0].capacityBytes).toBe(256 * MiB);
    const e = failure(() => guestSetup(config, 100 * MiB));
    expect(e.keyPath).toBe('nodes.0.capacity');
    expect(e.message).toContain('at least 428 MiB');
  });
});

describe('guest zones (x86-64 pc machine, nodes laid out in id order)', () => {
  it('puts the first 16 MiB in ZONE_DMA and the rest below 4 GiB in ZONE_DMA32', () => {
    expect(guestZones([GiB, GiB])).toEqual([
      [{ type: 'DMA', bytes: 16 * MiB }, { type: 'DMA32', bytes: 1008 * MiB }],
      [{ type: 'DMA32', bytes: GiB }],
    ]);
  });

  it('moves RAM above 3 GiB to 4 GiB and up (ZONE_NORMAL) once the guest has 3.5 GiB or more', () => {
    expect(guestZones([2 * GiB, 4 * GiB])).toEqual([
      [{ type: 'DMA', bytes: 16 * MiB }, { type: 'DMA32', bytes: 2 * GiB - 16 * MiB }],
      [{ type: 'DMA32', bytes: GiB }, { type: 'NORMAL', bytes: 3 * GiB }],
    ]);
  });
});
