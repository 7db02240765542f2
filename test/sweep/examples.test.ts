// The scheduler recipes in examples/ are valid, and the shard arguments they compute, with the
// scheduler's environment simulated and the CLI replaced by a stub that logs its arguments,
// cover shards 1..N exactly once and end in a merge.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const EX = join(import.meta.dirname, '../../examples');
const bin = mkdtempSync(join(tmpdir(), 'cdm-fake-bin-'));
for (const name of ['npx', 'cdm-replay', 'sbatch']) {
  const extra = name === 'sbatch' ? 'echo 4242' : '';
  writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "$FAKE_LOG"\n${extra}\nexit \${FAKE_EXIT:-0}\n`);
  chmodSync(join(bin, name), 0o755);
}

/** Runs a shell snippet with the stubs first on PATH; returns its exit code and the stub log. */
function simulate(shell: string, args: string[], env: Record<string, string>) {
  const log = join(mkdtempSync(join(tmpdir(), 'cdm-fake-')), 'log');
  writeFileSync(log, '');
  const r = spawnSync(shell, args, { encoding: 'utf8', env: { ...process.env, ...env, PATH: `${bin}:${process.env.PATH}`, FAKE_LOG: log } });
  return { code: r.status, err: r.stderr, calls: readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) };
}

/** The --shard I/N arguments of the sweep calls, checked to cover 1..N exactly once. */
function expectCover(calls: string[], n: number): void {
  const shards = calls.filter((c) => / sweep /.test(c)).map((c) => /--shard (\d+)\/(\d+)/.exec(c)?.slice(1).map(Number));
  expect(shards.every((s) => s?.[1] === n), calls.join('\n')).toBe(true);
  expect(shards.map((s) => s?.[0]).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(Array.from({ length: n }, (_, i) => i + 1));
}

describe('examples/github-actions-sweep.yml', () => {
  const wf = parse(readFileSync(join(EX, 'github-actions-sweep.yml'), 'utf8'));

  it('runs one matrix job per shard, covering 1..N, and merges their artifacts', () => {
    const shards: number[] = wf.jobs.shard.strategy.matrix.shard;
    const steps: { run?: string; uses?: string; with?: Record<string, string> }[] = wf.jobs.shard.steps;
    const run = steps.find((s) => s.run?.includes('cdm-replay sweep'))?.run ?? '';
    const calls = shards.flatMap((k) => {
      const script = run.replaceAll('${{ matrix.shard }}', String(k)).replaceAll('${{ strategy.job-total }}', String(shards.length));
      expect(script).not.toContain('${{');
      const r = simulate('bash', ['-c', script], { SPEC: wf.env.SPEC });
      expect(r.code).toBe(0);
      return r.calls;
    });
    expectCover(calls, shards.length);
    expect(steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))?.with?.path).toBe('out/shard-${{ matrix.shard }}');
    const merge = wf.jobs.merge;
    expect(merge.needs).toBe('shard');
    expect(merge.if).toBe('always()');
    const download = merge.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/download-artifact'));
    expect(download.with).toEqual({ pattern: 'sweep-shard-*', path: 'shards' });
    expect(merge.steps.some((s: { run?: string }) => s.run?.includes('cdm-replay merge shards/sweep-shard-* --out merged'))).toBe(true);
  });
});

describe('examples/slurm-sweep.sh', () => {
  const script = join(EX, 'slurm-sweep.sh');

  it('passes bash -n', () => {
    execFileSync('bash', ['-n', script]);
  });

  it('submits an array of N tasks and a merge that depends on it', () => {
    const r = simulate('bash', [script], { SHARDS: '5', SPEC: 's.yaml', OUT: 'o' });
    expect(r.code, r.err).toBe(0);
    expect(r.calls[0]).toMatch(/^sbatch --parsable --array=0-4 /);
    expect(r.calls[1]).toContain('--dependency=afterany:4242');
    expect(r.calls[1]).toContain('--wrap=npx cdm-replay merge o/shard-* --out o/merged');
  });

  it('gives array tasks 0..N-1 the shards 1..N', () => {
    const n = 5;
    const calls = Array.from({ length: n }, (_, id) => {
      const r = simulate('bash', [script], { SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_COUNT: String(n), SPEC: 's.yaml', OUT: 'o' });
      expect(r.code, r.err).toBe(0);
      expect(r.calls[0]).toContain(`--out o/shard-${id + 1} --resume`);
      return r.calls[0];
    });
    expectCover(calls, n);
  });
});

describe('examples/k8s-sweep.yaml', () => {
  const docs = parseAllDocuments(readFileSync(join(EX, 'k8s-sweep.yaml'), 'utf8')).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS();
  });
  const job = docs.find((d) => d.kind === 'Job' && d.spec.completionMode === 'Indexed');
  const container = job.spec.template.spec.containers[0];
  const shards = Number(container.env.find((e: { name: string }) => e.name === 'SHARDS').value);

  it('is an Indexed Job whose completion indexes cover shards 1..N on a shared volume', () => {
    expect(job.spec.completions).toBe(shards);
    expect(job.spec.parallelism).toBe(shards);
    const calls = Array.from({ length: shards }, (_, i) => {
      const r = simulate(container.command[0], container.command.slice(1), { JOB_COMPLETION_INDEX: String(i), SHARDS: String(shards) });
      expect(r.code, r.err).toBe(0);
      return r.calls[0];
    });
    expectCover(calls, shards);
    expect(calls.every((c) => c.includes('--out /data/out/shard-'))).toBe(true);
    const claim = docs.find((d) => d.kind === 'PersistentVolumeClaim').metadata.name;
    expect(job.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe(claim);
  });

  it('completes a shard whose runs partly failed (exit 5), fails it on other errors', () => {
    const env = { JOB_COMPLETION_INDEX: '0', SHARDS: String(shards) };
    expect(simulate(container.command[0], container.command.slice(1), { ...env, FAKE_EXIT: '5' }).code).toBe(0);
    expect(simulate(container.command[0], container.command.slice(1), { ...env, FAKE_EXIT: '2' }).code).not.toBe(0);
  });

  it('ends with a merge Job over every shard folder on the same volume', () => {
    const merge = docs.find((d) => d.kind === 'Job' && d !== job);
    expect(merge.metadata.labels.step).toBe('merge');
    expect(docs.filter((d) => d !== merge).every((d) => d.metadata.labels.step === 'shards')).toBe(true);
    const c = merge.spec.template.spec.containers[0];
    const r = simulate(c.command[0], c.command.slice(1), {});
    expect(r.calls).toEqual(['cdm-replay merge /data/out/shard-* --out /data/out/merged']);
  });
});
