import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { METRICS, findMetric } from '../../src/report/metrics-doc.js';
import { BackendReportSchema } from '../../src/report/schema.js';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  innerType?: z.ZodType;
}
const def = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Every documentable field of a schema: map keys as `<*>`, list elements as `[]`. */
function leafPaths(s: z.ZodType, path: string): string[] {
  const d = def(s);
  const at = (k: string) => (path ? `${path}.${k}` : k);
  switch (d.type) {
    case 'optional':
    case 'nullable':
      return leafPaths(d.innerType!, path);
    case 'object': {
      const fixed = Object.entries(d.shape!).flatMap(([k, v]) => leafPaths(v, at(k)));
      const extra = d.catchall && def(d.catchall).type !== 'unknown' ? leafPaths(d.catchall, at('<*>')) : [];
      return [...fixed, ...extra];
    }
    case 'array':
      return leafPaths(d.element!, `${path}[]`);
    case 'record':
      return def(d.valueType!).type === 'unknown' ? [path] : leafPaths(d.valueType!, at('<*>'));
    default:
      return [path];
  }
}

const normalise = (p: string) => p.replace(/<[^>]+>/g, '<*>');

describe('metric definitions', () => {
  const schemaPaths = leafPaths(BackendReportSchema, '');
  const docPaths = METRICS.map((m) => normalise(m.path));

  it('walks the schema (sanity: the walker sees nested fields)', () => {
    expect(schemaPaths).toContain('accounting.memcg[].oom_events');
    expect(schemaPaths).toContain('placement.remote_accesses_by_agent.<*>.remote');
    expect(schemaPaths).toContain('nodes[].numastat.<*>');
  });

  it('documents every field of the backend section', () => {
    expect(schemaPaths.filter((p) => !docPaths.includes(p))).toEqual([]);
  });

  it('documents nothing the schema does not have', () => {
    expect(docPaths.filter((p) => !schemaPaths.includes(p))).toEqual([]);
  });

  it('lists each path once, with a one-paragraph definition', () => {
    expect(new Set(docPaths).size).toBe(docPaths.length);
    for (const m of METRICS) {
      expect(m.definition.length, m.path).toBeGreaterThan(10);
      expect(m.definition, m.path).not.toContain('\n');
    }
  });

  it('judges exactly the lower-is-better metrics of DESIGN §4 (plus system OOM kills)', () => {
    expect(METRICS.filter((m) => m.direction === 'lower-better').map((m) => m.path)).toEqual([
      'placement.remote_accesses', 'placement.misplacement_ratio', 'placement.misplaced_pages_end',
      'placement.unrequested_device_pages', 'migrations.failed', 'migrations.ping_pong',
      'accounting.rss_drift_pages', 'accounting.memcg[].oom_events', 'oom_kills',
      'cost.estimated_access_ns', 'cost.estimated_migration_ns', 'cost.estimated_total_ns',
    ]);
    expect(METRICS.filter((m) => m.absolute).map((m) => m.path)).toEqual(['accounting.rss_drift_pages']);
  });

  it('finds definitions by concrete path, preferring fixed keys over map placeholders', () => {
    expect(findMetric('migrations.by_trigger.driver')?.path).toBe('migrations.by_trigger.<trigger>');
    expect(findMetric('accounting.memcg.0.oom_events')?.direction).toBe('lower-better');
    expect(findMetric('accounting.memcg[].oom_events')?.path).toBe('accounting.memcg[].oom_events');
    expect(findMetric('placement.unrequested_by_trigger.fallback')?.path).toBe('placement.unrequested_by_trigger.fallback');
    expect(findMetric('placement.unrequested_by_trigger.compaction')?.path).toBe('placement.unrequested_by_trigger.<trigger>');
    expect(findMetric('vmstat.numa_hit')?.unit).toBe('kernel');
    expect(findMetric('placement.nonsense')).toBeUndefined();
  });
});
