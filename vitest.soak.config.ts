import { defineConfig } from 'vitest/config';

/**
 * `npm run test:soak`: the reliability suite at full size (the npm script sets SOAK=1): the same
 * tests as in `npm test`, with the counts the issue asks for. Not part of `npm test`.
 */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/reliability/support/log-scan-setup.ts'],
    reporters: ['default', './test/support/ci-summary-reporter.ts'],
    testTimeout: 20 * 60_000,
    hookTimeout: 5 * 60_000,
    pool: 'forks',
    maxWorkers: process.env.CI ? 2 : undefined,
  },
});
