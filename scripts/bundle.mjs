// Bundles the built entry points that start a JavaScript context (the CLI and the two worker
// kinds) into one file each, in place, after tsc. Loading ~190 small modules (zod alone is 95)
// cost about 0.3 s of CPU per process and per worker thread on the 2-core dev VM; one bundle
// loads in a tenth of that, which is what makes worker threads pay on small traces and sweeps
// start fast. dist/index.js (the library) stays unbundled. Paths to package files go through
// src/package-files.ts, since a bundled module's import.meta.url is its entry's.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = fileURLToPath(new URL('..', import.meta.url));
const ENTRIES = ['cli/main.js', 'engine/backend-worker.js', 'sweep/worker.js'];
// sql.js finds its .wasm beside its own module; node: builtins are not bundled anyway.
const EXTERNAL = ['sql.js'];

/** Hands rolldown tsc's source map with each dist module, so the bundle's map leads to src/*.ts. */
const tscMaps = {
  name: 'tsc-source-maps',
  load(id) {
    if (!id.startsWith(join(root, 'dist')) || !id.endsWith('.js') || !existsSync(`${id}.map`)) return null;
    const code = readFileSync(id, 'utf8').replace(/\n\/\/# sourceMappingURL=.*$/, '');
    return { code, map: readFileSync(`${id}.map`, 'utf8') };
  },
};

const staged = [];
for (const entry of ENTRIES) {
  const input = join(root, 'dist', entry);
  const bundle = await rolldown({
    input,
    platform: 'node',
    external: EXTERNAL,
    plugins: [tscMaps],
    logLevel: 'warn',
    onwarn(warning) {
      throw new Error(`bundle ${entry}: ${warning.message}`, { cause: warning });
    },
  });
  // keepNames: errors take their class's name (errors.ts), which threads.ts matches on.
  const { output } = await bundle.generate({ file: input, format: 'esm', sourcemap: true, keepNames: true });
  await bundle.close();
  const chunks = output.filter((o) => o.type === 'chunk'); // the rest: the source map as an asset
  if (chunks.length !== 1) throw new Error(`bundle ${entry}: expected one chunk, got ${chunks.length}`);
  const { code, map } = chunks[0];
  const tmp = `${input}.bundle`;
  writeFileSync(tmp, `${code.replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n')}//# sourceMappingURL=${basename(input)}.map\n`);
  writeFileSync(`${tmp}.map`, map.toString());
  staged.push([tmp, input]);
}
// Replace only when every bundle built: the inputs are tsc's files at the same paths.
for (const [tmp, input] of staged) {
  renameSync(tmp, input);
  renameSync(`${tmp}.map`, `${input}.map`);
}
