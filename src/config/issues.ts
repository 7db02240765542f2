// Turns a zod error into the one-line ConfigError of DESIGN §5:
// `config error: <file | --set K=V | preset NAME>: <dotted.key.path>: <message>`.
// The source is whichever layer last wrote the bad key, so users fix the right thing.
import type { z } from 'zod';
import { isPlainObject } from './merge.js';

type Path = readonly PropertyKey[];

export interface Origin {
  readonly label: string;
  owns(path: Path): boolean;
}

/** A --set (or sweep grid) key owns every path it is a prefix of, and every prefix of it. */
export function keyOrigin(label: string, key: string): Origin {
  const segs = key.split('.');
  return {
    label,
    owns: (path) => {
      const n = Math.min(segs.length, path.length);
      for (let i = 0; i < n; i++) if (segs[i] !== String(path[i])) return false;
      return true;
    },
  };
}

/** A raw layer (file, preset) owns the paths it spells out, and everything under a list it gave. */
export function rawOrigin(label: string, raw: unknown): Origin {
  return {
    label,
    owns: (path) => {
      let cur = raw;
      for (const seg of path) {
        if (Array.isArray(cur)) return true;
        if (!isPlainObject(cur) || !(String(seg) in cur)) return false;
        cur = cur[String(seg)];
      }
      return true;
    },
  };
}

/** The issue's key path; an unknown key is reported at its own path (`kernel.thpp`). */
export function issuePath(issue: z.core.$ZodIssue): PropertyKey[] {
  return issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : [...issue.path];
}

export function formatPath(path: Path): string {
  return path.length === 0 ? '(top level)' : path.map(String).join('.');
}

/**
 * One line for the first issue; `origins` are tried last-applied first, and `schema` lists the
 * valid keys when a key is unknown.
 */
export function formatIssues(error: z.ZodError, origins: readonly Origin[], fallback: string, schema: z.ZodType): string {
  const issue = error.issues[0];
  const path = issuePath(issue);
  const origin = [...origins].reverse().find((o) => o.owns(path));
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(schema, issue.path);
    const others = issue.keys.length > 1 ? `; also unknown: ${issue.keys.slice(1).join(', ')}` : '';
    message = `unknown key${known ? ` (expected one of: ${known.join(', ')})` : ''}${others}`;
  }
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return `config error: ${origin?.label ?? fallback}: ${formatPath(path)}: ${message}${more}`;
}

// Just enough of zod's internal definitions to walk the input side of the schema.
interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(s: z.ZodType): z.ZodType {
  for (;;) {
    const d = defOf(s);
    const next = d.type === 'pipe' ? d.in : d.innerType;
    if (!next) return s;
    s = next;
  }
}

/** Keys an object schema accepts at `path`, or undefined when the path does not lead to one. */
export function keysAt(schema: z.ZodType, path: Path): string[] | undefined {
  let s: z.ZodType | undefined = schema;
  for (const seg of path) {
    const d = defOf(unwrap(s));
    s = d.type === 'object' ? d.shape?.[String(seg)] : d.type === 'array' ? d.element : d.type === 'record' ? d.valueType : undefined;
    if (!s) return undefined;
  }
  const d = defOf(unwrap(s));
  return d.type === 'object' && d.shape ? Object.keys(d.shape) : undefined;
}
