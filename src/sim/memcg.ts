// cgroup v2 memory controllers (KERNEL-MODEL §2.9; mm/memcontrol.c). Flat paths; index 0 is the
// root. Charges are exact (the per-cpu MEMCG_CHARGE_BATCH stock is not modelled).

export class Memcg {
  /** Pages charged (memory.current). */
  usage = 0;
  /** Page-table (kernel) pages charged, part of usage. */
  kernel = 0;
  peak = 0;
  /** memory.events */
  events = { max: 0, oom: 0, oom_kill: 0 };
  /** memory.stat page counts by kind. */
  anon = 0;
  file = 0;
  shmem = 0;
  constructor(readonly path: string, public maxPages: number, readonly parent: number) {}
}

export class Memcgs {
  readonly list: Memcg[] = [new Memcg('/', Infinity, -1)];
  private byPath = new Map<string, number>([['/', 0]]);

  /** Index of the memcg at `path`, created (unlimited) on first sight. */
  lookup(path: string): number {
    let i = this.byPath.get(path);
    if (i === undefined) {
      const cut = path.replace(/\/+$/, '').lastIndexOf('/');
      const parent = cut <= 0 ? 0 : this.lookup(path.slice(0, cut));
      i = this.list.length;
      this.list.push(new Memcg(path, Infinity, parent));
      this.byPath.set(path, i);
    }
    return i;
  }

  /** True when `m` is `ancestor` or below it. */
  within(m: number, ancestor: number): boolean {
    for (let c = m; c >= 0; c = this.list[c].parent) if (c === ancestor) return true;
    return false;
  }

  get count(): number {
    return this.list.length;
  }
}
