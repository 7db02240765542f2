// The sweep spec: zod-validated, strict, one-line errors naming the bad key's path (exit 2).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { loadSpec, parseSpec, sweepJsonSchema } from '../../src/sweep/spec.js';

function specError(raw: unknown): string {
  try {
    parseSpec(raw, 'spec.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).exitCode).toBe(2);
    const msg = (e as Error).message;
    expect(msg.split('\n')).toHaveLength(1);
    return msg;
  }
  throw new Error('expected a spec error');
}

describe('parseSpec', () => {
  it('accepts the DESIGN §5a example and expands backend lists', () => {
    const r = parseSpec(
      { traces: ['a.csv'], backends: ['numa', 'mainline', 'cdm:zonelist'], config: 'base.yaml', grid: { 'nodes.1.capacity': ['8MiB'], 'backends.hmm.variant': ['private'] } },
      'spec.yaml',
    );
    expect(r.backends).toEqual(['numa', 'mainline', 'cdm:zonelist']);
    expect(r.gridKeys).toEqual(['nodes.1.capacity', 'backends.hmm.variant']);
    expect(parseSpec({ traces: ['a.csv'], backends: ['all'] }, 's').backends.length).toBeGreaterThanOrEqual(3);
  });

  it('names the bad key in one line', () => {
    expect(specError({ traces: ['a.csv'], backends: ['numa'], gird: {} })).toMatch(/^sweep spec error: spec\.yaml: gird: unknown key/);
    expect(specError({ traces: ['a.csv'], backend: ['numa'] })).toContain('spec.yaml: backend: unknown key');
    expect(specError({ traces: 'a.csv', backends: ['numa'] })).toContain('spec.yaml: traces:');
    expect(specError({ traces: [], backends: ['numa'] })).toContain('spec.yaml: traces:');
    expect(specError({ traces: ['a.csv'], backends: ['numa', 'nope'] })).toContain('spec.yaml: backends.1: unknown backend "nope"');
    expect(specError({ traces: ['a.csv'], backends: ['cdm:nope'] })).toContain('backends.0:');
    expect(specError({ traces: ['a.csv', 'a.csv'], backends: ['numa'] })).toContain('traces.1: trace "a.csv" listed twice');
    expect(specError({ traces: ['a.csv'], backends: ['numa', 'numa'] })).toContain('backends.1:');
    expect(specError({ traces: ['a.csv'], backends: ['numa'], grid: { 'kernel.thp': 'never' } })).toContain('grid."kernel.thp":');
    expect(specError({ traces: ['a.csv'], backends: ['numa'], grid: { 'kernel.thp': [] } })).toContain('grid."kernel.thp":');
    expect(specError({ traces: ['a.csv'], backends: ['numa'], grid: { 'kernel.thp': ['never', 'never'] } })).toContain('grid."kernel.thp".1:');
    expect(specError({ traces: ['a.csv'], backends: ['numa'], grid: { 'kernel.thpp': ['never'] } })).toContain('unknown config key "kernel.thpp"');
    expect(specError({ traces: ['a.csv'], backends: ['numa'], grid: { 'nodes..capacity': [1] } })).toContain('not a dotted config key path');
    expect(specError({ traces: ['-'], backends: ['numa'] })).toContain('traces.0:');
  });

  it('has a JSON Schema', () => {
    const s = sweepJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(s.properties)).toEqual(['traces', 'backends', 'config', 'preset', 'grid']);
    expect(s.required).toEqual(['traces', 'backends']);
  });
});

describe('loadSpec', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cdm-spec-'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 't.csv'), 'op,addr\nwrite,0x1000\n');
  writeFileSync(join(dir, 'sub', 'base.yaml'), 'preset: two-node\nkernel: { thp: never }\n');

  it('resolves traces and config relative to the spec file, YAML or JSON', () => {
    writeFileSync(join(dir, 'sub', 's.yaml'), 'traces: [t.csv]\nbackends: [mainline]\nconfig: base.yaml\n');
    writeFileSync(join(dir, 'sub', 's.json'), JSON.stringify({ traces: ['t.csv'], backends: ['mainline'] }));
    const y = loadSpec(join(dir, 'sub', 's.yaml'));
    expect(y.tracePaths).toEqual([join(dir, 'sub', 't.csv')]);
    expect(y.configPath).toBe(join(dir, 'sub', 'base.yaml'));
    expect(loadSpec(join(dir, 'sub', 's.json')).spec.traces).toEqual(['t.csv']);
  });

  it('fails the whole sweep (exit 2) on a missing trace, a bad base config or bad syntax', () => {
    const cases: [string, RegExp][] = [
      ['traces: [t.csv, missing.csv]\nbackends: [mainline]\n', /traces\.1: cannot read "missing\.csv"/],
      ['traces: [t.csv]\nbackends: [mainline]\nconfig: none.yaml\n', /config: cannot read "none\.yaml"/],
      ['traces: [t.csv]\nbackends: [mainline]\npreset: no-such\n', /unknown preset/],
      ['traces: [t.csv\n', /bad\.yaml:\d+:\d+: syntax/],
    ];
    for (const [text, re] of cases) {
      writeFileSync(join(dir, 'sub', 'bad.yaml'), text);
      expect(() => loadSpec(join(dir, 'sub', 'bad.yaml')), text).toThrow(re);
    }
  });
});
