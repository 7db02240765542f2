// Builds the effective configuration (DESIGN §4a): preset, then the config file, then each
// --set in order, then one zod validation. Which preset is the base:
//   --preset NAME (wins over a `preset:` key in the file, with a warning when they differ),
//   else the file's `preset:`, else `two-node` when no file is given at all;
//   a file without any preset stands alone and must describe the machine itself.
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigError } from '../errors.js';
import { formatIssues, keyOrigin, rawOrigin, type Origin } from './issues.js';
import {
  applySet,
  cloneRaw,
  deepMerge,
  deriveDistance,
  deriveLinks,
  firstLine,
  isPlainObject,
  parseSetArg,
  type Raw,
} from './merge.js';
import { DEFAULT_PRESET, findPreset, presetNames, presets } from './presets.js';
import { configSchema, type Config } from './schema.js';
import { formatSize } from './size.js';
import { PARSE_ONCE } from '../parse-once.js';

export { applySet, parseSetArg, parseSetValue } from './merge.js';

export interface LoadOptions {
  /** A shipped preset name (`cdm-replay presets`). */
  preset?: string;
  /** Path of a YAML or JSON config file. */
  configFile?: string;
  /** `KEY=VALUE` overrides, applied in order after the file. */
  sets?: readonly string[];
}

export interface LoadedConfig {
  config: Config;
  /** For stderr; never fatal. */
  warnings: string[];
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const warnings: string[] = [];
  const file = opts.configFile === undefined ? undefined : readConfigFile(opts.configFile);
  const fileLabel = opts.configFile ?? '';
  const filePreset = file?.preset;
  if (filePreset !== undefined && typeof filePreset !== 'string') {
    throw new ConfigError(`config error: ${fileLabel}: preset: expected a preset name (one of: ${presetNames().join(', ')})`, fileLabel, 'preset');
  }
  if (opts.preset !== undefined && filePreset !== undefined && opts.preset !== filePreset) {
    warnings.push(`--preset ${opts.preset} overrides "preset: ${filePreset}" in ${fileLabel}`);
  }
  const presetName = opts.preset ?? filePreset ?? (file === undefined ? DEFAULT_PRESET : undefined);
  const base: Raw = presetName === undefined ? {} : (cloneRaw(requirePreset(presetName, opts.preset ? `--preset ${opts.preset}` : fileLabel).config) as Raw);

  const origins: Origin[] = [];
  if (presetName !== undefined) origins.push(rawOrigin(`preset ${presetName}`, base));
  // merged never shares objects with base: --set must not rewrite what derivation compares against.
  let merged: Raw = cloneRaw(base);
  if (file !== undefined) {
    merged = deepMerge(merged, file);
    origins.push(rawOrigin(fileLabel, file));
  }
  // A layer that gives nodes but no distance/links keeps the base's where node ids match.
  const userGave = { distance: file?.distance !== undefined, links: file?.links !== undefined };
  const rederive = () => {
    if (!userGave.distance) setOrDelete(merged, 'distance', deriveDistance(base, merged.nodes));
    if (!userGave.links) merged.links = deriveLinks(base, merged.nodes);
  };
  rederive();
  for (const arg of opts.sets ?? []) {
    const { key, value } = parseSetArg(arg);
    applySet(merged, key, value, `--set ${arg}`);
    const top = key.split('.')[0];
    if (top === 'distance' || top === 'links') userGave[top] = true;
    origins.push(keyOrigin(`--set ${arg}`, key));
  }
  if (opts.sets?.length) rederive();
  if (presetName !== undefined) merged.preset = presetName;
  else if (merged.nodes === undefined) {
    throw new ConfigError(`config error: ${fileLabel}: nodes: required: the config names no preset, so it must list its nodes`, fileLabel, 'nodes');
  }

  const parsed = configSchema.safeParse(merged, PARSE_ONCE);
  if (!parsed.success) {
    const line = formatIssues(parsed.error, origins, presetName ? `preset ${presetName}` : fileLabel || 'config', configSchema);
    throw new ConfigError(line, opts.configFile);
  }
  const config = parsed.data;
  const linked = new Set(config.links.map((l) => l.node));
  for (const node of config.nodes) {
    if (node.kind === 'device' && !linked.has(node.id)) {
      warnings.push(`device node ${node.id} has no link: its accesses cost nothing extra`);
    }
  }
  return { config, warnings };
}

function requirePreset(name: string, label: string) {
  const p = findPreset(name);
  if (!p) throw new ConfigError(`config error: ${label}: preset: unknown preset "${name}" (known: ${presetNames().join(', ')})`, undefined, 'preset');
  return p;
}

function setOrDelete(obj: Raw, key: string, value: unknown): void {
  if (value === undefined) delete obj[key];
  else obj[key] = value;
}

/** Reads a YAML (or, by extension, JSON) config; errors name the file and, for syntax, the line. */
export function readConfigFile(path: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`config error: ${path}: cannot read the config file (${code ?? firstLine((e as Error).message)})`, path);
  }
  const data = path.toLowerCase().endsWith('.json') ? parseJson(text, path) : parseYamlText(text, path);
  if (data === null || data === undefined) return {};
  if (!isPlainObject(data)) {
    throw new ConfigError(`config error: ${path}: (top level): expected a mapping of config keys, got ${Array.isArray(data) ? 'a list' : typeof data}`, path);
  }
  return data;
}

function parseYamlText(text: string, path: string): unknown {
  try {
    return parseYaml(text);
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const pos = e.linePos?.[0];
      const where = pos ? `:${pos.line}:${pos.col}` : '';
      const msg = firstLine(e.message).replace(/ at line \d+, column \d+:?$/, '');
      throw new ConfigError(`config error: ${path}${where}: YAML syntax: ${msg}`, path);
    }
    throw new ConfigError(`config error: ${path}: ${firstLine((e as Error).message)}`, path);
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    // V8 names a position for most JSON errors; the rest are reported without a line.
    const msg = firstLine((e as Error).message);
    const at = /position (\d+)/.exec(msg);
    let where = '';
    if (at) {
      const before = text.slice(0, Number(at[1]));
      const line = before.split('\n').length;
      where = `:${line}:${before.length - before.lastIndexOf('\n')}`;
    }
    throw new ConfigError(`config error: ${path}${where}: JSON syntax: ${msg}`, path);
  }
}

export interface PresetInfo {
  name: string;
  description: string;
  /** One line per node, e.g. `1 device 96GiB "Hopper HBM3"`. */
  nodes: string[];
  pageSize: string;
  note: string;
  sources: readonly string[];
}

/** What `cdm-replay presets` prints: each preset validated and summarised. */
export function listPresets(): PresetInfo[] {
  return presets.map((p) => {
    const { config } = loadConfig({ preset: p.name });
    return {
      name: p.name,
      description: p.description,
      nodes: config.nodes.map((n) => {
        const cpus = n.kind === 'cpu' ? ` ${n.cpus} cpus` : '';
        const name = n.name === undefined ? '' : ` "${n.name}"`;
        return `${n.id} ${n.kind} ${formatSize(n.capacity)}${cpus}${name}`;
      }),
      pageSize: formatSize(config.pageSize),
      note: p.note,
      sources: p.sources,
    };
  });
}
