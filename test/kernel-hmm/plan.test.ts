// --kernel hmm: what each trace event becomes in the guest (src/kernel-check/hmm-plan.ts), and the
// one-line exit-2 error for what test_hmm cannot express.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { classify, type HmmTopology, planHmmTrace } from '../../src/kernel-check/hmm-plan.js';
import { encodeCpu, encodeDev, EventBatch, Op } from '../../src/trace/events.js';

const dir = mkdtempSync(join(tmpdir(), 'cdm-hmm-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// node 0: CPU node with 2 CPUs, node 1: memory-only CPU-kind node, node 2: the device
const topo: HmmTopology = { deviceNodes: [2], cpusOf: new Map([[0, 2], [1, 0], [2, 0]]) };

function event(op: number, agent: number, nodes = 0): EventBatch {
  const b = new EventBatch(1);
  b.count = 1;
  b.op[0] = op;
  b.agent[0] = agent;
  b.nodes[0] = nodes;
  return b;
}
const bit = (n: number): number => 1 << n;

describe('trace -> guest op under --kernel hmm', () => {
  it('maps device agents to test_hmm ioctls and CPU agents to plain accesses and syscalls', () => {
    expect(classify(event(Op.read, encodeDev(0)), 0, topo)).toBe('hmm-read');
    expect(classify(event(Op.write, encodeDev(0)), 0, topo)).toBe('hmm-write');
    expect(classify(event(Op.fault, encodeDev(0)), 0, topo)).toBe('hmm-write');
    expect(classify(event(Op.migrate, encodeDev(0), bit(2)), 0, topo)).toBe('hmm-migrate-to-dev');
    expect(classify(event(Op.migrate, encodeDev(0), bit(0)), 0, topo)).toBe('hmm-migrate-to-sys');
    expect(classify(event(Op.read, encodeCpu(1)), 0, topo)).toBe('cpu-access');
    expect(classify(event(Op.fault, encodeCpu(0)), 0, topo)).toBe('cpu-access');
    expect(classify(event(Op.migrate, encodeCpu(0), bit(1)), 0, topo)).toBe('move-pages');
    expect(classify(event(Op.mbind, encodeCpu(0), bit(0) | bit(1)), 0, topo)).toBe('syscall');
    expect(classify(event(Op.mmap, encodeDev(0)), 0, topo)).toBe('syscall');
  });

  it('refuses what the guest cannot express, naming the column', () => {
    const why = (b: EventBatch): string => {
      const r = classify(b, 0, topo);
      if (typeof r === 'string') throw new Error(`expected a refusal, got ${r}`);
      return `${r.column}: ${r.why}`;
    };
    expect(why(event(Op.pin, encodeCpu(0)))).toMatch(/^op: pin is not supported.*FOLL_LONGTERM/);
    expect(why(event(Op.unpin, encodeCpu(0)))).toMatch(/^op: unpin/);
    expect(why(event(Op.mbind, encodeCpu(0), bit(0) | bit(2)))).toMatch(/^nodes: mbind names device node 2: under hmm device memory is not a NUMA node/);
    expect(why(event(Op.set_mempolicy, encodeCpu(0), bit(2)))).toMatch(/^nodes: set_mempolicy names device node 2/);
    expect(why(event(Op.migrate, encodeCpu(0), bit(2)))).toMatch(/CPU agent's migrate names device node 2: move_pages cannot name device memory/);
    expect(why(event(Op.migrate, encodeDev(0), bit(1)))).toMatch(/node 1 has no CPU/);
    expect(why(event(Op.read, encodeDev(1)))).toMatch(/^agent: dev1 is not a device of this machine/);
  });

  it('reads a whole trace into op counts, and stops at the first refusal with file:line (exit 2)', async () => {
    const ok = join(dir, 'ok.csv');
    writeFileSync(ok, 'op,addr,len,agent,kind,nodes\nmmap,0x7f0000000000,16384,cpu0,anon,\nwrite,0x7f0000000000,16384,cpu0,,\n' +
      'migrate,0x7f0000000000,16384,dev0,,2\nread,0x7f0000000000,4096,dev0,,\nread,0x7f0000000000,4096,cpu1,,\nmigrate,0x7f0000000000,16384,dev0,,0\n');
    expect(await planHmmTrace(ok, topo)).toEqual({
      'syscall': 1, 'cpu-access': 2, 'move-pages': 0, 'hmm-read': 1, 'hmm-write': 0, 'hmm-migrate-to-dev': 1, 'hmm-migrate-to-sys': 1,
    });
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'op,addr,len,agent,kind,nodes,policy\nmmap,0x7f0000000000,16384,cpu0,anon,,\nmbind,0x7f0000000000,16384,cpu0,,2,bind\n');
    const err = await planHmmTrace(bad, topo).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/bad\.csv:3: column "nodes": mbind names device node 2/);
    expect((err as Error).message).not.toContain('\n');
  });
});
