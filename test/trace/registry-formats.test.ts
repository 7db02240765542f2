// The line-format readers in the registry: every real fixture is sniffed as its own format, the
// names and aliases select them, and format options that a reader does not take are usage errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseAgentMap } from '../../src/trace/agent-map.js';
import { getReader, openTrace, READERS, sniffFormat } from '../../src/trace/registry.js';
import { fixture, fixtureText } from './reader-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cdm-formats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function drain(path: string, options = {}): Promise<Awaited<ReturnType<typeof openTrace>>['info']> {
  const t = await openTrace(path, options);
  for await (const _ of t.batches) { /* drain */ }
  return t.info;
}

describe('registry: line formats', () => {
  it('sniffs each real fixture as its format', () => {
    const cases: [string, string][] = [
      ['lackey-touch.txt', 'lackey'], ['lackey-true-head.txt', 'lackey'],
      ['perf-page-faults-touch.txt', 'perf-script'], ['perf-page-faults-true.txt', 'perf-script'], ['perf-mem-layout-touch.txt', 'perf-script'],
      ['ftrace-touch.txt', 'ftrace'], ['ftrace-touch-tgid.txt', 'ftrace'],
    ];
    for (const [file, name] of cases) expect(sniffFormat(fixtureText(file).slice(0, 4096))?.name, file).toBe(name);
    expect(sniffFormat('0x7f2b3c41d093: W 0x7ffd7a8a1c58\n#eof\n')?.name).toBe('pinatrace');
  });

  it('selects readers by name and alias', () => {
    for (const [alias, name] of [['valgrind-lackey', 'lackey'], ['pin', 'pinatrace'], ['trace-cmd', 'ftrace'], ['perf', 'perf-script'], ['perf-script/mem', 'perf-script']]) {
      expect(getReader(alias).name).toBe(name);
    }
    for (const r of READERS) expect(r.description.length, r.name).toBeGreaterThan(10);
  });

  it('reads gzip and an explicit --input-format', async () => {
    const gz = join(dir, 'lackey.gz');
    writeFileSync(gz, gzipSync(fixtureText('lackey-touch.txt')));
    expect(await drain(gz)).toMatchObject({ format: 'valgrind-lackey@3.19.0', events: 9 });
    const pinFile = join(dir, 'pin.out');
    writeFileSync(pinFile, '0x1: R 0x2000\n');
    expect(await drain(pinFile, { inputFormat: 'pin', pinColumns: 'ip,op,addr' })).toMatchObject({ format: 'pin-pinatrace', events: 1 });
  });

  it('rejects a format option the reader does not take', async () => {
    const lackey = fixture('lackey-touch.txt');
    await expect(openTrace(lackey, { zoneinfo: 'z' })).rejects.toThrow(new UsageError(
      '--zoneinfo does not apply to lackey input (it applies to ftrace; give --input-format if the input was not recognised)'));
    await expect(openTrace(lackey, { pinColumns: 'op,addr' })).rejects.toThrow('--pin-columns does not apply to lackey input');
    await expect(openTrace(fixture('ftrace-touch.txt'), { keepInstr: true })).rejects.toThrow('--keep-instr does not apply to ftrace input');
    const csv = join(dir, 't.csv');
    writeFileSync(csv, 'op,addr\nread,0x1000\n');
    await expect(openTrace(csv, { agentMap: parseAgentMap(['pid:1=dev0']) })).rejects.toThrow('--agent does not apply to trace@1 input');
    expect(await drain(lackey, { agentMap: parseAgentMap([]) })).toMatchObject({ events: 9 }); // no rules: nothing given
  });
});
