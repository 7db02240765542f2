import { describe, expect, it } from 'vitest';
import { NO_COLOUR, decideColour } from '../../src/report/colour.js';

describe('colour decision (DESIGN §5)', () => {
  const cases: [string, Record<string, string>, boolean, number][] = [
    ['terminal', {}, true, 1],
    ['pipe', {}, false, 0],
    ['terminal with NO_COLOR=1', { NO_COLOR: '1' }, true, 0],
    ['terminal with empty NO_COLOR', { NO_COLOR: '' }, true, 1],
    ['pipe with FORCE_COLOR=1', { FORCE_COLOR: '1' }, false, 1],
    ['pipe with empty FORCE_COLOR', { FORCE_COLOR: '' }, false, 1],
    ['pipe with FORCE_COLOR=true', { FORCE_COLOR: 'true' }, false, 1],
    ['pipe with FORCE_COLOR=3', { FORCE_COLOR: '3' }, false, 3],
    ['terminal with FORCE_COLOR=0', { FORCE_COLOR: '0' }, true, 0],
    ['terminal with FORCE_COLOR=false', { FORCE_COLOR: 'false' }, true, 0],
    ['pipe with NO_COLOR and FORCE_COLOR: forcing wins', { NO_COLOR: '1', FORCE_COLOR: '1' }, false, 1],
    ['terminal with NO_COLOR and FORCE_COLOR=0', { NO_COLOR: '1', FORCE_COLOR: '0' }, true, 0],
  ];
  it.each(cases)('%s', (_name, env, isTTY, level) => {
    const c = decideColour({ env, isTTY });
    expect(c.level).toBe(level);
    expect(c.enabled).toBe(level > 0);
    // The chalk instance follows the decision, not chalk's own environment sniffing.
    expect(c.chalk.red('x').includes('\u001b')).toBe(level > 0);
  });

  it('NO_COLOUR never emits escape codes', () => {
    expect(NO_COLOUR.enabled).toBe(false);
    expect(NO_COLOUR.chalk.bold.green('ok')).toBe('ok');
  });
});
