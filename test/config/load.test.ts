import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ExitCode } from '../../src/errors.js';
import { loadConfig, type LoadOptions } from '../../src/config/load.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cdm-config-'));
});
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
/** The ConfigError a load throws (failing the test if it does not). */
function failure(opts: LoadOptions): ConfigError {
  try {
    loadConfig(opts);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).exitCode).toBe(ExitCode.usage);
    expect((e as Error).message).not.toContain('\n');
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const MiB = 2 ** 20;
const GiB = 2 ** 30;

describe('loadConfig: base preset', () => {
  it('uses two-node when neither --preset nor --config is given', () => {
    const { config, warnings } = loadConfig();
    expect(config.preset).toBe('two-node');
    expect(config.nodes.map((n) => n.capacity)).toEqual([64 * MiB, 32 * MiB]);
    expect(warnings).toEqual([]);
  });

  it('rejects an unknown preset, listing the known ones', () => {
    expect(failure({ preset: 'cray-1' }).message).toBe(
      'config error: --preset cray-1: preset: unknown preset "cray-1" (known: two-node, power9-v100, gh200, pcie-gpu, cxl-expander)',
    );
  });

  it("takes the file's preset, and lets --preset override it with a warning", () => {
    const f = file('p.yaml', 'preset: gh200\nswap: 1GiB\n');
    expect(loadConfig({ configFile: f }).config.preset).toBe('gh200');
    const { config, warnings } = loadConfig({ configFile: f, preset: 'pcie-gpu' });
    expect(config.preset).toBe('pcie-gpu');
    expect(config.swap).toBe(GiB);
    expect(warnings).toEqual([`--preset pcie-gpu overrides "preset: gh200" in ${f}`]);
  });

  it('a file without a preset stands alone and must list nodes', () => {
    const f = file('alone.yaml', 'swap: 0\n');
    expect(failure({ configFile: f }).message).toBe(`config error: ${f}: nodes: required: the config names no preset, so it must list its nodes`);
    const g = file('alone2.yaml', 'nodes: [{ id: 0, kind: cpu, capacity: 1GiB, cpus: 1 }]\n');
    const { config } = loadConfig({ configFile: g });
    expect(config.preset).toBeUndefined();
    expect(config.distance).toEqual([[10]]);
  });
});

describe('loadConfig: files', () => {
  it('reads YAML, merging objects key by key over the preset', () => {
    const f = file(
      'c.yaml',
      ['preset: gh200', 'kernel:', '  numaBalancing: 2', '  watermarkModel: 4.11', 'memcgs:', '  - { path: /job, max: 32MiB }', 'backends:', '  hmm: { variant: private }'].join('\n'),
    );
    const { config } = loadConfig({ configFile: f });
    expect(config.kernel.numaBalancing).toBe(2);
    expect(config.kernel.watermarkModel).toBe('4.11');
    expect(config.kernel.swappiness).toBe(60); // untouched default survives the merge
    expect(config.memcgs[0].max).toBe(32 * MiB);
    expect(config.backends).toEqual({ hmm: { variant: 'private' } });
    expect(config.nodes[1].capacity).toBe(96 * GiB); // preset nodes kept
  });

  it('reads JSON', () => {
    const f = file('c.json', JSON.stringify({ preset: 'two-node', pageSize: '16KiB', timing: { eventNs: 5 } }));
    const { config } = loadConfig({ configFile: f });
    expect(config.pageSize).toBe(16 * 1024);
    expect(config.timing.eventNs).toBe(5);
  });

  it('names the file and line of a YAML syntax error', () => {
    const f = file('bad.yaml', 'preset: gh200\nkernel:\n  thp: [always\n');
    expect(failure({ configFile: f }).message).toMatch(new RegExp(`^config error: ${escape(f)}:\\d+:\\d+: YAML syntax: `));
    const g = file('dup.yaml', 'swap: 0\nswap: 1\n');
    expect(failure({ configFile: g }).message).toMatch(new RegExp(`^config error: ${escape(g)}:2:1: YAML syntax: Map keys must be unique$`));
  });

  it('names the file and line of a JSON syntax error', () => {
    const f = file('bad.json', '{\n  "swap": 0,\n  "pageSize": 1 2\n}\n');
    expect(failure({ configFile: f }).message).toBe(`config error: ${f}:3:17: JSON syntax: Expected ',' or '}' after property value in JSON at position 31`);
    const g = file('bad2.json', '{"a": }');
    expect(failure({ configFile: g }).message).toMatch(new RegExp(`^config error: ${escape(g)}: JSON syntax: `));
  });

  it('names a missing file and a non-mapping file', () => {
    expect(failure({ configFile: join(dir, 'nope.yaml') }).message).toMatch(/nope\.yaml: cannot read the config file \(ENOENT\)/);
    const f = file('list.yaml', '- 1\n- 2\n');
    expect(failure({ configFile: f }).message).toBe(`config error: ${f}: (top level): expected a mapping of config keys, got a list`);
  });

  it('reports a bad key as one line naming the file and the dotted path', () => {
    const f = file('k.yaml', 'preset: gh200\nkernel:\n  thpp: never\n');
    const e = failure({ configFile: f });
    expect(e.message).toMatch(new RegExp(`^config error: ${escape(f)}: kernel\\.thpp: unknown key \\(expected one of: thp, numaBalancing, `));
    const g = file('n.yaml', 'preset: two-node\nnodes:\n  - { id: 0, kind: cpu, capacity: 64MiB, cpus: 2 }\n  - { id: 1, kind: device, capacity: 12XB }\n');
    expect(failure({ configFile: g }).message).toMatch(new RegExp(`^config error: ${escape(g)}: nodes\\.1\\.capacity: "12XB" is not a size`));
  });
});

describe('loadConfig: --set', () => {
  it('overrides nested and list paths, values read as YAML scalars', () => {
    const { config } = loadConfig({
      preset: 'gh200',
      sets: ['nodes.1.capacity=8GiB', 'backends.hmm.variant=private', 'kernel.numaBalancing=0', 'kernel.demotion=true', 'memcgs.0.path=/job', 'memcgs.0.max=max'],
    });
    expect(config.nodes[1].capacity).toBe(8 * GiB);
    expect(config.nodes[1].zones).toEqual([{ type: 'MOVABLE', size: 8 * GiB }]);
    expect(config.backends.hmm).toEqual({ variant: 'private' });
    expect(config.kernel.numaBalancing).toBe(0);
    expect(config.kernel.demotion).toBe(true);
    expect(config.memcgs).toEqual([{ path: '/job', max: 'max', high: 'max', swapMax: 'max' }]);
  });

  it('applies after the file, in order', () => {
    const f = file('s.yaml', 'preset: two-node\nswap: 1GiB\n');
    expect(loadConfig({ configFile: f, sets: ['swap=2GiB', 'swap=3GiB'] }).config.swap).toBe(3 * GiB);
  });

  it('blames the --set for a bad value, not the preset', () => {
    expect(failure({ preset: 'gh200', sets: ['kernel.swappiness=300'] }).message).toMatch(/^config error: --set kernel\.swappiness=300: kernel\.swappiness: /);
    expect(failure({ sets: ['kernel.thpp=1'] }).message).toMatch(/^config error: --set kernel\.thpp=1: kernel\.thpp: unknown key/);
  });

  it('rejects malformed arguments and paths', () => {
    expect(failure({ sets: ['swap'] }).message).toBe('config error: --set swap: expected KEY=VALUE (e.g. --set kernel.numaBalancing=0)');
    expect(failure({ sets: ['nodes.x.capacity=1'] }).message).toMatch(/nodes is a list: index it with a number/);
    expect(failure({ sets: ['nodes.5.capacity=1GiB'] }).message).toMatch(/nodes has 2 entries; index 5 would leave a gap/);
    expect(failure({ sets: ['pageSize.x=1'] }).message).toBe('config error: --set pageSize.x=1: pageSize.x: pageSize is the string "4KiB", not an object or list');
    expect(failure({ sets: ['__proto__.polluted=1'] }).message).toMatch(/cannot be a config key/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('loadConfig: replacing nodes', () => {
  it('keeps preset distance and links only for node ids the preset had', () => {
    const f = file(
      'r.yaml',
      ['preset: power9-v100', 'nodes:', '  - { id: 0, kind: cpu, capacity: 64MiB, cpus: 4 }', '  - { id: 2, kind: device, capacity: 16MiB }', '  - { id: 9, kind: device, capacity: 16MiB }'].join('\n'),
    );
    const { config, warnings } = loadConfig({ configFile: f });
    expect(config.distance).toEqual([
      [10, 80, 20],
      [80, 10, 20],
      [20, 20, 10],
    ]);
    expect(config.links.map((l) => l.node)).toEqual([2]);
    expect(warnings).toEqual(['device node 9 has no link: its accesses cost nothing extra']);
  });

  it('drops a link whose node id became a cpu node', () => {
    const f = file('k2.yaml', 'preset: gh200\nnodes:\n  - { id: 0, kind: cpu, capacity: 1GiB, cpus: 1 }\n  - { id: 1, kind: cpu, capacity: 1GiB, cpus: 1 }\n');
    const { config } = loadConfig({ configFile: f });
    expect(config.links).toEqual([]);
    expect(config.distance).toEqual([[10, 80], [80, 10]]); // ids match: distance kept
  });

  it('uses the distance and links the file gives instead', () => {
    const f = file(
      'd.yaml',
      'preset: gh200\nnodes:\n  - { id: 0, kind: cpu, capacity: 1GiB, cpus: 1 }\n  - { id: 4, kind: device, capacity: 1GiB }\ndistance: [[10, 30], [30, 10]]\nlinks: [{ node: 4, latencyNs: 5, bandwidthGBps: 6 }]\n',
    );
    const { config, warnings } = loadConfig({ configFile: f });
    expect(config.distance).toEqual([[10, 30], [30, 10]]);
    expect(config.links).toEqual([{ node: 4, latencyNs: 5, bandwidthGBps: 6, bandwidthFromGBps: 6 }]);
    expect(warnings).toEqual([]);
  });

  it('re-derives distance when --set adds a node', () => {
    const { config, warnings } = loadConfig({ sets: ['nodes.2={id: 2, kind: device, capacity: 8MiB}'] });
    expect(config.distance).toEqual([[10, 20, 20], [20, 10, 20], [20, 20, 10]]);
    expect(warnings).toEqual(['device node 2 has no link: its accesses cost nothing extra']);
  });

  it('lets --set edit the derived matrix', () => {
    const { config } = loadConfig({ preset: 'gh200', sets: ['distance.0.1=40'] });
    expect(config.distance).toEqual([[10, 40], [80, 10]]);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
