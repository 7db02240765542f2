// The trace@1 writer behind `convert`: exact values, only the declared columns, weights expanded,
// and a written file reads back to the same events.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { TraceDataError } from '../../src/errors.js';
import { openTrace } from '../../src/trace/registry.js';
import { writeTrace1 } from '../../src/trace/write-csv.js';
import { rowsOf, type Row } from './helpers.js';
import { fixture } from './reader-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cdm-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function events(path: string, options = {}): Promise<Row[]> {
  const { info, batches } = await openTrace(path, options);
  const rows: Row[] = [];
  for await (const b of batches) {
    for (const [i, r] of rowsOf(b, info).entries()) for (let k = 0; k < b.weight[i]; k++) rows.push({ ...r, line: 0 });
  }
  return rows;
}

async function convert(src: string, out: string, options = {}): Promise<Awaited<ReturnType<typeof writeTrace1>>> {
  return writeTrace1(await openTrace(src, options), out);
}

describe('writeTrace1', () => {
  it('writes a lackey trace as op,addr,len with its source named, and reads back the same', async () => {
    const out = join(dir, 'lackey.csv');
    const r = await convert(fixture('lackey-touch.txt'), out);
    expect(r).toMatchObject({ events: 9, rows: 9 });
    const text = readFileSync(out, 'utf8').split('\n');
    expect(text.slice(0, 3)).toEqual(['# cdm-replay trace@1 source-format=valgrind-lackey@3.19.0 converted-by=cdm-replay@0.1.0', 'op,addr,len', 'write,0x403000,1']);
    expect(text).toContain('# skipped: instruction-fetch=20 valgrind-message=25');
    expect(await events(out)).toEqual(await events(fixture('lackey-touch.txt')));
  });

  it('keeps 64-bit addresses and epoch nanosecond times exact, and expands weights into rows', async () => {
    const src = join(dir, 'mem.txt');
    writeFileSync(src, [
      'app 10/11 [001] 1732000000.000001: 3 cpu/mem-stores/P: 7fff123456789ab8 0 1 |OP STORE|',
      'app 10/12 [000] 1732000000.123456789: 1 cpu/mem-loads/P: 7f0000001000 0 1 |OP LOAD|', ''].join('\n'));
    const out = join(dir, 'mem.csv.gz');
    const r = await convert(src, out);
    expect(r).toMatchObject({ events: 2, rows: 4 });
    const lines = gunzipSync(readFileSync(out)).toString().split('\n');
    expect(lines.slice(1, 6)).toEqual([
      'op,addr,time,pid,tid,agent',
      'write,0x7fff123456789ab8,1732000000000001000,10,11,cpu1',
      'write,0x7fff123456789ab8,1732000000000001000,10,11,cpu1',
      'write,0x7fff123456789ab8,1732000000000001000,10,11,cpu1',
      'read,0x7f0000001000,1732000000123456789,10,12,cpu0',
    ]);
    const back = await openTrace(out);
    for await (const _ of back.batches) { /* drain */ }
    expect(back.info.startTime).toBe('1732000000000001000');
    expect(await events(out)).toEqual(await events(src));
  });

  it('passes trace@1 through with its metadata, quoting and every column it had', async () => {
    const src = join(dir, 'in.csv');
    writeFileSync(src, '# cdm-replay trace@1 generator=test\nop,addr,len,kind,file,policy,nodes,flags,memcg,tid\n' +
      'mmap,0x1000,8192,file,"a,b",,,,/job,\nmbind,0x1000,8192,,,bind,0-1,move;strict,,3\nexit,,,,,,,,,\n');
    const out = join(dir, 'out.csv');
    await convert(src, out);
    expect(readFileSync(out, 'utf8').split('\n').slice(0, 5)).toEqual([
      '# cdm-replay trace@1 source-format=cdm-replay/trace@1 converted-by=cdm-replay@0.1.0 generator=test',
      'op,addr,len,kind,file,policy,nodes,flags,memcg,tid',
      'mmap,0x1000,8192,file,"a,b",,,,/job,',
      'mbind,0x1000,8192,,,bind,0-1,move;strict,,3',
      'exit,,,,,,,,,',
    ]);
    expect(await events(out)).toEqual(await events(src));
  });

  it('removes a partial output when the input turns out malformed', async () => {
    const src = join(dir, 'bad.txt');
    writeFileSync(src, ' L 1000,4\n L zz,4\n');
    const out = join(dir, 'bad.csv');
    await expect(convert(src, out)).rejects.toBeInstanceOf(TraceDataError);
    expect(() => readFileSync(out)).toThrow();
  });
});
