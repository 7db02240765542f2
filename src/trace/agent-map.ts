// Who plays which agent (DESIGN §3 "which thread or pid plays the device"): `--agent RULE`,
// repeatable, RULE = KEY=AGENT with KEY one of
//   tid:N      a thread            pid:N     a process (every thread of it)
//   comm:NAME  a task name         cpu:N     events recorded on CPU N    cpu:*  any other CPU
// and AGENT cpuN, devN or gpuN (cpu = cpu0, dev = dev0). The most specific rule wins: tid, then
// pid, then comm, then cpu:N, then cpu:*; an event no rule matches keeps its recorded agent (the
// CPU it ran on where the format records one, else cpu0). Readers that know pid, tid, comm or
// the CPU apply it: perf script, ftrace; lackey and pin record none of them (their events are
// pid 1 on cpu0, so `pid:1=dev0` or `cpu:*=dev0` makes a whole trace a device's).
import { UsageError } from '../errors.js';
import { encodeCpu } from './events.js';
import { S, scanAgent } from './csv-fields.js';

export interface AgentMap {
  /** The rules as given, in order. */
  readonly rules: readonly string[];
  readonly tid: ReadonlyMap<number, number>;
  readonly pid: ReadonlyMap<number, number>;
  readonly comm: ReadonlyMap<string, number>;
  readonly cpu: ReadonlyMap<number, number>;
  /** `cpu:*`: the agent for any recorded CPU without its own rule; null when not given. */
  readonly anyCpu: number | null;
}

const EXPECTED = '(expected tid:N=AGENT, pid:N=AGENT, comm:NAME=AGENT, cpu:N=AGENT or cpu:*=AGENT, with AGENT cpuN, devN or gpuN, e.g. tid:1234=dev0)';

/** An agent name (`cpu3`, `dev0`, `gpu1`, `cpu`, `dev`) as its encoded number; null when invalid. */
export function parseAgentName(text: string): number | null {
  const b = Buffer.from(text, 'latin1');
  return scanAgent(b, 0, b.length) === b.length ? S.v : null;
}

/** Parses `--agent` rules; a malformed or repeated rule is a UsageError (exit 2). */
export function parseAgentMap(rules: readonly string[]): AgentMap {
  const tid = new Map<number, number>();
  const pid = new Map<number, number>();
  const comm = new Map<string, number>();
  const cpu = new Map<number, number>();
  let anyCpu: number | null = null;
  const bad = (rule: string, why: string): never => {
    throw new UsageError(`--agent "${rule}": ${why} ${EXPECTED}`);
  };
  for (const rule of rules) {
    const colon = rule.indexOf(':');
    const eq = rule.lastIndexOf('=');
    if (colon <= 0 || eq < colon) bad(rule, 'is not KEY=AGENT');
    const kind = rule.slice(0, colon);
    const key = rule.slice(colon + 1, eq);
    const agent = parseAgentName(rule.slice(eq + 1));
    if (agent === null) bad(rule, `names no agent ("${rule.slice(eq + 1)}")`);
    const add = <K>(map: Map<K, number>, k: K): void => {
      if (map.has(k)) bad(rule, 'repeats a key given before');
      map.set(k, agent as number);
    };
    if (kind === 'comm') {
      if (key === '') bad(rule, 'has an empty task name');
      add(comm, key);
      continue;
    }
    if (kind === 'cpu' && key === '*') {
      if (anyCpu !== null) bad(rule, 'repeats a key given before');
      anyCpu = agent;
      continue;
    }
    if (!/^\d{1,10}$/.test(key) || Number(key) > 2147483647) bad(rule, `has no valid number after "${kind}:"`);
    const n = Number(key);
    if (kind === 'tid') add(tid, n);
    else if (kind === 'pid') add(pid, n);
    else if (kind === 'cpu') add(cpu, n);
    else bad(rule, `has an unknown key kind "${kind}"`);
  }
  return { rules: [...rules], tid, pid, comm, cpu, anyCpu };
}

/** True when the map has at least one rule. */
export const hasRules = (map: AgentMap | undefined): map is AgentMap => map !== undefined && map.rules.length > 0;

/**
 * Applies an AgentMap per event without allocating: the task name is compared as bytes with the
 * last one seen and decoded only when it changes.
 */
export class AgentResolver {
  private lastComm: Buffer = Buffer.alloc(0);
  private lastCommAgent: number | undefined = undefined;
  readonly needsComm: boolean;

  constructor(readonly map: AgentMap) {
    this.needsComm = map.comm.size > 0;
  }

  /**
   * The agent of an event by thread, process, task name b[cs, ce) and the CPU it was recorded on
   * (-1: the format records none, which plays cpu0).
   */
  resolve(pid: number, tid: number, b: Buffer | null, cs: number, ce: number, cpu: number): number {
    const m = this.map;
    let a = tid >= 0 ? m.tid.get(tid) : undefined;
    if (a !== undefined) return a;
    a = m.pid.get(pid);
    if (a !== undefined) return a;
    if (this.needsComm && b !== null) {
      a = this.commAgent(b, cs, ce);
      if (a !== undefined) return a;
    }
    const recorded = cpu < 0 ? 0 : cpu;
    a = m.cpu.get(recorded);
    if (a !== undefined) return a;
    return m.anyCpu ?? encodeCpu(recorded);
  }

  private commAgent(b: Buffer, s: number, e: number): number | undefined {
    const last = this.lastComm;
    if (last.length === e - s && b.compare(last, 0, last.length, s, e) === 0) return this.lastCommAgent;
    this.lastComm = Buffer.from(b.subarray(s, e)); // a copy: b may be a chunk the input refills
    return (this.lastCommAgent = this.map.comm.get(b.toString('utf8', s, e)));
  }
}
