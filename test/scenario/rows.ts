// Trace rows for the seed-backend scenario tests: one header, optional columns by name.
import { hex, MiB } from './run.js';

export const H = 'op,addr,len,agent,policy,nodes,kind,flags,file,pid,time,memcg';
export const BASE = 0x7f0000000000;
export { MiB };

type Cols = Partial<Record<'agent' | 'policy' | 'nodes' | 'kind' | 'flags' | 'file' | 'pid' | 'time' | 'memcg', string | number>>;

export const op = (name: string, addr: number | '', len: number | '', c: Cols = {}): (string | number)[] => [
  name, addr === '' ? '' : hex(addr), len, c.agent ?? 'cpu0', c.policy ?? '', c.nodes ?? '', c.kind ?? '', c.flags ?? '',
  c.file ?? '', c.pid ?? 1, c.time ?? '', c.memcg ?? '',
];

/** Base pages only: THP placement has its own rules (KERNEL-MODEL §2.11) and its own tests. */
export const BASE_PAGES = ['kernel.thp=never'];

/** CPU reads of [addr, addr+len) every 100 ms of trace time for 4 s (NUMA balancing runs on time). */
export const cpuLoop = (addr: number, len: number) =>
  Array.from({ length: 40 }, (_v, i) => op('read', addr, len, { time: (i + 1) * 100_000_000 }));
