/** One figure the benchmark prints: `{"metric","value","unit","detail"}` in `--json` mode. */
export interface Metric {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly detail: string;
}

/** A goal is an upper bound (every goal of issue 6 is "at most"). */
export interface Goal {
  readonly max: number;
  readonly text: string;
}

/** KB means 1,024 bytes; 1.5 MB = 1,536 KB. */
export const MAX_BUNDLE_KB = 1536;
export const MAX_CAPTURE_BUNDLE_KB = 800;

/** The goal of a metric, or null for the figures that are reported only. */
export function goalOf(metric: string): Goal | null {
  if (metric === 'capture_overhead_ratio') return { max: 1.3, text: '≤ 1.3' };
  if (metric === 'bundle_kb.capture') return { max: MAX_CAPTURE_BUNDLE_KB, text: `≤ ${MAX_CAPTURE_BUNDLE_KB}` };
  if (metric.startsWith('bundle_kb.')) return { max: MAX_BUNDLE_KB, text: `≤ ${MAX_BUNDLE_KB}` };
  if (metric.startsWith('init_ratio.')) return { max: 2, text: '≤ 2' };
  if (metric === 'weekly_requests_per_pair') return { max: 3, text: '≤ 3' };
  if (metric === 'cost_usd_per_1000_intros') return { max: 0.5, text: '≤ 0.50' };
  if (metric === 'cost_usd_per_month_group12') return { max: 1, text: '≤ 1.00' };
  return null;
}

export type Verdict = 'pass' | 'FAIL' | 'report';

export function verdictOf(metric: Metric): Verdict {
  const goal = goalOf(metric.metric);
  if (!goal) return 'report';
  return Number.isFinite(metric.value) && metric.value <= goal.max ? 'pass' : 'FAIL';
}

/** One JSON object on one line, keys in the documented order; a non-finite value prints as null. */
export function jsonLine(metric: Metric): string {
  return JSON.stringify({ metric: metric.metric, value: Number.isFinite(metric.value) ? metric.value : null, unit: metric.unit, detail: metric.detail });
}

/** A table a person reads: metric, value, unit, goal, verdict; the details below it. */
export function table(metrics: readonly Metric[]): string {
  const rows = metrics.map((metric) => [metric.metric, formatValue(metric.value), metric.unit, goalOf(metric.metric)?.text ?? '', verdictOf(metric)]);
  const header = ['metric', 'value', 'unit', 'goal', 'result'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const format = (row: readonly string[]) =>
    row
      .map((cell, column) => (column === 1 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  const failed = metrics.filter((metric) => verdictOf(metric) === 'FAIL').length;
  const goals = metrics.filter((metric) => verdictOf(metric) !== 'report').length;
  return [
    format(header),
    format(widths.map((width) => '-'.repeat(width))),
    ...rows.map(format),
    '',
    `${goals - failed} of ${goals} goals met${failed > 0 ? `, ${failed} not met` : ''}.`,
    '',
    ...metrics.map((metric) => `${metric.metric}: ${metric.detail}`),
  ].join('\n');
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(1) : String(Number(value.toPrecision(3)));
}
