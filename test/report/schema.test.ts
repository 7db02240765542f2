import { describe, expect, it } from 'vitest';
import { ExitCode, UsageError } from '../../src/errors.js';
import { InvalidReportError, ReportSchema, parseReport, reportJsonSchema } from '../../src/report/schema.js';
import { sampleReport } from './sample-report.js';

/** parseReport's error, asserting it is the one-line usage error. */
function failure(input: unknown): InvalidReportError {
  try {
    parseReport(input, 'current.json');
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidReportError);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as InvalidReportError).exitCode).toBe(ExitCode.usage);
    expect((e as Error).message).not.toContain('\n');
    return e as InvalidReportError;
  }
  throw new Error('parseReport accepted an invalid report');
}

describe('report@1 schema', () => {
  it('accepts the four-backend sample, typed', () => {
    const r = parseReport(sampleReport());
    expect(r.backends.map((b) => b.label)).toEqual(['hmm:private', 'numa', 'cdm', 'mainline']);
    expect(r.backends[0].variant).toBe('private');
    expect(r.backends[3].timeline?.buckets).toHaveLength(10);
  });

  it('accepts JSON text as well as objects', () => {
    expect(parseReport(JSON.stringify(sampleReport())).trace.sha256).toMatch(/^3f2a/);
  });

  it('keeps fields it does not know (DESIGN §4: add more freely)', () => {
    const r = parseReport(sampleReport());
    expect(r.backends[3].accounting.memcg[1].peak_pages).toBe(640);
  });

  it('rejects a wrong schema string with a one-line error naming it', () => {
    const bad = { ...sampleReport(), schema: 'cdm-replay/report@2' };
    const e = failure(bad);
    expect(e.message).toBe('current.json: not a cdm-replay/report@1 report (has schema "cdm-replay/report@2")');
    expect(e.keyPath).toBe('schema');
    expect(failure({ hello: 1 }).message).toContain('has no "schema" field');
  });

  it('rejects text that is not JSON in one line', () => {
    expect(failure('{"schema": ').message).toMatch(/^current\.json: not JSON: /);
  });

  it('names the path of the first bad key and how many more there are', () => {
    const bad = sampleReport() as unknown as { backends: { placement: Record<string, unknown> }[] };
    bad.backends[1].placement.remote_accesses = '4000';
    bad.backends[2].placement.accesses = -1;
    const e = failure(bad);
    expect(e.keyPath).toBe('backends.1.placement.remote_accesses');
    expect(e.message).toMatch(/^current\.json: backends\.1\.placement\.remote_accesses: .*expected number.* \(\+\d+ more\)$/);
  });

  it('enforces the identities that follow from the definitions', () => {
    const drift = sampleReport();
    drift.backends[0].accounting.rss_drift_pages = 5;
    expect(failure(drift).keyPath).toBe('backends.0.accounting.rss_drift_pages');

    const ratio = sampleReport();
    ratio.backends[2].placement.misplacement_ratio = 0.5;
    expect(failure(ratio).keyPath).toBe('backends.2.placement.misplacement_ratio');

    const failed = sampleReport();
    failed.backends[3].migrations.failed = 13;
    expect(failure(failed).keyPath).toBe('backends.3.migrations.failed_by_reason');

    const cost = sampleReport();
    cost.backends[1].cost.estimated_total_ns = 1;
    expect(failure(cost).keyPath).toBe('backends.1.cost.estimated_total_ns');
  });

  it('rejects duplicate labels and nodes the machine does not have', () => {
    const dup = sampleReport();
    dup.backends[2].label = 'numa';
    expect(failure(dup).message).toContain('label "numa" used twice');

    const node = sampleReport();
    node.backends[0].nodes[1].id = 7;
    expect(failure(node).keyPath).toBe('backends.0.nodes.1.id');
  });

  it('requires the cost to be labelled an estimate', () => {
    const r = sampleReport() as unknown as { backends: { cost: { label: string } }[] };
    r.backends[0].cost.label = 'measured';
    expect(failure(r).keyPath).toBe('backends.0.cost.label');
  });

  it('exports a JSON Schema for `cdm-replay schema report`', () => {
    const js = reportJsonSchema() as { title: string; properties: Record<string, { const?: string; items?: unknown }>; required: string[] };
    expect(js.title).toBe('cdm-replay/report@1');
    expect(js.properties.schema.const).toBe('cdm-replay/report@1');
    expect(js.required).toEqual(['schema', 'tool', 'trace', 'machine', 'config', 'backends', 'warnings']);
    const backend = js.properties.backends.items as { required: string[] };
    expect(backend.required).toEqual(expect.arrayContaining(['label', 'variant', 'placement', 'cost', 'oom_kills', 'skipped_after_kill']));
    expect(backend.required).not.toContain('timeline');
    expect(() => JSON.stringify(js)).not.toThrow();
  });

  it('does not mutate its input', () => {
    const input = sampleReport();
    const before = JSON.stringify(input);
    ReportSchema.parse(input);
    expect(JSON.stringify(input)).toBe(before);
  });
});
