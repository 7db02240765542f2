// Validating a backend's variant and knobs (`backends.<name>.*`), the same way for every design.
import type * as z from 'zod';
import { ConfigError } from '../errors.js';
import { PARSE_ONCE } from '../parse-once.js';

/** Checks `variant` against the backend's list and parses `knobs` with its schema; one-line errors. */
export function parseKnobs<S extends z.ZodType>(
  backend: string, schema: S, variants: readonly { name: string }[], variant: string | null, knobs: Record<string, unknown> | undefined,
): z.output<S> {
  if (variant !== null && !variants.some((v) => v.name === variant)) {
    const known = variants.map((v) => v.name).join(', ');
    throw new ConfigError(`backend ${backend} has no variant "${variant}"${known ? ` (known: ${known})` : ' (it has none)'}`);
  }
  const r = schema.safeParse(knobs ?? {}, PARSE_ONCE);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ConfigError(`config error: backends.${backend}.${i.path.join('.')}: ${i.message}`);
  }
  return r.data;
}
