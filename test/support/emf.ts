import { afterEach, beforeEach, vi } from 'vitest';
import { PowertoolsBusinessMetrics } from '../../functions/adapters/metrics/powertools-business-metrics.ts';
import type { LogSink } from '../../functions/shared/logger.ts';

/** One CloudWatch embedded metric format (EMF) line as Powertools Metrics writes it to stdout. */
export interface EmfLine {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

export interface EmfCapture {
  /** The EMF lines written since the capture started, in order. */
  readonly lines: EmfLine[];
  /** Sum of a metric's values over every line, optionally only lines with these dimension values. */
  total(metric: string, dimensions?: Record<string, string>): number;
  /** Stops capturing; other output goes to stdout as before. */
  stop(): void;
}

/**
 * Captures what the Metrics utility writes to stdout (on Lambda, CloudWatch reads these lines from
 * the log group). Only EMF lines are kept back; anything else is written through.
 */
export function captureEmf(): EmfCapture {
  const lines: EmfLine[] = [];
  const stdout = process.stdout;
  const original = stdout.write.bind(stdout);
  const write = (chunk: string | Uint8Array): boolean => (typeof chunk === 'string' ? original(chunk) : original(chunk));
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const emf = text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Partial<EmfLine>)
      .filter((line): line is EmfLine => line._aws !== undefined);
    if (emf.length === 0) return write(chunk);
    lines.push(...emf);
    return true;
  });
  return {
    lines,
    total(metric, dimensions = {}) {
      let sum = 0;
      for (const line of lines) {
        const declared = line._aws.CloudWatchMetrics.some((set) => set.Metrics.some((m) => m.Name === metric));
        if (!declared || !Object.entries(dimensions).every(([name, value]) => line[name] === value)) continue;
        const value = line[metric];
        for (const v of Array.isArray(value) ? (value as unknown[]) : [value]) sum += typeof v === 'number' ? v : 0;
      }
      return sum;
    },
    stop: () => spy.mockRestore(),
  };
}

/** A logger that drops everything (the metrics tests look at metrics, not logs). */
export const silentLogger: LogSink = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Gives each test of the calling file (or describe) fresh Powertools business metrics and the EMF
 * they write, captured from stdout and released after the test.
 */
export function metricsForEachTest(use: (emf: EmfCapture, metrics: PowertoolsBusinessMetrics) => void): void {
  let emf: EmfCapture | undefined;
  beforeEach(() => {
    emf = captureEmf();
    use(emf, new PowertoolsBusinessMetrics());
  });
  afterEach(() => emf?.stop());
}
