import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describeOperations, type DynamoTally } from './dynamo-meter.ts';
import type { Metric } from './report.ts';
import { percentile } from './stats.ts';

const run = promisify(execFile);

/** What bench/e2e-run.ts measured, per introduction. */
export interface EndToEndFigures {
  readonly introductions: number;
  readonly latencies: readonly number[];
  readonly rawBytesPerIntro: number;
  readonly emailsPerIntro: number;
  readonly emailBytes: number;
  /** DynamoDB requests and units of all introductions together (local mode's scheduler stand-in excluded). */
  readonly dynamo: DynamoTally;
  readonly schedulerRequests: number;
  /** CPU of the whole local-mode process per introduction (SMTP, capture, stream, booking, loopback Google). */
  readonly cpuMsPerIntro: number;
  /** Table bytes per introduction once booked (items and their index copies). */
  readonly storedBytesPerIntro: number;
}

/** Runs local mode end to end in its own process (it prints its progress on stdout). */
export async function measureEndToEnd(introductions: number): Promise<EndToEndFigures> {
  const script = join(import.meta.dirname, 'e2e-run.ts');
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script, String(introductions)], {
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    timeout: 420_000,
  }).catch((error: unknown) => {
    const output = `${(error as { stdout?: string }).stdout ?? ''}\n${(error as { stderr?: string }).stderr ?? ''}`;
    throw new Error(`the local-mode end-to-end run failed:\n${output.slice(-4000)}`, { cause: error });
  });
  const line = stdout.split('\n').find((text) => text.startsWith('BENCH_RESULT '));
  if (!line) throw new Error(`the local-mode end-to-end run printed no result:\n${stdout.slice(-4000)}`);
  return JSON.parse(line.slice('BENCH_RESULT '.length)) as EndToEndFigures;
}

export function endToEndMetrics(figures: EndToEndFigures): Metric[] {
  const per = figures.introductions;
  const detail = `${per} introductions sent over SMTP to local mode, 5 a second; from the SMTP server's acceptance (capture runs before it answers) to the meeting_booked event on the loopback Google Calendar; ${(figures.dynamo.requests / per).toFixed(1)} DynamoDB requests per introduction (${describeOperations(figures.dynamo.byOperation, per)}), ${(figures.dynamo.writeUnits / per).toFixed(1)} write and ${(figures.dynamo.readUnits / per).toFixed(1)} read units, ${(figures.storedBytesPerIntro / 1024).toFixed(1)} KB in the table once booked`;
  return [
    { metric: 'e2e_ms_p50', value: Math.round(percentile(figures.latencies, 50)), unit: 'ms', detail },
    { metric: 'e2e_ms_p95', value: Math.round(percentile(figures.latencies, 95)), unit: 'ms', detail: `nearest-rank p95 of the same ${per} introductions; max ${Math.round(Math.max(...figures.latencies))} ms` },
  ];
}
