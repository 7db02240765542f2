// The charting library inlined into every HTML report: Apache ECharts' minified browser build,
// read from the installed package (a runtime dependency, so it is there from dist/ and from an
// npm install alike) and its licence texts, which the page carries as Apache-2.0 asks.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface ChartLibrary {
  name: string;
  version: string;
  licence: string;
  /** The browser build, to inline in a <script>. */
  code: string;
  /** LICENSE and NOTICE as shipped by the package. */
  notice: string;
}

let cached: ChartLibrary | undefined;

export function chartLibrary(): ChartLibrary {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const file = require.resolve('echarts/dist/echarts.min.js');
  const root = dirname(dirname(file));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; license: string };
  const code = readFileSync(file, 'utf8');
  // The page inlines the code in a <script> element: a "</script" inside would end it early.
  if (/<\/script/i.test(code)) throw new Error('internal: echarts build contains "</script"; cannot inline it');
  const notice = ['LICENSE', 'NOTICE'].map((f) => readFileSync(join(root, f), 'utf8').trim()).join('\n\n');
  cached = { name: 'Apache ECharts', version: pkg.version, licence: pkg.license, code, notice };
  return cached;
}
