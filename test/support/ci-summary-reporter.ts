import type { Reporter, TestModule } from 'vitest/node';

/**
 * CI reads a line `N passed, N failed` as the test summary; vitest's own summary is not recognized.
 * A file that fails to load counts as one failure so a broken import can never look green.
 */
export default class CiSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    for (const testModule of testModules) {
      let counted = 0;
      for (const testCase of testModule.children.allTests()) {
        const state = testCase.result().state;
        if (state === 'passed') passed += 1;
        if (state === 'failed') failed += 1;
        counted += 1;
      }
      if (counted === 0 && testModule.state() === 'failed') failed += 1;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  }
}
