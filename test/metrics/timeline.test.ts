// The timeline's buckets: fixed count, exact counters after any number of pair merges, the same
// buckets for the same trace however the reader chunks it, and totals that agree with the report.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseBackendList } from '../../src/backends/registry.js';
import { loadConfig } from '../../src/config/index.js';
import { replay } from '../../src/engine/replay.js';
import { getWorkload, HEADER } from '../../src/gen/workloads.js';
import { Buckets } from '../../src/metrics/buckets.js';
import { prng } from '../../src/gen/workloads.js';

/** Feeds events (time, value) as the engine does: advance when an event reaches the boundary. */
function feed(b: Buckets, events: [number, number][], gauge: (i: number) => number): void {
  events.forEach(([t, v], i) => {
    if (t >= b.nextBoundary) {
      b.gauges[b.cur] = gauge(i); // the state before event i
      b.advance(t);
    }
    b.addCounter(t, 0, v);
  });
  b.gauges[b.cur] = gauge(events.length);
}

describe('Buckets (pair merging)', () => {
  const rnd = prng(7);
  let t = 0;
  const events: [number, number][] = Array.from({ length: 20_000 }, () => {
    t += Math.floor(rnd() * 5000) * (rnd() < 0.01 ? 1000 : 1); // bursts and long gaps
    return [t, 1 + Math.floor(rnd() * 3)];
  });

  it('keeps at most N buckets and at least N/2 once the trace outgrew the first width', () => {
    const b = new Buckets(64, 1024, 1, 1, 1);
    feed(b, events, (i) => i);
    expect(b.cur + 1).toBeLessThanOrEqual(64);
    expect(b.cur + 1).toBeGreaterThan(32);
    expect(Math.log2(b.width / 1024) % 1).toBe(0); // a power-of-two multiple of the first width
  });

  it('gives each final bucket exactly its events (counters) and the state at its end (gauges)', () => {
    const b = new Buckets(64, 1024, 1, 1, 1);
    feed(b, events, (i) => i);
    const w = b.width;
    for (let k = 0; k <= b.cur; k++) {
      const inBucket = events.filter(([et]) => Math.floor(et / w) === k);
      expect(b.counters[k]).toBe(inBucket.reduce((s, [, v]) => s + v, 0));
      // the gauge is the number of events before the bucket's end
      expect(b.gauges[k]).toBe(events.filter(([et]) => et < (k + 1) * w).length);
    }
  });

  it('does not depend on when the producer flushes counters, only on their times', () => {
    // Migration records reach the timeline in log flushes, late: add them after the fact.
    const a = new Buckets(16, 1024, 1, 1, 1);
    feed(a, events, () => 0);
    const late = new Buckets(16, 1024, 1, 1, 1);
    feed(late, events.map(([et]) => [et, 0]), () => 0);
    for (const [et, v] of events) late.addCounter(et, 0, v);
    expect([...late.counters]).toEqual([...a.counters]);
    expect(late.width).toBe(a.width);
  });
});

describe('timeline in replay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cdm-tl-'));
  const rows = [HEADER, ...getWorkload('phase-shift')!.rows({ seed: 3, events: 30_000, pages: 2048, pageSize: 4096, stepNs: 997 })];
  const text = `${rows.join('\n')}\n`;
  const plain = join(dir, 't.csv');
  const gz = join(dir, 't.csv.gz');
  writeFileSync(plain, text);
  writeFileSync(gz, gzipSync(text, { chunkSize: 1024 }));
  const run = (path: string, buckets = 64) => {
    const { config } = loadConfig({ preset: 'two-node', sets: [] });
    return replay({ tracePath: path, config, presetName: 'two-node', backends: parseBackendList('mainline,hmm'), timeline: { buckets } });
  };

  it('gives the same buckets whatever the reader chunking (plain file vs gzip stream)', async () => {
    const [a, b] = await Promise.all([run(plain), run(gz)]);
    for (let i = 0; i < a.backends.length; i++) expect(b.backends[i].timeline).toEqual(a.backends[i].timeline);
  });

  it('sums per-bucket counters to the report totals and keeps the bucket count bounded', async () => {
    const r = await run(plain);
    for (const b of r.backends) {
      const tl = b.timeline!;
      expect(tl.buckets.length).toBeLessThanOrEqual(64);
      expect(tl.buckets.length).toBeGreaterThan(32);
      const sum = (f: (x: (typeof tl.buckets)[number]) => number) => tl.buckets.reduce((s, x) => s + f(x), 0);
      expect(sum((x) => x.accesses)).toBe(b.placement.accesses);
      expect(sum((x) => x.remote_accesses)).toBe(b.placement.remote_accesses);
      expect(sum((x) => x.migrations.total)).toBe(b.migrations.total);
      expect(sum((x) => x.migrations.ping_pong)).toBe(b.migrations.ping_pong);
      expect(sum((x) => x.migrations.failed)).toBe(b.migrations.failed);
      expect(sum((x) => x.faults.cpu)).toBe(b.faults.cpu);
      expect(sum((x) => x.reclaim.pages_scanned)).toBe(b.reclaim.pages_scanned);
      expect(tl.heatmap.cells).toHaveLength(tl.buckets.length);
      expect(tl.heatmap.rows.length).toBeGreaterThan(0);
      expect(tl.heatmap.rows.length).toBeLessThanOrEqual(256);
      const last = tl.buckets[tl.buckets.length - 1];
      expect(last.accounting.resident_pages).toBe(b.accounting.resident_pages);
      expect(last.accounting.vmrss_pages).toBe(b.accounting.vmrss_pages);
      expect(last.accounting.smaps_rss_pages).toBe(b.accounting.smaps_rss_pages);
      expect(last.accounting.numa_maps_pages).toBe(b.accounting.numa_maps_pages);
      expect(b.nodes.map((n) => last.used_pages[String(n.id)])).toEqual(b.nodes.map((n) => n.used_pages_end));
    }
  });

  it('is absent unless asked for', async () => {
    const { config } = loadConfig({ preset: 'two-node', sets: [] });
    const r = await replay({ tracePath: plain, config, presetName: 'two-node', backends: parseBackendList('mainline') });
    expect(r.backends[0].timeline).toBeUndefined();
  });
});
