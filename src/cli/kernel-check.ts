// `cdm-replay kernel-check <trace>`: arguments -> runKernelCheck(), rendering, exit code
// (0 every observable within tolerance, 1 some outside, 2 usage/config/prerequisites missing).
import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../config/index.js';
import { ExitCode, UsageError } from '../errors.js';
import { guestReportSchema, type KernelObservation } from '../kernel-check/observation.js';
import { type KernelCheckResult, runKernelCheck } from '../kernel-check/check.js';
import { HMM_VARIANTS, type HmmVariant } from '../kernel-check/hmm-machine.js';
import { HMM_KERNEL } from '../kernel-check/paths.js';
import { renderCheckJson, renderCheckMarkdown, renderCheckTable } from '../kernel-check/table.js';
import { decideColour } from '../report/colour.js';
import { emit } from './main.js';
import { PARSE_ONCE } from '../parse-once.js';

interface KernelCheckCliOptions {
  preset?: string;
  config?: string;
  set: string[];
  kernel: string;
  format: string;
  out?: string;
  pace?: boolean;
  known?: string;
  observation?: string;
  saveObservation?: string;
  keep?: boolean;
  ignoreColumns?: boolean;
  hmmVariant?: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];
const FORMATS = ['table', 'json', 'markdown'];

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`${what} ${path}: ${(e as Error).message}`);
  }
}

function readObservation(path: string): KernelObservation {
  const raw = readJson(path, '--observation') as { host?: KernelObservation['host'] };
  const parsed = guestReportSchema.safeParse(raw, PARSE_ONCE);
  if (!parsed.success) throw new UsageError(`--observation ${path}: not a cdm-replay/kernel-observation@1 file (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  return { ...parsed.data, host: raw.host ?? { kernelImage: '', kernelVersion: null, qemuArgs: [], wallMs: 0, initUptimeS: null, doneUptimeS: null } };
}

function readKnown(path: string): Record<string, string> {
  const raw = readJson(path, '--known');
  if (!raw || typeof raw !== 'object' || Array.isArray(raw) || Object.values(raw).some((v) => typeof v !== 'string'))
    throw new UsageError(`--known ${path}: expected a JSON object {"observable id": "reason", ...}`);
  return raw as Record<string, string>;
}

export async function runKernelCheckCli(trace: string, o: KernelCheckCliOptions): Promise<number> {
  if (!FORMATS.includes(o.format)) throw new UsageError(`kernel-check: unknown format "${o.format}" (known: ${FORMATS.join(', ')})`);
  if (trace === '-') throw new UsageError('kernel-check: the trace must be a file (it is copied into the guest), not stdin');
  const variants = hmmVariants(o);
  const { config, warnings } = loadConfig({ preset: o.preset, configFile: o.config, sets: o.set });
  const results: KernelCheckResult[] = [];
  // --kernel hmm checks each variant in a boot of its own: private and coherent devices differ in
  // the guest's memory layout (memmap=) and in which /dev/hmm_dmirror* the trace's devices are.
  for (const variant of variants) {
    const res = await runKernelCheck({
      tracePath: trace,
      config,
      presetName: config.preset ?? o.preset,
      kernel: o.kernel,
      ...(variant ? { hmmVariant: variant } : {}),
      pace: o.pace,
      known: o.known ? readKnown(o.known) : undefined,
      observation: o.observation ? readObservation(o.observation) : undefined,
      ignoreColumns: o.ignoreColumns,
      warnings,
      guest: { keepWorkDir: o.keep },
    });
    if (o.saveObservation) writeFileSync(observationPath(o.saveObservation, variants.length > 1 ? variant : undefined), `${JSON.stringify(res.observation, null, 1)}\n`);
    results.push(res);
  }
  const colour = decideColour({ isTTY: !o.out && process.stdout.isTTY === true });
  const render = (res: KernelCheckResult): string =>
    o.format === 'json' ? renderCheckJson(res) : o.format === 'markdown' ? renderCheckMarkdown(res) : renderCheckTable(res, colour);
  const text = o.format === 'json' && results.length > 1
    ? `[\n${results.map((r) => render(r).trimEnd()).join(',\n')}\n]\n`
    : results.map(render).join('\n');
  emit(text, o.out);
  return results.some((r) => r.summary.failed > 0) ? ExitCode.checkFailed : ExitCode.ok;
}

/** The variants one run checks: none for a stock kernel; for --kernel hmm both, or the one named. */
export function hmmVariants(o: { kernel: string; hmmVariant?: string; observation?: string }): (HmmVariant | undefined)[] {
  if (o.kernel !== HMM_KERNEL) {
    if (o.hmmVariant !== undefined) throw new UsageError('kernel-check: --hmm-variant needs --kernel hmm');
    return [undefined];
  }
  if (o.hmmVariant === undefined) {
    if (o.observation) throw new UsageError('kernel-check --kernel hmm --observation: name the variant the observation is of (--hmm-variant private|coherent-6x)');
    return [...HMM_VARIANTS];
  }
  if (!(HMM_VARIANTS as readonly string[]).includes(o.hmmVariant))
    throw new UsageError(`kernel-check: unknown --hmm-variant "${o.hmmVariant}" (known: ${HMM_VARIANTS.join(', ')})`);
  return [o.hmmVariant as HmmVariant];
}

/** obs.json -> obs.private.json when one run saves several observations. */
function observationPath(path: string, variant?: string): string {
  if (!variant) return path;
  const dot = path.lastIndexOf('.');
  return dot > path.lastIndexOf('/') ? `${path.slice(0, dot)}.${variant}${path.slice(dot)}` : `${path}.${variant}`;
}

export function registerKernelCheck(program: Command, setExit: (code: number) => void): void {
  program
    .command('kernel-check <trace>')
    .description('replay a trace on Debian\'s Linux 6.12 under qemu and in the mainline simulator (with --kernel hmm: a test_hmm kernel and the hmm simulator), and compare every shared observable')
    .option('-p, --preset <name>', 'machine preset (see `cdm-replay presets`)')
    .option('-c, --config <file>', 'scenario config (YAML or JSON), on top of its preset')
    .option('-s, --set <key=value>', 'override a config key by dotted path (repeatable)', collect, [] as string[])
    .option('-k, --kernel <name>', 'debian-6.12, a cached version such as 6.12.117+deb12-amd64, a path to a bzImage, or hmm (custom 6.12 with test_hmm: checks the hmm backend; npm run kernel-check:setup -- --hmm)', 'debian-6.12')
    .option('--hmm-variant <variant>', 'with --kernel hmm: private or coherent-6x only (default: both, one boot each)')
    .option('-f, --format <fmt>', 'table | json | markdown', 'table')
    .option('-o, --out <file>', 'write the result to a file instead of stdout')
    .option('--pace', 'replay by the trace\'s time column (default when kernel.numaBalancing is on)')
    .option('--no-pace', 'replay as fast as the guest can')
    .option('--known <file>', 'JSON {"observable": "reason"}: known divergences, reported as "known" instead of failing')
    .option('--observation <file>', 'compare against a saved kernel observation instead of booting a guest')
    .option('--save-observation <file>', 'write the kernel\'s raw observation (kernel-observation@1 JSON)')
    .option('--keep', 'keep the guest\'s work folder (initramfs, console.log)')
    .option('--ignore-columns', 'ignore unknown trace columns instead of failing')
    .action(async (trace: string, opts: KernelCheckCliOptions, cmd: Command) => {
      // The root command shares option names (--preset, --config, --set, --format, --out): commander
      // may hand them to the root, so take them from there when this command did not see them.
      const root = (cmd.parent?.opts() ?? {}) as Partial<KernelCheckCliOptions>;
      const set = [...(root.set ?? []), ...opts.set];
      const pick = <K extends keyof KernelCheckCliOptions>(k: K): KernelCheckCliOptions[K] => (cmd.getOptionValueSource(k) === 'default' && root[k] !== undefined && cmd.parent?.getOptionValueSource(k) !== 'default' ? root[k] : opts[k]) as KernelCheckCliOptions[K];
      setExit(await runKernelCheckCli(trace, { ...opts, set, preset: opts.preset ?? root.preset, config: opts.config ?? root.config, format: pick('format'), out: opts.out ?? root.out, ignoreColumns: opts.ignoreColumns ?? root.ignoreColumns }));
    });
}
