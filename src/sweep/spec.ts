// The sweep spec (DESIGN §5a, `cdm-replay/sweep@1`): which traces, which backends, which base
// configuration and which grid of config overrides. YAML or JSON, validated by zod; every error
// is one line naming the spec file and the bad key's path (exit 2).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { parseBackendList } from '../backends/registry.js';
import { configSchema, loadConfig } from '../config/index.js';
import { keysAt } from '../config/issues.js';
import { CdmError, ConfigError } from '../errors.js';
import { PARSE_ONCE } from '../parse-once.js';

export const SWEEP_SCHEMA_ID = 'cdm-replay/sweep@1';

const GRID_KEY = /^[^.\s=]+(\.[^.\s=]+)*$/;
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

export const sweepSpecSchema = z
  .strictObject({
    traces: z.array(z.string().min(1)).min(1).meta({ description: 'trace files, relative to the spec file; run order follows this list' }),
    backends: z
      .array(z.string().min(1))
      .min(1)
      .meta({ description: 'backend names, NAME:VARIANT or all, as --backend; every grid point runs all of them in one pass' }),
    config: z.string().min(1).optional().meta({ description: 'base config file (as --config), relative to the spec file' }),
    preset: z.string().min(1).optional().meta({ description: 'machine preset (as --preset)' }),
    grid: z
      .record(z.string(), z.array(z.unknown()).min(1))
      .optional()
      .meta({ description: 'dotted config key (as --set) -> list of values; the cartesian product, first key varying slowest' }),
  })
  .meta({ title: `${SWEEP_SCHEMA_ID} spec`, description: 'cdm-replay sweep: traces × grid points × backends.' });

export type SweepSpec = z.output<typeof sweepSpecSchema>;

/** JSON Schema of the spec, printed by `cdm-replay schema sweep`. */
export function sweepJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(sweepSpecSchema) as Record<string, unknown>;
}

const pathText = (path: readonly PropertyKey[]): string =>
  path.length === 0 ? '(top level)' : path.map((s) => (String(s).includes('.') ? JSON.stringify(String(s)) : String(s))).join('.');

function specError(label: string, path: readonly PropertyKey[], message: string): ConfigError {
  return new ConfigError(`sweep spec error: ${label}: ${pathText(path)}: ${message}`, label, pathText(path));
}

/**
 * Validates a raw spec and returns it with its backend labels (`all` expanded) and grid keys.
 * Pure: no file is touched, so `merge` can re-check the spec a sweep.json carries.
 */
export function parseSpec(raw: unknown, label: string): { spec: SweepSpec; backends: string[]; gridKeys: string[] } {
  const res = sweepSpecSchema.safeParse(raw, PARSE_ONCE);
  if (!res.success) {
    const issue = res.error.issues.find((i) => i.code === 'unrecognized_keys') ?? res.error.issues[0];
    if (issue.code === 'unrecognized_keys') {
      throw specError(label, [...issue.path, issue.keys[0]], `unknown key (expected one of: ${Object.keys(sweepSpecSchema.shape).join(', ')})`);
    }
    throw specError(label, issue.path, issue.message);
  }
  const spec = res.data;
  const dup = (xs: string[], what: string, path: PropertyKey[]) => {
    const i = xs.findIndex((x, j) => xs.indexOf(x) !== j);
    if (i >= 0) throw specError(label, [...path, i], `${what} ${JSON.stringify(xs[i])} listed twice`);
  };
  dup(spec.traces, 'trace', ['traces']);
  if (spec.traces.includes('-')) throw specError(label, ['traces', spec.traces.indexOf('-')], 'a sweep reads trace files, not stdin');
  const backends: string[] = [];
  spec.backends.forEach((b, i) => {
    try {
      for (const c of parseBackendList(b)) {
        if (backends.includes(c.label)) throw new ConfigError(`backend ${c.label} listed twice`);
        backends.push(c.label);
      }
    } catch (e) {
      if (e instanceof CdmError) throw specError(label, ['backends', i], e.message);
      throw e;
    }
  });
  const grid = spec.grid ?? {};
  for (const [key, values] of Object.entries(grid)) {
    checkGridKey(key, label);
    dup(values.map((v) => JSON.stringify(v)), 'value', ['grid', key]);
  }
  return { spec, backends, gridKeys: Object.keys(grid) };
}

// A grid key is a dotted config path; known object levels of config@1 catch typos up front.
function checkGridKey(key: string, label: string): void {
  const segs = key.split('.');
  if (!GRID_KEY.test(key) || segs.some((s) => FORBIDDEN.has(s))) {
    throw specError(label, ['grid', key], 'not a dotted config key path (e.g. kernel.swappiness, nodes.1.capacity)');
  }
  for (let i = 0; i < segs.length; i++) {
    const known = keysAt(configSchema, segs.slice(0, i));
    if (known && !known.includes(segs[i])) {
      throw specError(label, ['grid', key], `unknown config key "${segs.slice(0, i + 1).join('.')}" (expected one of: ${known.join(', ')})`);
    }
  }
}

export interface LoadedSpec {
  /** The spec file as given, for messages. */
  file: string;
  spec: SweepSpec;
  backends: string[];
  gridKeys: string[];
  /** Absolute trace paths, in spec order. */
  tracePaths: string[];
  configPath?: string;
}

/** Reads, validates and resolves a spec file; also checks its traces exist and its base config loads. */
export function loadSpec(file: string): LoadedSpec {
  const raw = readSpecFile(file);
  const { spec, backends, gridKeys } = parseSpec(raw, file);
  const dir = dirname(resolve(file));
  const tracePaths = spec.traces.map((t, i) => {
    const abs = resolve(dir, t);
    let ok = false;
    try {
      ok = statSync(abs).isFile();
    } catch (e) {
      throw specError(file, ['traces', i], `cannot read ${JSON.stringify(t)} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!ok) throw specError(file, ['traces', i], `${JSON.stringify(t)} is not a file`);
    return abs;
  });
  const configPath = spec.config === undefined ? undefined : resolve(dir, spec.config);
  if (configPath !== undefined && !existsSync(configPath)) throw specError(file, ['config'], `cannot read ${JSON.stringify(spec.config)} (ENOENT)`);
  try {
    loadConfig({ preset: spec.preset, configFile: configPath }); // a bad base config fails the whole sweep (exit 2)
  } catch (e) {
    if (!(e instanceof CdmError) || configPath === undefined) throw e;
    throw new ConfigError(e.message.split(configPath).join(relative(process.cwd(), configPath)), file, 'config');
  }
  return { file, spec, backends, gridKeys, tracePaths, configPath };
}

function readSpecFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`sweep spec error: ${file}: cannot read the spec (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file);
  }
  try {
    return parseYaml(text) ?? {}; // JSON is YAML too
  } catch (e) {
    const pos = e instanceof YAMLParseError ? e.linePos?.[0] : undefined;
    const msg = (e as Error).message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(`sweep spec error: ${file}${pos ? `:${pos.line}:${pos.col}` : ''}: syntax: ${msg}`, file);
  }
}
