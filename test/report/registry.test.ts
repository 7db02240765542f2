import { describe, expect, it } from 'vitest';
import { ExitCode, UsageError } from '../../src/errors.js';
import { NO_COLOUR } from '../../src/report/colour.js';
import { getRenderer, rendererNames } from '../../src/report/registry.js';
import { sampleReport } from './sample-report.js';

describe('renderer registry', () => {
  it('knows table, json, csv, markdown and html', () => {
    expect(rendererNames()).toEqual(['table', 'json', 'csv', 'markdown', 'html']);
    expect(getRenderer('csv')(sampleReport(), { colour: NO_COLOUR }).startsWith('backend,metric,value\n')).toBe(true);
    expect(getRenderer('markdown')(sampleReport(), { colour: NO_COLOUR }).startsWith('### ')).toBe(true);
    expect(getRenderer('json')(sampleReport(), { colour: NO_COLOUR }).startsWith('{\n')).toBe(true);
    expect(getRenderer('table')(sampleReport(), { colour: NO_COLOUR })).toContain('remote_accesses');
  });

  it('rejects an unknown format with a usage error listing the known ones', () => {
    let err: unknown;
    try {
      getRenderer('xml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.usage);
    expect((err as Error).message).toBe('unknown format "xml" (known: table, json, csv, markdown, html)');
    expect(() => getRenderer('toString')).toThrow(UsageError);
  });
});
