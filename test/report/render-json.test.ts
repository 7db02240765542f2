import { describe, expect, it } from 'vitest';
import { renderJson } from '../../src/report/render-json.js';
import { parseReport, type Report } from '../../src/report/schema.js';
import { sampleReport } from './sample-report.js';

/** The same content with every object's keys in reverse insertion order. */
function reversed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversed);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)]));
}

describe('json renderer', () => {
  it('writes 2-space indented JSON with a trailing newline that reads back as the report', () => {
    const out = renderJson(sampleReport());
    expect(out.endsWith('}\n')).toBe(true);
    expect(out.split('\n')[1]).toBe('  "schema": "cdm-replay/report@1",');
    expect(JSON.parse(out)).toEqual(parseReport(sampleReport()));
  });

  it('is byte-identical for identical input', () => {
    expect(renderJson(sampleReport())).toBe(renderJson(sampleReport()));
  });

  it('does not depend on the order the producer built the objects in', () => {
    const shuffled = reversed(sampleReport()) as Report;
    expect(Object.keys(shuffled)[0]).toBe('warnings'); // the shuffle really changed the order
    expect(renderJson(shuffled)).toBe(renderJson(sampleReport()));
  });

  it('puts fixed keys in schema order and sorts counter maps', () => {
    const parsed = JSON.parse(renderJson(sampleReport()));
    expect(Object.keys(parsed)).toEqual(['schema', 'tool', 'trace', 'machine', 'config', 'backends', 'warnings']);
    const b = parsed.backends[3];
    expect(Object.keys(b).slice(0, 5)).toEqual(['label', 'name', 'variant', 'description', 'config']);
    expect(Object.keys(b).at(-1)).toBe('cost');
    expect(Object.keys(b.vmstat)).toEqual([...Object.keys(b.vmstat)].sort());
    expect(Object.keys(b.placement.remote_accesses_by_agent)).toEqual(['cpu0', 'dev0']);
  });

  it('refuses an invalid report instead of writing it', () => {
    const bad = sampleReport();
    bad.backends[0].accounting.resident_pages += 1;
    expect(() => renderJson(bad)).toThrow(/resident_pages/);
  });
});
