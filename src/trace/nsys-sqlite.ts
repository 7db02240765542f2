// Nsight Systems unified-memory events from `nsys export --type sqlite` (FORMATS §2.6), read with
// sql.js (SQLite compiled to WebAssembly: no native addon). SQLite cannot be streamed, so the file
// is loaded into memory; rows are then stepped through and emitted in batches, in `start` order.
//   CUDA_UM_GPU_PAGE_FAULT_EVENTS -> the device's agent reads/writes the page (faultAccessType)
//   CUDA_UM_CPU_PAGE_FAULT_EVENTS -> cpu0 `fault`
//   CUPTI_ACTIVITY_KIND_MEMCPY, UM HtoD / DtoH copyKind -> driver `migrate` of [virtualAddress,
//     +bytes) to the destination device's node / the host node, by that device's agent
// Enum values come from the export's ENUM_* tables; without ENUM_CUDA_MEMCPY_OPER, copyKind 11/12
// mean UM HtoD/DtoH as in nsys's um_sum.py. Device ids map to agents by DeviceMap (devN = deviceId).
import initSqlJs, { type Database, type SqlJsStatic } from 'sql.js';
import { TraceDataError } from '../errors.js';
import { encodeCpu, Op, type TraceInfo, type TraceReader } from './events.js';
import { AgentResolver, hasRules } from './agent-map.js';
import { DeviceMap, type DeviceReadOptions } from './device-map.js';
import { EventWriter, skip, type Ev } from './event-writer.js';
import { allBytes } from './text-lines.js';

export const NSYS_SQLITE = 'nsys-sqlite';
const GPU = 'CUDA_UM_GPU_PAGE_FAULT_EVENTS';
const CPU = 'CUDA_UM_CPU_PAGE_FAULT_EVENTS';
const MEMCPY = 'CUPTI_ACTIVITY_KIND_MEMCPY';
const TABLES = [GPU, CPU, MEMCPY];

type Value = bigint | number | string | Uint8Array | null;
interface BigIntStatement {
  step(): boolean;
  get(params: null, config: { useBigInt: boolean }): Value[];
  free(): boolean;
}

let engine: Promise<SqlJsStatic> | null = null;
/** sql.js, initialised once per process. */
export const sqlJs = (): Promise<SqlJsStatic> => (engine ??= initSqlJs());

interface EnumRow { name: string; label: string }

/** An ENUM_* table as id -> {name, label}, or null when the export lacks it. */
function readEnum(db: Database, table: string, tables: Set<string>): Map<number, EnumRow> | null {
  if (!tables.has(table)) return null;
  const map = new Map<number, EnumRow>();
  for (const [id, name, label] of db.exec(`SELECT id, name, label FROM ${table}`)[0]?.values ?? []) {
    map.set(Number(id), { name: String(name ?? ''), label: String(label ?? '') });
  }
  return map;
}

const columnsOf = (db: Database, table: string): Set<string> =>
  new Set((db.exec(`PRAGMA table_info(${table})`)[0]?.values ?? []).map((r) => String(r[1])));

/** Ids of an enum whose symbol or label matches `re`. */
const idsWhere = (e: Map<number, EnumRow>, re: RegExp): number[] => [...e].filter(([, v]) => re.test(v.name) || re.test(v.label)).map(([id]) => id);

/** The op a GPU fault replays as, from its access type's enum name. */
function accessOp(e: Map<number, EnumRow> | null, kind: Value): number {
  const v = e?.get(Number(kind));
  if (!v) return Op.fault;
  const s = `${v.name} ${v.label}`;
  return /WRITE|ATOMIC/i.test(s) ? Op.write : /READ|PREFETCH/i.test(s) ? Op.read : Op.fault;
}

/** nsys serialises globalPid as (hw << 56) | (pid << 24); small values are taken as plain pids. */
const pidOf = (g: bigint): number => Number(g < 1n << 24n ? g : (g >> 24n) & 0xffffffn);

function openDb(SQL: SqlJsStatic, bytes: Buffer, info: TraceInfo): Database {
  try {
    const db = new SQL.Database(bytes);
    db.exec('SELECT count(*) FROM sqlite_master');
    return db;
  } catch (err) {
    throw new TraceDataError(info.path, 'byte 0', 'SQLite database', (err as Error).message,
      'is not a readable SQLite file (expected the output of `nsys export --type sqlite`)');
  }
}

async function* readNsys(chunks: AsyncIterable<Buffer>, info: TraceInfo, options: DeviceReadOptions) {
  info.format = NSYS_SQLITE;
  info.columns = ['op', 'addr', 'len', 'time', 'pid', 'agent', 'nodes'];
  const agents = hasRules(options.agentMap) ? new AgentResolver(options.agentMap) : null;
  const bytes = await allBytes(chunks);
  const db = openDb(await sqlJs(), bytes, info);
  let stmt: BigIntStatement | null = null;
  try {
    const tables = new Set((db.exec("SELECT name FROM sqlite_master WHERE type = 'table'")[0]?.values ?? []).map((r) => String(r[0])));
    if (!TABLES.some((t) => tables.has(t))) {
      throw new TraceDataError(info.path, 'schema', 'tables', [...tables].slice(0, 8).join(','),
        `has none of ${TABLES.join(', ')} (expected an nsys export of a run traced with --cuda-um-cpu-page-faults / --cuda-um-gpu-page-faults / --trace=cuda)`);
    }
    const meta = tables.has('META_DATA_EXPORT') ? db.exec("SELECT value FROM META_DATA_EXPORT WHERE name = 'EXPORT_SCHEMA_VERSION'")[0]?.values[0]?.[0] : undefined;
    if (meta !== undefined && meta !== null) info.meta['nsys.export_schema_version'] = String(meta);
    const access = readEnum(db, 'ENUM_CUDA_UNIF_MEM_ACCESS_TYPE', tables);
    const causes = readEnum(db, 'ENUM_CUDA_UNIF_MEM_MIGRATION', tables);
    const kinds = readEnum(db, 'ENUM_CUDA_MEMCPY_OPER', tables);
    const htod = kinds ? idsWhere(kinds, /UVM_HTOD|UNIFIED.*H(OST)?-?TO-?D/i) : [11];
    const dtoh = kinds ? idsWhere(kinds, /UVM_DTOH|UNIFIED.*D(EVICE)?-?TO-?H/i) : [12];
    info.meta['nsys.um_copy_kinds'] = `htod=${htod.join('|') || 'none'} dtoh=${dtoh.join('|') || 'none'}${kinds ? '' : ' (um_sum.py defaults: no ENUM_CUDA_MEMCPY_OPER)'}`;
    const parts: string[] = [];
    const need = (table: string, cols: string[]): Set<string> => {
      const have = columnsOf(db, table);
      const missing = cols.find((c) => !have.has(c));
      if (missing) throw new TraceDataError(info.path, `table ${table}`, 'column', missing, 'is missing (expected the nsys export schema, FORMATS §2.6)');
      return have;
    };
    if (tables.has(GPU)) {
      const c = need(GPU, ['start', 'deviceId', 'address']);
      parts.push(`SELECT 0 AS src, rowid AS rid, start, deviceId AS a, NULL AS b, ${c.has('globalPid') ? 'globalPid' : 'NULL'} AS gpid, address AS addr, `
        + `${c.has('numberOfPageFaults') ? 'numberOfPageFaults' : '1'} AS n, ${c.has('faultAccessType') ? 'faultAccessType' : 'NULL'} AS kind, NULL AS cause FROM ${GPU}`);
    }
    if (tables.has(CPU)) {
      const c = need(CPU, ['start', 'address']);
      parts.push(`SELECT 1, rowid, start, NULL, NULL, ${c.has('globalPid') ? 'globalPid' : 'NULL'}, address, 1, NULL, NULL FROM ${CPU}`);
    }
    const um = [...htod, ...dtoh].join(',') || 'NULL';
    if (tables.has(MEMCPY)) {
      const c = need(MEMCPY, ['start', 'bytes', 'copyKind']);
      const other = Number(db.exec(`SELECT count(*) FROM ${MEMCPY} WHERE copyKind NOT IN (${um})`)[0].values[0][0]);
      if (other > 0) skip(info, 'memcpy that is not a unified-memory migration', other);
      if (!c.has('virtualAddress')) {
        const n = Number(db.exec(`SELECT count(*) FROM ${MEMCPY} WHERE copyKind IN (${um})`)[0].values[0][0]);
        if (n > 0) skip(info, 'UM memcpy without virtualAddress (nsys too old to say where)', n);
      } else {
        const dev = (col: string) => (c.has(col) ? `coalesce(${col}, ${c.has('deviceId') ? 'deviceId' : 'NULL'})` : c.has('deviceId') ? 'deviceId' : 'NULL');
        parts.push(`SELECT 2, rowid, start, ${dev('srcDeviceId')}, ${dev('dstDeviceId')}, ${c.has('globalPid') ? 'globalPid' : 'NULL'}, virtualAddress, bytes, copyKind, `
          + `${c.has('migrationCause') ? 'migrationCause' : 'NULL'} FROM ${MEMCPY} WHERE copyKind IN (${um})`);
      }
    }
    const map = new DeviceMap(options.deviceMap, (k) => (/^\d+$/.test(k) ? String(Number(k)) : null), false);
    const w = new EventWriter(info, options);
    const htodSet = new Set(htod);
    const tally = { gpuRows: 0, gpuFaults: 0n, cpu: 0, htod: 0n, dtoh: 0n };
    const causeCount = new Map<string, number>();
    let lastPid = 1;
    let ordinal = 0;
    stmt = db.prepare(`${parts.join(' UNION ALL ')} ORDER BY start, src, rid`) as unknown as BigIntStatement;
    while (stmt.step()) {
      const [src, rid, start, a, b, gpid, addr, n, kind, cause] = stmt.get(null, { useBigInt: true });
      const table = TABLES[Number(src)];
      const where = `table ${table} rowid ${rid}`;
      const int = (v: Value, col: string, min: bigint | null = 0n): bigint => {
        if (typeof v !== 'bigint' || (min !== null && v < min)) {
          throw new TraceDataError(info.path, where, `column "${col}"`, String(v), min === null ? 'is not a 64-bit integer' : `is not an integer >= ${min}`);
        }
        return v;
      };
      const time = int(start, 'start');
      const pid = gpid === null ? lastPid : pidOf(int(gpid, 'globalPid'));
      lastPid = pid;
      const e: Ev = { op: Op.fault, addr: BigInt.asUintN(64, int(addr, src === 2n ? 'virtualAddress' : 'address', null)), len: NaN, time, pid, agent: encodeCpu(0), nodes: 0, line: ++ordinal };
      if (src === 0n) {
        e.op = accessOp(access, kind);
        e.agent = map.agent(String(int(a, 'deviceId')));
        tally.gpuRows++;
        tally.gpuFaults += typeof n === 'bigint' ? n : 1n;
      } else if (src === 1n) {
        if (agents) e.agent = agents.resolve(pid, -1, null, 0, 0, -1);
        tally.cpu++;
      } else {
        const size = int(n, 'bytes', 1n);
        const toDevice = htodSet.has(Number(kind));
        const dev = String(int(toDevice ? b : a, toDevice ? 'dstDeviceId' : 'srcDeviceId'));
        e.op = Op.migrate;
        e.len = Number(size);
        e.agent = map.agent(dev);
        e.nodes = map.nodeMask(toDevice ? dev : null);
        if (toDevice) tally.htod += size;
        else tally.dtoh += size;
        const label = cause === null ? 'unknown' : causes?.get(Number(cause))?.label || `cause ${cause}`;
        causeCount.set(label, (causeCount.get(label) ?? 0) + 1);
      }
      w.add(e, where);
      if (w.full) {
        yield w.take();
        w.batch.count = 0;
      }
    }
    Object.assign(info.meta, {
      'nsys.gpu_fault_rows': String(tally.gpuRows), 'nsys.gpu_page_faults': String(tally.gpuFaults),
      'nsys.cpu_page_faults': String(tally.cpu), 'nsys.um_htod_bytes': String(tally.htod), 'nsys.um_dtoh_bytes': String(tally.dtoh),
      'nsys.migration_causes': [...causeCount].map(([k, v]) => `${k}=${v}`).join(','), 'nsys.device_map': map.describe(),
    });
    if (w.batch.count > 0) yield w.take();
  } finally {
    stmt?.free();
    db.close();
  }
}

export const sniffNsysSqlite = (head: string): boolean => head.startsWith('SQLite format 3\u0000');

export const nsysSqliteReader: TraceReader = {
  name: NSYS_SQLITE,
  description: 'Nsight Systems SQLite export (nsys export --type sqlite): UM GPU/CPU page faults and UM memcpy migrations',
  producedBy: 'nsys profile --trace=cuda --cuda-um-cpu-page-faults=true --cuda-um-gpu-page-faults=true -o run PROGRAM; nsys export --type sqlite run.nsys-rep',
  options: ['agentMap', 'deviceMap'],
  sniff: sniffNsysSqlite,
  read: (chunks, info, options) => readNsys(chunks, info, options as DeviceReadOptions),
};
