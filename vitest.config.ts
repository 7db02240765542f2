import { configDefaults, defineConfig } from 'vitest/config';
// Integration suites (*.int.test.ts) boot real kernels: they run under `npm run test:kernel`.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, '**/*.int.test.ts'],
    testTimeout: 60000,
    pool: 'forks',
  },
});
