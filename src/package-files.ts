// Files of this package (package.json, the built workers, the kernel-check guest sources), found
// from the package root. The CLI and the worker entries are bundled (scripts/bundle.mjs), so a
// module's import.meta.url is its entry file's, not its own: a path relative to it would differ
// between src/ (vitest), dist/ and a bundle. The root is the nearest folder up with our package.json.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

let root: string | null = null;

/** The package root (the folder holding cdm-replay's package.json). */
export function packageRoot(): string {
  if (root !== null) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'cdm-replay') return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`cdm-replay: package.json not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** A file of the package by its path from the root, e.g. `dist/engine/backend-worker.js`. */
export function packageFile(path: string): string {
  return join(packageRoot(), path);
}

/** The same as a file URL (what `new Worker` takes). */
export function packageUrl(path: string): URL {
  return pathToFileURL(packageFile(path));
}
