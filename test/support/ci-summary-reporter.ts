import type { Reporter, TestModule } from 'vitest/node';

/**
 * CI reads a line `N passed, N failed` as the test summary; vitest's own summary is not recognized.
 * A file that fails without a failing test (it fails to load, or a beforeAll/afterAll hook fails,
 * such as the reliability suite's log scan) counts as one failure, so it can never look green.
 */
export default class CiSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    for (const testModule of testModules) {
      let failedHere = 0;
      for (const testCase of testModule.children.allTests()) {
        const state = testCase.result().state;
        if (state === 'passed') passed += 1;
        if (state === 'failed') failedHere += 1;
      }
      failed += failedHere === 0 && testModule.state() === 'failed' ? 1 : failedHere;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  }
}
