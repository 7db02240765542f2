import { describe, expect, it } from 'vitest';
import { GuestCrashError, GuestTraceError } from '../../src/kernel-check/errors.js';
import { extractResult, MARK_BEGIN, MARK_END } from '../../src/kernel-check/observation.js';

const report = {
  schema: 'cdm-replay/kernel-observation@1',
  kernel: '6.12.117+deb12-amd64',
  cpus: 2,
  numa_nodes: 2,
  events: 1,
  replay_ns: 1000,
  settings: { numa_balancing: '0' },
  page_table_pages_delta: 1,
  vmstat_delta: { numa_hit: 3 },
  nodes: [{ node: 0, numastat_before: {}, numastat_after: {}, numastat_delta: {}, meminfo_kB_before: {}, meminfo_kB_after: {} }],
  memcgs: [],
  processes: [{
    pid: 1, state: 'running', signal: 0, memcg: null, killed_at_line: 0, skipped_after_kill: 0, skipped_after_exit: 0, relocated: 0,
    ops: { write: { calls: 1, unmapped: 0, errors: {} } }, migrate_status: {}, status_kB_baseline: { VmRSS: 10 },
    snapshot: { status_kB: { VmRSS: 14 }, mapped_pages: 1, numa_maps: [], mappings: [
      { trace_addr: '0x1000', addr: '0x1000', pages: 1, kind: 'anon', implicit: true, relocated: false, nodes: { '0': 1 } },
    ] },
  }],
};

function boot(body: string, rc = 0): string {
  return `[    0.000000] Linux version 6.12\r\n@@CDM-REPLAY-INIT uptime=1.50@@\r\n@@CDM-REPLAY-DONE uptime=1.75@@\r\n${MARK_BEGIN}\r\n${body}\r\n${MARK_END} rc=${rc}@@\r\n`;
}

describe('guest result extraction', () => {
  it('parses the JSON between the markers, skipping printk lines that slipped in', () => {
    const text = JSON.stringify(report, null, 1).split('\n');
    text.splice(3, 0, '[    2.345678] some kernel message');
    const r = extractResult(boot(text.join('\r\n')));
    expect(r.report.vmstat_delta.numa_hit).toBe(3);
    expect(r.report.processes[0].snapshot?.mappings[0].nodes).toEqual({ '0': 1 });
    expect([r.initUptimeS, r.doneUptimeS]).toEqual([1.5, 1.75]);
  });

  it('turns a guest trace error into exit 3 and an unsupported op into exit 2', () => {
    const err = (kind: string) => boot(JSON.stringify({ schema: report.schema, error: { kind, line: 7, message: 'column "addr": "x" bad' } }), 3);
    expect(() => extractResult(err('trace'), 't.csv')).toThrow(GuestTraceError);
    try {
      extractResult(err('trace'), 't.csv');
    } catch (e) {
      expect((e as GuestTraceError).exitCode).toBe(3);
      expect((e as Error).message).toBe('t.csv:7: column "addr": "x" bad');
    }
    try {
      extractResult(err('unsupported'));
    } catch (e) {
      expect((e as GuestTraceError).exitCode).toBe(2);
    }
  });

  it('reports a crash (no end marker) as exit 4 with the console tail', () => {
    const console = '@@CDM-REPLAY-INIT uptime=1.5@@\nKernel panic - not syncing: Attempted to kill init!\n';
    let err: unknown;
    try {
      extractResult(console);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GuestCrashError);
    expect((err as GuestCrashError).exitCode).toBe(4);
    expect((err as GuestCrashError).consoleTail).toContain('Kernel panic');
    expect((err as Error).message).toContain('stopped during the replay');
  });

  it('rejects a result that does not match the schema', () => {
    expect(() => extractResult(boot(JSON.stringify({ ...report, events: 'many' })))).toThrow(/unexpected guest result/);
  });
});
