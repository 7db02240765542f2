// House rules of DESIGN §2 as import restrictions: a wrong-way import fails `npm test`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const forbid = (...folders) => ({
  'no-restricted-imports': ['error', {
    patterns: folders.map((f) => ({
      group: [`**/${f}`, `**/${f}/**`],
      message: `DESIGN §2: this folder may not import from src/${f}.`,
    })),
  }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/artifacts/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['bin/**/*.js', 'bench/**/*.{js,mjs}', 'scripts/**/*.{js,mjs}', 'eslint.config.js'], languageOptions: { globals: globals.node } },
  // sim is the design-neutral mm core: it knows no design, no metric, no output.
  { files: ['src/sim/**'], rules: forbid('backends', 'metrics', 'report', 'cli', 'sweep', 'config') },
  // backends decide only; they use the core and nothing downstream of it.
  { files: ['src/backends/**'], rules: forbid('metrics', 'report', 'cli', 'sweep') },
  // metrics observe simulation events; never a backend's private state.
  { files: ['src/metrics/**'], rules: forbid('backends', 'report', 'cli', 'sweep') },
  // renderers take a finished report and nothing else.
  { files: ['src/report/**'], rules: forbid('sim', 'backends', 'metrics', 'cli', 'sweep', 'trace') },
  // readers only produce events.
  { files: ['src/trace/**'], rules: forbid('sim', 'backends', 'metrics', 'report', 'cli', 'config') },
  { files: ['src/config/**'], rules: forbid('sim', 'backends', 'metrics', 'report', 'cli', 'trace') },
);
