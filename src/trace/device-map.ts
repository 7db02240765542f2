// Who plays a recorder's GPU: the mapping from a device id in a GPU trace (an Nsight Systems
// deviceId, a KFD gpu_id) to a cdm-replay device agent (devN) and the NUMA node that stands for
// its memory, plus the node that stands for host memory. Defaults are documented in the README
// ("Trace formats"); `deviceMap` overrides them: "KEY=devN[@NODE],...,host=NODE".
import { UsageError } from '../errors.js';
import { encodeDev, MAX_NODES, type ReadOptions } from './events.js';

/** Read options of the GPU-trace readers (nsys-sqlite, kfd-smi); deviceMap e.g. "0=dev0@1,host=0". */
export type DeviceReadOptions = ReadOptions;

interface Target {
  dev: number;
  node: number;
}

export class DeviceMap {
  readonly hostNode: number;
  private readonly fixed = new Map<string, Target>();
  private readonly seen = new Map<string, Target>();

  /**
   * `keyOf` normalises a key as the trace spells it (e.g. hex without 0x). `firstSeen`: unmapped
   * ids take dev0, dev1, ... in order of first appearance; otherwise id N (a number) is devN.
   */
  constructor(spec: string | undefined, private readonly keyOf: (raw: string) => string | null, private readonly firstSeen: boolean) {
    let host = 0;
    for (const part of (spec ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '')) {
      const m = /^([^=\s]+)=(?:(?:dev|gpu)(\d+)(?:@(\d+))?|(\d+))$/.exec(part);
      if (m && m[1] === 'host' && m[4] !== undefined) {
        host = checkNode(Number(m[4]), part);
        continue;
      }
      const key = m && m[2] !== undefined ? keyOf(m[1]) : null;
      if (!m || m[2] === undefined || key === null) {
        throw new UsageError(`device map entry "${part}" is not valid (expected ID=devN or ID=devN@NODE, or host=NODE)`);
      }
      const dev = Number(m[2]);
      this.fixed.set(key, { dev, node: checkNode(m[3] === undefined ? dev + 1 : Number(m[3]), part) });
    }
    this.hostNode = host;
  }

  /** The agent and node of device `key` (already normalised). */
  lookup(key: string): Target {
    const t = this.fixed.get(key) ?? this.seen.get(key);
    if (t) return t;
    const dev = this.firstSeen ? this.seen.size : Number(key);
    const made = { dev, node: Math.min(dev + 1, MAX_NODES - 1) };
    this.seen.set(key, made);
    return made;
  }

  agent(key: string): number {
    return encodeDev(this.lookup(key).dev);
  }

  nodeMask(key: string | null): number {
    return (1 << (key === null ? this.hostNode : this.lookup(key).node)) >>> 0;
  }

  /** "KEY=devN@NODE,...,host=NODE" for every mapped or met device, for info.meta. */
  describe(): string {
    const all = [...this.fixed, ...this.seen].map(([k, t]) => `${k}=dev${t.dev}@${t.node}`);
    return [...all, `host=${this.hostNode}`].join(',');
  }
}

function checkNode(n: number, part: string): number {
  if (n >= MAX_NODES) throw new UsageError(`device map entry "${part}" names node ${n} (expected a node id below ${MAX_NODES})`);
  return n;
}
