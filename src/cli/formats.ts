// `cdm-replay formats`, and the trace-reading options the replay and convert commands share
// (argument -> ReadOptions mapping only; the readers live in src/trace).
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { parseAgentMap } from '../trace/agent-map.js';
import type { ReadOptions } from '../trace/events.js';
import { FORMAT_ALIASES, FORMAT_OPTION_FLAGS, READERS } from '../trace/registry.js';

export interface ReaderCliOptions {
  agent?: string[];
  keepInstr?: boolean;
  pinColumns?: string;
  zoneinfo?: string;
  deviceMap?: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** Adds --agent, --keep-instr, --pin-columns and --zoneinfo to a command. */
export function addReaderOptions(cmd: Command): Command {
  return cmd
    .option('--agent <rule>', 'who plays which agent: tid:N=dev0, pid:N=dev1, comm:NAME=gpu0, cpu:N=cpu1, cpu:*=cpu0 (repeatable; perf, ftrace, lackey, pin input)', collect, [] as string[])
    .option('--keep-instr', 'lackey input: replay instruction fetches (I lines) as reads instead of skipping them')
    .option('--pin-columns <list>', 'pinatrace input: column layout, e.g. ip,op,addr (default: sniffed) or addr,size,ip,op=write')
    .option('--zoneinfo <file>', 'ftrace input: a /proc/zoneinfo of the recording machine, to count mm_page_alloc per node')
    .option('--device-map <map>', 'nsys/KFD input: which agent and node a recorded GPU id becomes, e.g. 0=dev0@1,1=dev1@2,host=0');
}

/** The ReadOptions the reader options ask for (rules are checked here: a bad --agent is exit 2). */
export function readOptionsOf(o: ReaderCliOptions): ReadOptions {
  const r: ReadOptions = {};
  if (o.agent && o.agent.length > 0) r.agentMap = parseAgentMap(o.agent);
  if (o.keepInstr) r.keepInstr = true;
  if (o.pinColumns !== undefined) r.pinColumns = o.pinColumns;
  if (o.zoneinfo !== undefined) r.zoneinfo = o.zoneinfo;
  if (o.deviceMap !== undefined) r.deviceMap = o.deviceMap;
  return r;
}

/** The `formats` listing: every reader, its aliases, what it reports and the command that produces it. */
export function formatsText(): string {
  const out: string[] = [];
  for (const r of READERS) {
    const aliases = Object.entries(FORMAT_ALIASES).filter(([, to]) => to === r.name).map(([a]) => a);
    out.push(`${r.name}${aliases.length ? ` (also: ${aliases.join(', ')})` : ''}`, `  ${r.description}`);
    out.push(`  reports: ${r.reports ?? r.name}`);
    if (r.producedBy) out.push(`  produced by: ${r.producedBy}`);
    if (r.options?.length) out.push(`  options: ${r.options.map((k) => FORMAT_OPTION_FLAGS[k]).join(', ')}`);
    out.push('');
  }
  out.push('Formats are sniffed from the first bytes; --input-format NAME (convert: --from NAME) picks one. gzip is read transparently.', '');
  return out.join('\n');
}

export function registerFormats(program: Command, setExit: (code: number) => void): void {
  program.command('formats').description('list the trace formats read, with the command that produces each').action(() => {
    process.stdout.write(formatsText());
    setExit(ExitCode.ok);
  });
}
