// The tool's version, read once from package.json (ESM JSON import needs a file URL read).
import { readFileSync } from 'node:fs';
import { packageFile } from './package-files.js';

const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string };
export const TOOL_VERSION: string = pkg.version;
