import { describe, expect, it } from 'vitest';
import { listPresets, loadConfig } from '../../src/config/load.js';
import { DEFAULT_PRESET, findPreset, presets } from '../../src/config/presets.js';
import { configSchema } from '../../src/config/schema.js';

const GiB = 2 ** 30;

describe('presets', () => {
  it('ships the machines DESIGN §4a names, plus two-node', () => {
    expect(presets.map((p) => p.name)).toEqual(['two-node', 'power9-v100', 'gh200', 'pcie-gpu', 'cxl-expander']);
    expect(DEFAULT_PRESET).toBe('two-node');
  });

  it.each(presets.map((p) => [p.name, p] as const))('%s validates, cites sources and links every device node', (_name, p) => {
    const r = configSchema.safeParse(p.config);
    expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
    expect(p.sources.length).toBeGreaterThan(0);
    expect(p.description).not.toBe('');
    const { warnings } = loadConfig({ preset: p.name });
    expect(warnings).toEqual([]);
  });

  it('gh200: real capacities, SLIT 80 and the measured C2C bandwidths (not the 450 GB/s spec)', () => {
    const { config } = loadConfig({ preset: 'gh200' });
    expect(config.nodes.map((n) => [n.kind, n.capacity / GiB])).toEqual([['cpu', 480], ['device', 96]]);
    expect(config.nodes[0].cpus).toBe(72);
    expect(config.distance).toEqual([[10, 80], [80, 10]]);
    expect(config.links[0]).toMatchObject({ node: 1, bandwidthGBps: 375, bandwidthFromGBps: 297 });
    expect(config.pageSize).toBe(4096);
    expect(findPreset('gh200')!.note).toMatch(/64 KiB/);
  });

  it('power9-v100: two sockets at 40, four V100 16 GiB nodes at 80, 64KiB pages', () => {
    const { config } = loadConfig({ preset: 'power9-v100' });
    expect(config.pageSize).toBe(64 * 1024);
    expect(config.nodes.filter((n) => n.kind === 'device').map((n) => n.capacity)).toEqual([16 * GiB, 16 * GiB, 16 * GiB, 16 * GiB]);
    expect(config.distance[0]).toEqual([10, 40, 80, 80, 80, 80]);
    expect(config.distance[3]).toEqual([80, 80, 80, 10, 80, 80]);
    expect(config.links.map((l) => l.node)).toEqual([2, 3, 4, 5]);
  });

  it('cxl-expander puts the expander in a lower memory tier (5 × 576)', () => {
    const { config } = loadConfig({ preset: 'cxl-expander' });
    expect(config.nodes.map((n) => n.tier)).toEqual([576, 2880]);
  });

  it('marks figures it could not source instead of inventing precision', () => {
    for (const name of ['power9-v100', 'gh200', 'cxl-expander']) {
      expect(findPreset(name)!.sources.join('\n')).toMatch(/\[unverified\]/);
    }
  });

  it('listPresets summarises nodes and sources for `cdm-replay presets`', () => {
    const info = listPresets();
    const gh = info.find((p) => p.name === 'gh200')!;
    expect(gh.nodes).toEqual(['0 cpu 480GiB 72 cpus "Grace LPDDR5X"', '1 device 96GiB "Hopper HBM3"']);
    expect(gh.pageSize).toBe('4KiB');
    expect(gh.sources.some((s) => s.includes('arXiv 2407.07850'))).toBe(true);
    expect(info.find((p) => p.name === 'two-node')!.nodes).toEqual(['0 cpu 64MiB 2 cpus', '1 device 32MiB']);
  });

  it('loading a preset never mutates it', () => {
    const before = JSON.stringify(presets);
    loadConfig({ preset: 'gh200', sets: ['nodes.1.capacity=8GiB', 'links.0.latencyNs=1'] });
    expect(JSON.stringify(presets)).toBe(before);
  });
});
