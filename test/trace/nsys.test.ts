// Nsight Systems readers: the SQLite export (synthetic fixtures built with sql.js from the
// documented schema) and the um_total_sum CSV (checked, not replayed).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nsysSqliteReader, sqlJs } from '../../src/trace/nsys-sqlite.js';
import { nsysUmSumReader, UM_SUM_NOT_REPLAYED } from '../../src/trace/nsys-um-sum.js';
import { parseAgentMap } from '../../src/trace/agent-map.js';
import type { DeviceReadOptions } from '../../src/trace/device-map.js';
import { UsageError } from '../../src/errors.js';
import { getReader, sniffFormat } from '../../src/trace/registry.js';
import { buildNsysFixture, PID, T0 } from '../fixtures/formats/nsys/make-fixture.mjs';
import { cli, dataError, FIXTURES, readWith, replayFile } from './format-helpers.js';
import { READ_CHUNK, readFileTrace } from './join-helpers.js';

const SMALL = join(FIXTURES, 'nsys/um-small.sqlite');
const CSV = join(FIXTURES, 'nsys/um_total_sum.csv');
const BASE = 0x7f0000000000n;
const page = (n: number): bigint => BASE + BigInt(n) * 4096n;
const brief = (rows: Awaited<ReturnType<typeof readWith>>['rows']) => rows.map((r) => [r.op, r.addr, r.len, r.time, r.pid, r.agent, r.nodes]);

/** The fixture's events (nsys-sqlite rule): dev0 = -1, node 1 = mask 2, host node 0 = mask 1. */
const EXPECTED = [
  ['fault', page(0), NaN, 0, PID, 0, 0],
  ['fault', page(1), NaN, 1000, PID, 0, 0],
  ['read', page(2), NaN, 4000, PID, -1, 0],
  ['migrate', page(0), 8192, 5000, PID, -1, 2],
  ['write', page(3), NaN, 6000, PID, -1, 0],
  ['migrate', page(4), 65536, 7000, PID, -1, 2],
  ['write', page(4), NaN, 7500, PID, -1, 0], // atomic
  ['migrate', page(0), 4096, 9000, PID, -1, 1],
  ['fault', page(0), NaN, 9500, PID, 0, 0],
];

describe('nsys-sqlite reader', () => {
  it('is sniffed by the SQLite header and replays faults and UM migrations in start order', async () => {
    const bytes = readFileSync(SMALL);
    expect(sniffFormat(bytes.toString('utf8', 0, 4096))?.name).toBe('nsys-sqlite');
    expect(getReader('nsys-sqlite')).toBe(nsysSqliteReader);
    const { rows, info } = await readWith(nsysSqliteReader, bytes, {}, [100, 4000]);
    expect(brief(rows)).toEqual(EXPECTED);
    expect(info.format).toBe('nsys-sqlite');
    expect(info.startTime).toBe(T0.toString());
    expect(info.skipped).toEqual({ 'memcpy that is not a unified-memory migration': 1 });
    expect(info.meta).toMatchObject({
      'nsys.export_schema_version': '3', 'nsys.um_copy_kinds': 'htod=11 dtoh=12', 'nsys.gpu_fault_rows': '3', 'nsys.gpu_page_faults': '5',
      'nsys.cpu_page_faults': '3', 'nsys.um_htod_bytes': '73728', 'nsys.um_dtoh_bytes': '4096',
      'nsys.migration_causes': 'Page fault=2,User prefetch=1', 'nsys.device_map': '0=dev0@1,host=0',
    });
  });

  it('reads enum values from the ENUM_* tables, and falls back to copyKind 11/12 without them', async () => {
    const renumbered = await readWith(nsysSqliteReader, await buildNsysFixture('renumbered'));
    expect(brief(renumbered.rows)).toEqual(EXPECTED);
    expect(renumbered.info.meta['nsys.um_copy_kinds']).toBe('htod=31 dtoh=32');
    const bare = await readWith(nsysSqliteReader, await buildNsysFixture('no-enums'));
    // Without ENUM_CUDA_UNIF_MEM_ACCESS_TYPE the GPU faults' access is unknown: `fault`.
    expect(brief(bare.rows)).toEqual(EXPECTED.map((r) => (r[5] === -1 && r[0] !== 'migrate' ? ['fault', ...r.slice(1)] : r)));
    expect(bare.info.meta['nsys.migration_causes']).toBe('cause 2=2,cause 1=1');
  });

  it('maps devices and host by deviceMap, and CPU faults by --agent rules', async () => {
    const opts: DeviceReadOptions = { deviceMap: '0=dev1@3,host=2', agentMap: parseAgentMap([`pid:${PID}=cpu1`]) };
    const { rows, info } = await readWith(nsysSqliteReader, readFileSync(SMALL), opts);
    expect(rows.map((r) => [r.op, r.agent, r.nodes])).toEqual(EXPECTED.map(([op, , , , , agent, nodes]) =>
      [op, agent === -1 ? -2 : 1, nodes === 2 ? 8 : nodes === 1 ? 4 : 0]));
    expect(info.meta['nsys.device_map']).toBe('0=dev1@3,host=2');
    await expect(readWith(nsysSqliteReader, readFileSync(SMALL), { deviceMap: '0=devX' } as DeviceReadOptions)).rejects.toThrow(UsageError);
  });

  it('rejects non-SQLite input, exports without UM tables and bad rows with a located error (exit 3)', async () => {
    expect(await dataError(nsysSqliteReader, 'not a database at all, just text\n'))
      .toMatch(/^t\.in:byte 0: SQLite database: ".*" is not a readable SQLite file \(expected the output of `nsys export --type sqlite`\)$/);
    const SQL = await sqlJs();
    const other = new SQL.Database();
    other.run('CREATE TABLE StringIds (id INTEGER PRIMARY KEY, value TEXT)');
    expect(await dataError(nsysSqliteReader, other.export())).toMatch(/^t\.in:schema: tables: "StringIds" has none of CUDA_UM_GPU_PAGE_FAULT_EVENTS/);
    const db = new SQL.Database(await buildNsysFixture('small'));
    db.run("UPDATE CUDA_UM_GPU_PAGE_FAULT_EVENTS SET deviceId = 'gpu0' WHERE rowid = 2");
    expect(await dataError(nsysSqliteReader, db.export()))
      .toBe('t.in:table CUDA_UM_GPU_PAGE_FAULT_EVENTS rowid 2: column "deviceId": "gpu0" is not an integer >= 0');
    db.run('ALTER TABLE CUDA_UM_CPU_PAGE_FAULT_EVENTS RENAME COLUMN address TO addr');
    expect(await dataError(nsysSqliteReader, db.export()))
      .toBe('t.in:table CUDA_UM_CPU_PAGE_FAULT_EVENTS: column: "address" is missing (expected the nsys export schema, FORMATS §2.6)');
  });

  it('replays through the engine: device faults and driver migrations', async () => {
    const r = await replayFile(SMALL);
    expect(r.trace).toMatchObject({ format: 'nsys-sqlite', events: 9, accesses: 6 });
    const m = r.backends[0].migrations;
    expect(m.by_trigger.driver).toBeGreaterThan(0);
    expect(m.to_device).toBeGreaterThan(0);
  });
});

describe('nsys-um-total-sum reader (checked, not replayed)', () => {
  it('validates the CSV, puts the totals in meta and yields no events', async () => {
    const text = readFileSync(CSV, 'utf8');
    expect(sniffFormat(text)?.name).toBe('nsys-um-total-sum');
    const { rows, info } = await readWith(nsysUmSumReader, `Processing [run.sqlite] with [um_total_sum.py]...\n\n${text}`);
    expect(rows).toEqual([]);
    expect(info.format).toBe('nsys-um-total-sum');
    expect(info.skipped).toEqual({ 'nsys stats text before the um_total_sum table': 1, [UM_SUM_NOT_REPLAYED]: 1 });
    expect(info.meta).toMatchObject({
      'nsys.total_htod_migration': '3221.225 MB', 'nsys.total_dtoh_migration': '1073.742 MB', 'nsys.total_cpu_page_faults': '15360',
      'nsys.total_gpu_page_faults': '38007', 'nsys.minimum_virtual_address': '0x7F4C3A000000',
    });
  });

  it('rejects a missing column, a bad value or a short row with a located error (exit 3)', async () => {
    const [head, row] = readFileSync(CSV, 'utf8').trim().split('\n');
    expect(await dataError(nsysUmSumReader, `${head.replace('Total CPU Page Faults', 'CPU')}\n${row}\n`))
      .toMatch(/^t\.in:1: header: ".*" lacks a column like "Total CPU Page Faults" \(expected Total HtoD/);
    expect(await dataError(nsysUmSumReader, `${head}\n${row.replace('15360', '-3')}\n`)).toBe('t.in:2: column "total_cpu_page_faults": "-3" is not a count (integer >= 0)');
    expect(await dataError(nsysUmSumReader, `${head}\n3221.225,1073.742\n`)).toBe('t.in:2: row: "3221.225,1073.742" is not a row of 6 fields (expected 6 as in the header, found 2)');
    expect(await dataError(nsysUmSumReader, `${head}\n`)).toBe('t.in:end: row: "" is not present (expected one row of totals after the header)');
  });

  it('reads a report over many read chunks (the input refills one buffer for this reader)', async () => {
    expect(nsysUmSumReader.copiesChunks).toBe(true);
    // Text lines up to the header, which straddles the second join with its two-byte µ split
    // there; blank lines up to the row, which straddles the third; then text after it.
    const [head, row] = readFileSync(CSV, 'utf8').trim().split('\n');
    const header = head.replace('Total HtoD Migration Size (MB)', 'Total HtoD Migration Size (µB)');
    let text = '';
    let before = 0;
    while (text.length < 2 * READ_CHUNK - 8192) text += `Processing [run.sqlite] with [um_total_sum.py]... step ${before++} ${'.'.repeat(before % 50)}\n`;
    const mu = Buffer.byteLength(header.slice(0, header.indexOf('µ'))); // µ's first byte ends the chunk
    text += `${'x'.repeat(2 * READ_CHUNK - mu - 1 - text.length - 1)}\n${header}\n`;
    before++;
    expect(Buffer.from(text).subarray(2 * READ_CHUNK - 1, 2 * READ_CHUNK + 1).toString()).toBe('µ');
    while (text.length < 3 * READ_CHUNK - 300) text += `${' '.repeat(199)}\n`;
    text += `${' '.repeat(3 * READ_CHUNK - 10 - (Buffer.byteLength(text) + 1))}\n${row}\nafter 1\nafter 2\nafter 3\n`;
    expect(Buffer.from(text).indexOf(row)).toBe(3 * READ_CHUNK - 10);
    const { rows, info } = await readFileTrace(text, { inputFormat: 'nsys-um-total-sum' }, 'um.csv');
    expect(rows).toEqual([]);
    expect(info.skipped).toEqual({ 'nsys stats text before the um_total_sum table': before, 'text after the um_total_sum row': 3, [UM_SUM_NOT_REPLAYED]: 1 });
    expect(info.meta).toMatchObject({
      'nsys.total_htod_migration': '3221.225 µB', 'nsys.total_dtoh_migration': '1073.742 MB', 'nsys.total_cpu_page_faults': '15360',
      'nsys.total_gpu_page_faults': '38007', 'nsys.minimum_virtual_address': '0x7F4C3A000000', 'nsys.maximum_virtual_address': '0x7F4CFDFFF000',
    });
  });

  it('the CLI replays it as 0 events and says it was checked, not replayed (needs `npm run build`)', () => {
    const r = cli([CSV, '--backend', 'mainline']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('nsys-um-total-sum');
    expect(r.out).toContain('0 events');
    expect(r.out).toContain('checked, not replayed');
  });
});
