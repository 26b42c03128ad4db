import { describe, expect, it } from 'vitest';
import { logger } from '../../functions/shared/logger.ts';
import { reportFigures } from './support/figures.ts';
import { capturedLogLines, clearCapturedLogs, corpusBodyFragments, forbidInLogs, scanCapturedLogs, type CapturedLine } from './support/log-capture.ts';

/**
 * The log scan that ends every reliability test file (test/reliability/support/log-scan-setup.ts)
 * sees what the Powertools logger writes and catches each kind of leak.
 */
describe('the reliability suite scans what the system logs', () => {
  it('captures the production logger (Powertools, JSON on stdout)', () => {
    logger.info('log scan probe', { count: 3, outcome: 'captured' });
    const probe = capturedLogLines().find((line) => line.text.includes('log scan probe'));
    expect(probe?.source).toBe('stdout');
    expect(JSON.parse(probe?.text ?? '{}')).toMatchObject({ level: 'INFO', message: 'log scan probe', count: 3 });
    expect(scanCapturedLogs()).toEqual([]);
  });

  it('finds addresses, tokens, secrets, corpus bodies and registered text, and only those', () => {
    const fragment = corpusBodyFragments()[0] ?? '';
    forbidInLogs('Lena Park is looking for a new accountant');
    const lines: CapturedLine[] = [
      { source: 'stdout', text: '{"level":"INFO","message":"sent","to":"lena.park@prospect.test"}' },
      { source: 'stderr', text: `link https://refer.test/answer?token=eyJhY3Rpb24iOiJhbnN3ZXIiLCJzdWJqZWN0IjoiYWJjIn0.${'A'.repeat(43)}` },
      { source: 'console', text: 'refresh 1//0gAbCdEfGhIjKlMnOpQrStUv' },
      { source: 'console', text: 'access ya29.a0AfH6SMBx3-example-token' },
      { source: 'console', text: 'Authorization: Bearer abcdefghijklmnop' },
      { source: 'stdout', text: `{"level":"WARN","message":"${fragment}"}` },
      { source: 'stdout', text: '{"level":"INFO","note":"Lena Park is looking for a new accountant"}' },
      // Ids, outcomes and counts are what logs are for.
      { source: 'stdout', text: '{"level":"INFO","message":"delivery handled","deliveryId":"0100019a-ses-1","introductionId":"abcdefghijklmnopqrstuvwxyz","outcome":"captured"}' },
    ];
    const offenders = scanCapturedLogs(lines);
    expect(offenders.map((offender) => offender.what)).toEqual([
      'an email address',
      'a signed link token',
      'a Google refresh token',
      'a Google access token',
      'a bearer credential',
      'a message body, subject, name or secret the test used',
      'a message body, subject, name or secret the test used',
    ]);
    expect(fragment.length).toBeGreaterThan(11);
    reportFigures('log scan', { 'corpus fragments watched': corpusBodyFragments().length, 'planted leaks found': offenders.length, 'of planted': 7 });
    clearCapturedLogs();
  });
});
