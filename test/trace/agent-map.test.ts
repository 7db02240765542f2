// --agent rules: parsing, precedence, errors.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { AgentResolver, parseAgentMap, parseAgentName } from '../../src/trace/agent-map.js';

describe('agent map', () => {
  it('parses every key kind and agent spelling', () => {
    const m = parseAgentMap(['tid:1234=dev0', 'pid:42=gpu1', 'comm:a=b:c=dev2', 'cpu:3=cpu1', 'cpu:*=cpu0']);
    expect([...m.tid]).toEqual([[1234, -1]]);
    expect([...m.pid]).toEqual([[42, -2]]);
    expect([...m.comm]).toEqual([['a=b:c', -3]]); // the last = separates the agent
    expect([...m.cpu]).toEqual([[3, 1]]);
    expect(m.anyCpu).toBe(0);
    expect([parseAgentName('cpu'), parseAgentName('dev'), parseAgentName('cpu7'), parseAgentName('x')]).toEqual([0, -1, 7, null]);
  });

  it('resolves tid, then pid, then comm, then cpu:N, then cpu:*, then the recorded CPU', () => {
    const r = new AgentResolver(parseAgentMap(['tid:7=dev0', 'pid:5=dev1', 'comm:worker=dev2', 'cpu:1=cpu3']));
    const comm = Buffer.from('xworker');
    expect(r.resolve(5, 7, comm, 1, 7, 1)).toBe(-1);
    expect(r.resolve(5, 8, comm, 1, 7, 1)).toBe(-2);
    expect(r.resolve(6, 8, comm, 1, 7, 1)).toBe(-3);
    expect(r.resolve(6, 8, comm, 1, 7, 1)).toBe(-3); // the cached name
    expect(r.resolve(6, 8, comm, 0, 7, 1)).toBe(3);
    expect(r.resolve(6, 8, comm, 0, 7, 2)).toBe(2);
    expect(r.resolve(6, 8, null, 0, 0, -1)).toBe(0);
    expect(new AgentResolver(parseAgentMap(['cpu:*=dev0'])).resolve(1, -1, null, 0, 0, 5)).toBe(-1);
  });

  it('rejects malformed and repeated rules as usage errors naming the rule', () => {
    for (const rule of ['tid1234=dev0', 'tid:abc=dev0', 'tid:1=disk0', 'host:1=dev0', 'comm:=dev0', 'pid:99999999999=dev0', 'tid:1']) {
      expect(() => parseAgentMap([rule]), rule).toThrow(UsageError);
      expect(() => parseAgentMap([rule]), rule).toThrow(`--agent "${rule}"`);
    }
    expect(() => parseAgentMap(['pid:1=dev0', 'pid:1=dev1'])).toThrow('repeats a key');
    expect(() => parseAgentMap(['cpu:*=dev0', 'cpu:*=dev1'])).toThrow('repeats a key');
  });
});
