// `npm run test:kernel-hmm`: the opt-in test_hmm suite (boots the custom kernel; one guest at a time).
// Neither `npm test` (it excludes *.int.test.ts) nor `npm run test:kernel` (test/kernel-check only) runs it.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/kernel-hmm/**/*.int.test.ts'],
    testTimeout: 600_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
