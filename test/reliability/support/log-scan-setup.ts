import { afterAll, expect } from 'vitest';
import { capturedLogLines, describeOffenders, installLogCapture, scanCapturedLogs, writeFigures } from './log-capture.ts';

/**
 * Setup file (vitest `setupFiles`): for each test file under test/reliability, capture everything
 * the code writes to stdout, stderr and the console, and fail the file if any of it carries an
 * email address, a token, a secret or a message body. Other test files are left alone.
 */
const file = expect.getState().testPath ?? '';
if (/[\\/]test[\\/]reliability[\\/]/.test(file)) {
  installLogCapture();
  afterAll(() => {
    const offenders = scanCapturedLogs();
    const name = file.replace(/^.*[\\/]test[\\/]reliability[\\/]/, '');
    writeFigures(`reliability | log scan | ${name}: lines scanned ${capturedLogLines().length}, offenders ${offenders.length}`);
    if (offenders.length > 0) throw new Error(`${describeOffenders(offenders)}\n(${capturedLogLines().length} lines captured in ${file})`);
  });
}
