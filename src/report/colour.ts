// The colour decision of DESIGN §5, made once by the CLI and passed to renderers. chalk's own
// detection ignores NO_COLOR and cli-table3 colours through its own library, so neither decides.
import { Chalk, type ChalkInstance } from 'chalk';

export type ColourLevel = 0 | 1 | 2 | 3;

export interface Colour {
  readonly enabled: boolean;
  readonly level: ColourLevel;
  /** Emits escape codes only when enabled: renderers may call it unconditionally. */
  readonly chalk: ChalkInstance;
}

export interface ColourInputs {
  /** Environment to read NO_COLOR / FORCE_COLOR from; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Whether the destination is a terminal; the CLI passes false when writing --out FILE. */
  isTTY?: boolean;
}

/**
 * FORCE_COLOR wins (Node's convention): "0"/"false" forces off, "2"/"3" pick a deeper level, any
 * other value (even empty) forces basic colour. Otherwise NO_COLOR set and non-empty turns colour
 * off (no-color.org), and a terminal turns it on.
 */
export function decideColour({ env = process.env, isTTY = process.stdout.isTTY === true }: ColourInputs = {}): Colour {
  return makeColour(decideLevel(env, isTTY));
}

function decideLevel(env: Record<string, string | undefined>, isTTY: boolean): ColourLevel {
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    const f = force.trim().toLowerCase();
    if (f === '0' || f === 'false') return 0;
    if (f === '2' || f === '3') return Number(f) as ColourLevel;
    return 1;
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  return isTTY ? 1 : 0;
}

export function makeColour(level: ColourLevel): Colour {
  return { enabled: level > 0, level, chalk: new Chalk({ level }) };
}

/** Colour off: what tests, files and pipes get. */
export const NO_COLOUR: Colour = makeColour(0);
