// The format registry and openTrace: names, aliases, sniffing, and the whole path from a file.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { TraceDataError, UsageError } from '../../src/errors.js';
import { csvReader } from '../../src/trace/csv.js';
import { encodeCpu } from '../../src/trace/events.js';
import { formatNames, getReader, openTrace, sniffFormat } from '../../src/trace/registry.js';
import { rowsOf, type Row } from './helpers.js';

const FIXTURE = new URL('../fixtures/trace/small.csv', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'cdm-registry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(path: string, options = {}): Promise<{ rows: Row[]; info: Awaited<ReturnType<typeof openTrace>>['info'] }> {
  const { info, batches } = await openTrace(path, options);
  const rows: Row[] = [];
  for await (const b of batches) rows.push(...rowsOf(b, info));
  return { rows, info };
}

describe('registry', () => {
  it('names trace@1 with the alias csv', () => {
    expect(getReader('trace@1')).toBe(csvReader);
    expect(getReader('csv')).toBe(csvReader);
    expect(formatNames()[0]).toBe('trace@1');
    expect(formatNames()).toContain('csv');
  });

  it('rejects an unknown format as a usage error listing the known names', () => {
    expect(() => getReader('no-such-format')).toThrow(UsageError);
    expect(() => getReader('no-such-format')).toThrow(`unknown input format "no-such-format" (known: ${formatNames().join(', ')})`);
  });

  it('sniffs trace@1 by its header or its metadata line', () => {
    expect(sniffFormat('\uFEFF# x\n\r\naddr,"op",time\n')).toBe(csvReader);
    expect(sniffFormat('# cdm-replay trace@1 a=b\n')).toBe(csvReader);
    expect(sniffFormat('==123== lackey\n I  04000000,3\n')).toBeNull();
    expect(sniffFormat('operation,address\n')).toBeNull();
    expect(sniffFormat('')).toBeNull();
  });
});

describe('openTrace', () => {
  it('reads a trace file and fills info', async () => {
    const { rows, info } = await readAll(FIXTURE);
    expect(rows.map((r) => r.op)).toEqual(['mmap', 'mbind', 'set_mempolicy', 'read', 'write', 'fault', 'migrate', 'mmap',
      'madvise', 'pin', 'unpin', 'munmap', 'exit']);
    expect(rows[3].time).toBe(3000);
    expect(info).toMatchObject({
      path: FIXTURE, format: 'cdm-replay/trace@1', events: 13, startTime: '1732000000000000000',
      meta: { source: 'hand-written', purpose: 'reader-tests' }, strings: ['/jobs/a', '/data/table.bin', '/jobs/b'],
      sha256: createHash('sha256').update(readFileSync(FIXTURE)).digest('hex'),
    });
  });

  it('reads the same events gzipped, hashing the compressed bytes', async () => {
    const gz = gzipSync(readFileSync(FIXTURE));
    const path = join(dir, 'small.csv.gz');
    writeFileSync(path, gz);
    const plain = await readAll(FIXTURE);
    const zipped = await readAll(path);
    expect(zipped.rows).toEqual(plain.rows);
    expect(zipped.info.sha256).toBe(createHash('sha256').update(gz).digest('hex'));
  });

  it('reads stdin as <stdin>', async () => {
    const { rows, info } = await readAll('-', { stdin: Readable.from([readFileSync(FIXTURE)]) });
    expect(rows).toHaveLength(13);
    expect(info.path).toBe('<stdin>');
  });

  it('checks --input-format before touching the file', async () => {
    await expect(openTrace(join(dir, 'absent.csv'), { inputFormat: 'no-such-format' })).rejects.toThrow(
      'unknown input format "no-such-format" (known: trace@1, ');
    await expect(openTrace(join(dir, 'absent.csv'))).rejects.toBeInstanceOf(UsageError);
  });

  it('passes ignoreColumns and an explicit format through', async () => {
    const path = join(dir, 'extra.csv');
    writeFileSync(path, 'op,addr,comment\nread,1,hi\n');
    await expect(readAll(path)).rejects.toThrow(/header: "comment" is not a known column/);
    expect((await readAll(path, { ignoreColumns: true, inputFormat: 'csv' })).rows).toHaveLength(1);
  });

  it('falls back to trace@1 for unrecognised input, which then names the problem', async () => {
    const path = join(dir, 'junk.txt');
    writeFileSync(path, 'hello world\n');
    const e = await readAll(path).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(TraceDataError);
    expect((e as Error).message).toBe(`${path}:1: header: "hello world" is not a trace@1 header (expected a header row with an op column, e.g. op,addr)`);
  });
});

describe('a trace@1 file over many read chunks (the input refills one buffer for this reader)', () => {
  it('parses every row once, rows across chunk joins included, and hashes the whole file', async () => {
    // Rows of varying width so chunk joins fall everywhere in a row; a quoted agent now and then
    // sends rows to the exact path, which must not keep a view of the chunk either.
    const lines = ['op,addr,agent'];
    for (let i = 0; i < 150_000; i++) lines.push(`read,0x${(0x7f0000000000 + i * 4096).toString(16)},${i % 97 === 0 ? '"cpu1"' : `cpu${i % 2}`}`);
    const text = lines.join('\n') + '\n';
    const path = join(dir, 'chunks.csv');
    writeFileSync(path, text);
    expect(text.length).toBeGreaterThan(3 << 20);
    const { rows, info } = await readAll(path);
    expect(rows).toHaveLength(150_000);
    rows.forEach((r, i) => {
      expect(r.addr).toBe(BigInt(0x7f0000000000 + i * 4096));
      expect(r.agent).toBe(encodeCpu(i % 97 === 0 ? 1 : i % 2));
    });
    expect(info.sha256).toBe(createHash('sha256').update(text).digest('hex'));
  });
});
