import { describe, expect, it } from 'vitest';
import { NO_COLOUR, makeColour } from '../../src/report/colour.js';
import { renderTable } from '../../src/report/render-table.js';
import type { Report } from '../../src/report/schema.js';
import { sampleReport } from './sample-report.js';

const ESC = '\u001b';

/** Trimmed cells of the row `label` in the section titled `section` (a title row has one cell). */
function cells(out: string, section: string, label: string): string[] {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.split('│').length === 3 && l.split('│')[1].trim() === section);
  expect(start, `section ${section}`).toBeGreaterThan(0);
  for (const line of lines.slice(start + 1)) {
    const parts = line.split('│');
    if (parts.length === 3) break; // next section
    if (parts[1]?.trim() === label) return parts.slice(2, -1).map((s) => s.trim());
  }
  throw new Error(`no row ${label} in section ${section}`);
}

const sectionTitles = (out: string): string[] =>
  out.split('\n').filter((l) => l.split('│').length === 3).map((l) => l.split('│')[1].trim());

describe('table renderer without colour', () => {
  const out = renderTable(sampleReport(), { colour: NO_COLOUR });

  it('emits no escape codes', () => {
    expect(out).not.toContain(ESC);
  });

  it('emits no escape codes even when the environment forces colour', () => {
    // cli-table3 colours through its own library, which reads FORCE_COLOR itself.
    const saved = process.env.FORCE_COLOR;
    process.env.FORCE_COLOR = '1';
    try {
      expect(renderTable(sampleReport(), { colour: NO_COLOUR })).not.toContain(ESC);
    } finally {
      if (saved === undefined) delete process.env.FORCE_COLOR;
      else process.env.FORCE_COLOR = saved;
    }
  });

  it('opens with the trace and machine header block', () => {
    const head = out.split('\n').slice(0, 4).join('\n');
    expect(head).toContain('traces/stream-gpu.csv (csv, sha256 3f2a9c0b7d1e)');
    expect(head).toContain('48,213 events, 40,960 accesses, 8,192 pages touched, duration 2.500 s');
    expect(head).toContain('skipped  unknown_op 3');
    expect(head).toContain('power9-v100: node 0 cpu 16,384 pages, node 1 device 4,096 pages');
  });

  it('puts the backends side by side under their labels', () => {
    const header = out.split('\n').find((l) => l.includes('metric'))!;
    expect(header.split('│').slice(2, -1).map((s) => s.trim())).toEqual(['hmm:private', 'numa', 'cdm', 'mainline']);
  });

  it('groups rows into sections in a fixed order', () => {
    expect(sectionTitles(out)).toEqual([
      'placement', 'migrations', 'accounting', 'memcg /job', 'memcg /job/sub', 'oom', 'reclaim', 'faults',
      'nodes', 'vmstat', 'unsupported ops', 'cost (estimate)',
    ]);
  });

  it('marks best (*) and worst (!) on lower-is-better rows, ties included', () => {
    expect(cells(out, 'placement', 'remote_accesses')).toEqual(['9,000', '4,000 *', '4,000 *', '12,000 !']);
    expect(cells(out, 'placement', 'misplacement_ratio')).toEqual(['0.2197', '0.0977 *', '0.0977 *', '0.2930 !']);
    expect(cells(out, 'placement', 'misplaced_pages_end')).toEqual(['1,200', '300 *', '310', '2,600 !']);
    expect(cells(out, 'migrations', 'failed')).toEqual(['256 !', '0 *', '0 *', '12']);
    expect(cells(out, 'memcg /job', 'oom_events')).toEqual(['1 !', '0 *', '0 *', '0 *']);
    expect(cells(out, 'cost (estimate)', 'estimated_total_ns')).toEqual(['50,500,000', '38,000,000', '37,100,000 *', '64,250,000 !']);
  });

  it('judges rss drift by absolute value', () => {
    expect(cells(out, 'accounting', 'rss_drift_pages')).toEqual(['0 *', '64', '-300 !', '0 *']);
  });

  it('does not mark neutral rows, equal rows, or a value with nothing to compare against', () => {
    expect(cells(out, 'placement', 'accesses')).toEqual(['40,960', '40,960', '40,960', '40,960']);
    expect(cells(out, 'faults', 'cpu')).toEqual(['9,800', '9,100', '9,000', '11,000']);
    expect(cells(out, 'memcg /job/sub', 'oom_events')).toEqual(['-', '-', '-', '0']);
    const allEqual = sampleReport();
    for (const b of allEqual.backends) b.migrations.ping_pong = 5;
    expect(cells(renderTable(allEqual, { colour: NO_COLOUR }), 'migrations', 'ping_pong')).toEqual(['5', '5', '5', '5']);
  });

  it('formats ratios, bytes, unlimited memcg maximums and per-agent pairs', () => {
    expect(cells(out, 'migrations', 'bytes')).toEqual(['17.19 MiB', '12.93 MiB', '11.91 MiB', '14.66 MiB']);
    expect(cells(out, 'memcg /job/sub', 'max_pages')).toEqual(['-', '-', '-', 'max']);
    expect(cells(out, 'placement', 'remote_accesses_by_agent.cpu0')).toEqual(['6,000 / 30,000', '1,500 / 30,000', '1,400 / 30,000', '9,000 / 30,000']);
  });

  it('expands by_trigger, failed_by_reason and vmstat as sorted rows, missing keys as 0 or "-"', () => {
    expect(cells(out, 'migrations', 'by_trigger.fault_back')).toEqual(['1,400', '0', '0', '0']);
    expect(cells(out, 'migrations', 'failed_by_reason.ENODEV')).toEqual(['256', '0', '0', '0']);
    expect(cells(out, 'vmstat', 'numa_hint_faults')).toEqual(['-', '900', '-', '-']);
    expect(cells(out, 'vmstat', 'allocstall_movable')).toEqual(['-', '0', '-', '2']);
    expect(out).not.toContain('thp_migration_success'); // not among the selected counters
    const triggers = out.split('\n').map((l) => l.split('│')[1]?.trim() ?? '').filter((l) => l.startsWith('by_trigger.'));
    expect(triggers).toEqual([...triggers].sort());
  });

  it('explains the markers and ends with the warnings', () => {
    const lines = out.trimEnd().split('\n');
    expect(lines.at(-2)).toMatch(/^\* best, ! worst across backends on rows where lower is better/);
    expect(lines.at(-1)).toBe('warning: hmm:private: 3 mbind events name node 1, which is not a NUMA node under hmm (counted in unsupported)');
    expect(out.endsWith('\n')).toBe(true);
  });
});

describe('table renderer edge cases', () => {
  it('leaves out the unsupported section when every backend supported every op', () => {
    const r = sampleReport();
    r.backends[0].unsupported = {};
    expect(sectionTitles(renderTable(r, { colour: NO_COLOUR }))).not.toContain('unsupported ops');
  });

  it('marks nothing and prints no legend with one backend', () => {
    const r: Report = { ...sampleReport(), warnings: [] };
    r.backends = [r.backends[3]];
    const out = renderTable(r, { colour: NO_COLOUR });
    expect(cells(out, 'placement', 'remote_accesses')).toEqual(['12,000']);
    expect(out).not.toMatch(/ [*!] *│/);
    expect(out).not.toContain('best');
  });

  it('colours best green and worst red instead of markers when colour is on', () => {
    const out = renderTable(sampleReport(), { colour: makeColour(1) });
    const line = out.split('\n').find((l) => l.includes('  remote_accesses '))!;
    expect(line).toContain(`${ESC}[32m4,000${ESC}[39m`);
    expect(line).toContain(`${ESC}[31m12,000${ESC}[39m`);
    expect(line).not.toMatch(/[*!]/);
    expect(out).toContain(`${ESC}[32mgreen${ESC}[39m best`);
  });
});
