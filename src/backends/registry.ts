// Backends by name: adding a design is one module plus one line here.
import { UsageError } from '../errors.js';
import { cdm } from './cdm.js';
import { hmm } from './hmm.js';
import { mainline } from './mainline.js';
import { numa } from './numa.js';
import type { BackendDef } from './types.js';

export const BACKENDS: readonly BackendDef[] = [numa, cdm, mainline, hmm];

export function getBackend(name: string): BackendDef {
  const b = BACKENDS.find((x) => x.name === name);
  if (!b) throw new UsageError(`unknown backend "${name}" (known: ${BACKENDS.map((x) => x.name).join(', ')}, all)`);
  return b;
}

export interface BackendChoice {
  /** As written, e.g. "hmm:private"; the report column. */
  label: string;
  def: BackendDef;
  variant: string | null;
}

/** Parses `--backend`: names, a comma list, `all`, and NAME:VARIANT. */
export function parseBackendList(arg: string): BackendChoice[] {
  const out: BackendChoice[] = [];
  for (const raw of arg.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (raw === 'all') {
      for (const def of BACKENDS) if (!out.some((o) => o.label === def.name)) out.push({ label: def.name, def, variant: null });
      continue;
    }
    const [name, variant] = raw.split(':');
    const def = getBackend(name);
    if (variant !== undefined && !def.variants.some((v) => v.name === variant)) {
      throw new UsageError(`backend ${name} has no variant "${variant}" (known: ${def.variants.map((v) => v.name).join(', ') || 'none'})`);
    }
    if (out.some((o) => o.label === raw)) continue;
    out.push({ label: raw, def, variant: variant ?? null });
  }
  if (out.length === 0) throw new UsageError('--backend: no backend named');
  return out;
}
