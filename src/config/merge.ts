// Layering of raw (unvalidated) config objects: preset ← file ← --set (DESIGN §4a). Objects
// merge key by key; lists and scalars replace, so a config's `nodes` replaces the preset's.
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';

export type Raw = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structured clone of plain data (presets must never be mutated through a loaded config). */
export function cloneRaw<T>(v: T): T {
  return structuredClone(v);
}

/** Returns base with over laid on top: objects merge recursively, everything else replaces. */
export function deepMerge(base: Raw, over: Raw): Raw {
  const out: Raw = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Raw, v) : cloneRaw(v);
  }
  return out;
}

const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

/** Splits a dotted key; numeric segments index lists (`nodes.1.capacity`). */
export function splitKey(key: string): string[] {
  const segs = key.split('.');
  if (key === '' || segs.some((s) => s === '')) throw new Error(`"${key}" is not a dotted key path (e.g. kernel.swappiness, nodes.1.capacity)`);
  const bad = segs.find((s) => FORBIDDEN.has(s));
  if (bad !== undefined) throw new Error(`"${bad}" cannot be a config key`);
  return segs;
}

/**
 * Sets `value` at dotted `key` in `obj` (mutating it), creating objects on the way. A numeric
 * segment indexes a list; index == length appends. `null` deletes the key, restoring its default.
 * Throws ConfigError naming `source` (the --set argument, or a sweep grid key).
 */
export function applySet(obj: Raw, key: string, value: unknown, source = `--set ${key}`): void {
  const fail = (why: string): never => {
    throw new ConfigError(`config error: ${source}: ${key}: ${why}`, undefined, key);
  };
  let segs: string[] = [];
  try {
    segs = splitKey(key);
  } catch (e) {
    fail((e as Error).message);
  }
  let cur: unknown = obj;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    const last = i === segs.length - 1;
    const here = segs.slice(0, i).join('.') || '(top level)';
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(seg)) fail(`${here} is a list: index it with a number, not "${seg}"`);
      const idx = Number(seg);
      if (idx > cur.length) fail(`${here} has ${cur.length} entries; index ${idx} would leave a gap`);
      if (last) {
        if (value === null) cur.splice(idx, 1);
        else cur[idx] = cloneRaw(value);
        return;
      }
      if (cur[idx] === undefined || cur[idx] === null) cur[idx] = container(segs[i + 1]);
      cur = cur[idx];
    } else if (isPlainObject(cur)) {
      if (last) {
        if (value === null) delete cur[seg];
        else cur[seg] = cloneRaw(value);
        return;
      }
      if (cur[seg] === undefined || cur[seg] === null) cur[seg] = container(segs[i + 1]);
      cur = cur[seg];
    } else {
      fail(`${here} is ${describe(cur)}, not an object or list`);
    }
  }
}

/** Parses a --set value as YAML (`8GiB` → string, `0` → number, `true`, `[10, 20]`, `null`). */
export function parseSetValue(text: string): unknown {
  return text.trim() === '' ? null : parseYaml(text);
}

/** Splits a `KEY=VALUE` argument. */
export function parseSetArg(arg: string): { key: string; value: unknown } {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new ConfigError(`config error: --set ${arg}: expected KEY=VALUE (e.g. --set kernel.numaBalancing=0)`);
  const key = arg.slice(0, eq).trim();
  try {
    return { key, value: parseSetValue(arg.slice(eq + 1)) };
  } catch (e) {
    throw new ConfigError(`config error: --set ${arg}: ${key}: value is not valid YAML: ${firstLine((e as Error).message)}`, undefined, key);
  }
}

/** Node ids of a raw node list, or undefined while any id is not yet a valid integer. */
function rawIds(nodes: unknown): number[] | undefined {
  if (!Array.isArray(nodes)) return undefined;
  const ids = nodes.map((n) => (isPlainObject(n) && Number.isInteger(n.id) ? (n.id as number) : undefined));
  return ids.every((id) => id !== undefined) ? (ids as number[]) : undefined;
}

/**
 * The distance matrix for `nodes` that keeps the base's value for every pair of node ids the base
 * also had, and 10 (diagonal) / 20 elsewhere for the rest (DESIGN §4a).
 */
export function deriveDistance(base: Raw, nodes: unknown): number[][] | undefined {
  const ids = rawIds(nodes);
  if (ids === undefined) return undefined;
  const baseIds = rawIds(base.nodes) ?? [];
  const baseDist = Array.isArray(base.distance) ? (base.distance as unknown[]) : [];
  const at = new Map(baseIds.map((id, i) => [id, i]));
  return ids.map((a, i) =>
    ids.map((b, j) => {
      if (i === j) return 10;
      const bi = at.get(a);
      const bj = at.get(b);
      const row = bi === undefined ? undefined : baseDist[bi];
      const v = bj === undefined || !Array.isArray(row) ? undefined : row[bj];
      return typeof v === 'number' ? v : 20;
    }),
  );
}

/** The base's links that still lead to a device node of the same id in `nodes`. */
export function deriveLinks(base: Raw, nodes: unknown): unknown[] {
  const devices = new Set(
    (Array.isArray(nodes) ? nodes : []).filter((n) => isPlainObject(n) && n.kind === 'device').map((n) => (n as Raw).id),
  );
  const links = Array.isArray(base.links) ? base.links : [];
  return cloneRaw(links.filter((l) => isPlainObject(l) && devices.has(l.node)));
}

// A missing step becomes a list when the next segment indexes it (`memcgs.0.path`).
function container(next: string): Raw | unknown[] {
  return /^\d+$/.test(next) ? [] : {};
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  return typeof v === 'string' ? `the string ${JSON.stringify(v)}` : `a ${typeof v}`;
}

export function firstLine(s: string): string {
  return s.split('\n')[0].trim();
}
