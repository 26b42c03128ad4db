import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Scans what the reliability tests log (it does nothing for other files).
    setupFiles: ['test/reliability/support/log-scan-setup.ts'],
    reporters: ['default', './test/support/ci-summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // CI has 2 cores; DynamoDB Local and Chromium need one of them.
    maxWorkers: process.env.CI ? 2 : undefined,
  },
});
