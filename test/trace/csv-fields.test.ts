// trace@1 columns (DESIGN §3): each field's valid spellings and the exact one-line error for bad ones.
import { describe, expect, it } from 'vitest';
import { encodeCpu, encodeDev, Flag, MapKind, NONE, Policy } from '../../src/trace/events.js';
import { errorOf, read, rows } from './helpers.js';

const trace = (header: string, ...lines: string[]): string => `${header}\n${lines.join('\n')}\n`;
const first = async (header: string, line: string) => (await rows(trace(header, line)))[0];
const err = (header: string, line: string): Promise<string> => errorOf(trace(header, line));

describe('op', () => {
  it('reads every op name', async () => {
    const ops = ['mmap', 'munmap', 'read', 'write', 'fault', 'mbind', 'set_mempolicy', 'migrate', 'mlock', 'munlock',
      'madvise', 'pin', 'unpin', 'exit'];
    const text = trace('op,addr,kind,policy,nodes', ...ops.map((op) => `${op},0x1000,anon,bind,0`));
    expect((await rows(text)).map((r) => r.op)).toEqual(ops);
  });
  it.each(['reed', 'READ', '', ' read', 'read ', 'pi', 'set_mempolicyx'])('rejects %j', async (op) => {
    expect(await err('op,addr', `${op},0x1000`)).toBe(`t.csv:2: column "op": ${JSON.stringify(op)} is not a valid op ` +
      '(expected one of mmap, munmap, read, write, fault, mbind, set_mempolicy, migrate, mlock, munlock, madvise, pin, unpin, exit)');
  });
});

describe('addr', () => {
  it.each([
    ['0x1000', 0x1000n],
    ['0X1000', 0x1000n],
    ['0xABCdef', 0xabcdefn],
    ['4096', 4096n],
    ['0', 0n],
    ['0xfffffffffffff000', 0xfffffffffffff000n],
    ['18446744073709547520', 0xfffffffffffff000n],
    ['0xffffffffffffffff', 2n ** 64n - 1n],
    ['18446744073709551615', 2n ** 64n - 1n],
    ['0x00000000000000000001000', 0x1000n],
    ['9007199254740993', 9007199254740993n], // 2^53 + 1: a double would round it
  ])('reads %s exactly', async (text, value) => {
    expect((await first('op,addr', `read,${text}`)).addr).toBe(value);
  });
  it.each(['0x10000000000000000', '18446744073709551616', '99999999999999999999999', '-1', '0xzz', '0x', 'x10', '1e3',
    '0x1000 ', '+4096', '4096.0'])('rejects %j', async (text) => {
    expect(await err('op,addr', `read,${text}`))
      .toBe(`t.csv:2: column "addr": ${JSON.stringify(text)} is not a valid address (expected 0x-hex or decimal, < 2^64)`);
  });
  it('is required by memory ops, not by exit and set_mempolicy', async () => {
    expect(await err('op,addr', 'read,')).toBe('t.csv:2: column "addr": "" is not given (expected an address: op "read" needs one)');
    expect(await errorOf(trace('op,pid', 'munmap,1')))
      .toBe('t.csv:2: column "addr": "" is not given (expected an address: op "munmap" needs one)');
    expect((await first('op,addr', 'exit,')).op).toBe('exit');
    expect((await first('op,policy', 'set_mempolicy,local')).addr).toBe(0n);
  });
});

describe('len', () => {
  it('reads decimal and hex bytes; empty is NaN', async () => {
    const r = await rows(trace('op,addr,len', 'read,0,8', 'read,0,0x2000', 'read,0,', 'read,0,9007199254740991'));
    expect(r.map((x) => x.len)).toEqual([8, 0x2000, NaN, 2 ** 53 - 1]);
  });
  it.each(['0', '0x0', '-1', '9007199254740992', '0x20000000000000', '1.5', 'abc', '8k'])('rejects %j', async (text) => {
    expect(await err('op,addr,len', `read,0,${text}`)).toBe(`t.csv:2: column "len": ${JSON.stringify(text)} ` +
      'is not a valid length (expected bytes as decimal or 0x-hex, > 0 and < 2^53)');
  });
});

describe('pid and tid', () => {
  it('default to 1 and NONE', async () => {
    expect(await first('op,addr,pid,tid', 'read,0,,')).toMatchObject({ pid: 1, tid: NONE });
    expect(await first('op,addr', 'read,0')).toMatchObject({ pid: 1, tid: NONE });
  });
  it('read non-negative int32', async () => {
    expect(await first('op,addr,pid,tid', 'read,0,0,2147483647')).toMatchObject({ pid: 0, tid: 2147483647 });
  });
  it.each([['pid', '-1'], ['pid', '2147483648'], ['tid', '0x10'], ['tid', '1.0'], ['pid', 'one']])('%s rejects %j', async (col, text) => {
    const line = col === 'pid' ? `read,0,${text},` : `read,0,,${text}`;
    expect(await err('op,addr,pid,tid', line)).toBe(`t.csv:2: column "${col}": ${JSON.stringify(text)} ` +
      `is not a valid ${col} (expected an integer 0..2147483647)`);
  });
});

describe('agent', () => {
  it.each([
    ['', encodeCpu(0)], ['cpu', encodeCpu(0)], ['cpu0', encodeCpu(0)], ['cpu17', encodeCpu(17)], ['dev', encodeDev(0)],
    ['dev0', encodeDev(0)], ['dev3', encodeDev(3)], ['gpu', encodeDev(0)], ['gpu2', encodeDev(2)],
  ])('reads %j', async (text, agent) => {
    expect((await first('op,addr,agent', `read,0,${text}`)).agent).toBe(agent);
  });
  it.each(['CPU0', 'cpu-1', 'node1', 'dev1x', 'cp', 'cpu2147483647'])('rejects %j', async (text) => {
    expect(await err('op,addr,agent', `read,0,${text}`)).toBe(`t.csv:2: column "agent": ${JSON.stringify(text)} ` +
      'is not a valid agent (expected cpuN, devN or gpuN, e.g. cpu0, dev1; N < 2^31 - 1)');
  });
});

describe('kind and file', () => {
  it('reads kinds; mmap requires one', async () => {
    const r = await rows(trace('op,addr,kind', 'mmap,0,anon', 'mmap,0,file', 'mmap,0,shmem', 'read,0,'));
    expect(r.map((x) => x.kind)).toEqual([MapKind.anon, MapKind.file, MapKind.shmem, MapKind.none]);
    expect(await err('op,addr,kind', 'mmap,0,'))
      .toBe('t.csv:2: column "kind": "" is not given (expected anon, file or shmem: op "mmap" needs one)');
    expect(await err('op,addr,kind', 'read,0,Anon'))
      .toBe('t.csv:2: column "kind": "Anon" is not a valid kind (expected anon, file or shmem)');
  });
  it('interns file names and memcg paths once each', async () => {
    const text = trace('op,addr,kind,file,memcg', 'mmap,0,file,/lib/a.so,/a', 'mmap,0,file,/lib/b.so,/a',
      'mmap,0,file,/lib/a.so,/b', 'read,0,,,', 'read,0,,,/a');
    const { rows: r, info } = await read(text);
    expect(r.map((x) => [x.file, x.memcg])).toEqual([['/lib/a.so', '/a'], ['/lib/b.so', '/a'], ['/lib/a.so', '/b'],
      [null, null], [null, '/a']]);
    expect(info.strings).toEqual(['/lib/a.so', '/a', '/lib/b.so', '/b']);
  });
});

describe('policy and nodes', () => {
  it('reads policies and node lists as masks', async () => {
    const r = await rows(trace('op,addr,policy,nodes', 'mbind,0,bind,1', 'mbind,0,interleave,"0,1"', 'mbind,0,preferred_many,0-2',
      'mbind,0,preferred,"0-1,3,31"', 'mbind,0,default,', 'set_mempolicy,,local,', 'migrate,0,,2'));
    expect(r.map((x) => [x.policy, x.nodes])).toEqual([
      [Policy.bind, 0b10], [Policy.interleave, 0b11], [Policy.preferred_many, 0b111], [Policy.preferred, 0x8000000b],
      [Policy.default, 0], [Policy.local, 0], [Policy.none, 0b100],
    ]);
  });
  it.each(['32', '1-0', '0,', ',1', '0--1', 'a', '0;1', '-1', '0-32'])('nodes rejects %j', async (text) => {
    expect(await err('op,addr,policy,nodes', `mbind,0,bind,"${text}"`)).toBe(`t.csv:2: column "nodes": ${JSON.stringify(text)} ` +
      'is not a valid node list (expected node ids 0..31 as 1, 0,1 or 0-2)');
  });
  it('requires a policy on mbind and set_mempolicy, nodes unless default or local, and nodes on migrate', async () => {
    const h = 'op,addr,policy,nodes';
    expect(await err(h, 'mbind,0,,1')).toBe('t.csv:2: column "policy": "" is not given ' +
      '(expected default, local, bind, preferred, preferred_many or interleave: op "mbind" needs one)');
    expect(await err(h, 'set_mempolicy,,interleave,'))
      .toBe('t.csv:2: column "nodes": "" is not given (expected a node list: op "set_mempolicy" with policy "interleave" needs one)');
    expect(await err(h, 'migrate,0,,')).toBe('t.csv:2: column "nodes": "" is not given (expected a node list: op "migrate" needs one)');
    expect(await err(h, 'mbind,0,Bind,1')).toBe('t.csv:2: column "policy": "Bind" is not a valid policy ' +
      '(expected default, local, bind, preferred, preferred_many or interleave)');
  });
});

describe('flags', () => {
  it('reads ;-separated flags on mbind and madvise', async () => {
    const r = await rows(trace('op,addr,policy,nodes,flags', 'mbind,0,bind,0,move;strict', 'madvise,0,,,hugepage', 'mbind,0,bind,0,'));
    expect(r.map((x) => x.flags)).toEqual([Flag.move | Flag.strict, Flag.hugepage, 0]);
  });
  it.each(['move;', 'Move', 'move;;strict', ';', 'huge'])('rejects %j', async (text) => {
    expect(await err('op,addr,policy,nodes,flags', `mbind,0,bind,0,${text}`)).toBe(`t.csv:2: column "flags": ${JSON.stringify(text)} ` +
      'is not a valid flag list (expected ;-separated move, move_all, strict, hugepage, nohugepage)');
  });
  it('rejects flags the op does not take', async () => {
    expect(await err('op,addr,policy,nodes,flags', 'mbind,0,bind,0,move;hugepage'))
      .toBe('t.csv:2: column "flags": "hugepage" is not valid on op "mbind" (expected move, move_all, strict)');
    expect(await err('op,addr,flags', 'read,0,strict'))
      .toBe('t.csv:2: column "flags": "strict" is not valid on op "read" (expected none: only mbind and madvise take flags)');
  });
});
