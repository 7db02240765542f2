// Listing commands: presets, backends, metrics, schema.
import type { Command } from 'commander';
import { BACKENDS } from '../backends/registry.js';
import { configJsonSchema, listPresets } from '../config/index.js';
import { ExitCode, UsageError } from '../errors.js';
import { METRICS } from '../report/metrics-doc.js';
import { reportJsonSchema } from '../report/schema.js';
import { sweepJsonSchema } from '../sweep/spec.js';

export function registerInfoCommands(program: Command, setExit: (code: number) => void): void {
  program.command('presets').description('list the machine presets with the sources of their figures').action(() => {
    const out: string[] = [];
    for (const p of listPresets()) {
      out.push(`${p.name}: ${p.description}`, `  page size ${p.pageSize}`);
      for (const n of p.nodes) out.push(`  ${n}`);
      if (p.note) out.push(`  note: ${p.note}`);
      for (const s of p.sources) out.push(`  source: ${s}`);
      out.push('');
    }
    process.stdout.write(out.join('\n'));
    setExit(ExitCode.ok);
  });
  program.command('backends').description('list the placement backends, their variants, knobs and sources').action(() => {
    const out: string[] = [];
    for (const b of BACKENDS) {
      out.push(`${b.name} (kernel rules: ${b.kernelModel})`, `  ${b.description}`);
      if (b.variants.length) {
        out.push('  variants:');
        for (const v of b.variants) out.push(`    ${v.name}${v.name === b.defaultVariant ? ' (default)' : ''}: ${v.description}`);
      }
      if (b.knobs.length) {
        out.push(`  knobs (backends.${b.name}.*):`);
        for (const k of b.knobs) out.push(`    ${k.name} = ${k.values} (default ${k.default}): ${k.description}`);
      }
      out.push('  models:');
      for (const s of b.sources) out.push(`    ${s}`);
      out.push('');
    }
    process.stdout.write(out.join('\n'));
    setExit(ExitCode.ok);
  });
  program.command('metrics').description('print the report metric definitions').action(() => {
    const out = METRICS.map((m) => `${m.path} [${m.unit}${m.direction === 'lower-better' ? ', lower is better' : ''}]\n  ${m.definition}\n`);
    process.stdout.write(out.join('\n'));
    setExit(ExitCode.ok);
  });
  program.command('schema <which>').description('print a JSON Schema: report, config or sweep').action((which: string) => {
    const schemas: Record<string, () => unknown> = { report: reportJsonSchema, config: configJsonSchema, sweep: sweepJsonSchema };
    const make = schemas[which];
    if (!make) throw new UsageError(`schema: unknown schema "${which}" (known: ${Object.keys(schemas).join(', ')})`);
    process.stdout.write(`${JSON.stringify(make(), null, 2)}\n`);
    setExit(ExitCode.ok);
  });
}
