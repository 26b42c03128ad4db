// `npm run bench` (a table with each goal) and `npm run bench -- --json` (one JSON object per
// line). `--only=capture,bundles,e2e,weekly` runs a part; the cost figures need all of them.
import { benchBundles, type BundleFigures } from './bundles-bench.ts';
import { benchCapture } from './capture-bench.ts';
import { costMetrics } from './cost-bench.ts';
import { endToEndMetrics, measureEndToEnd, type EndToEndFigures } from './e2e-bench.ts';
import { jsonLine, table, verdictOf, type Metric } from './report.ts';
import { benchWeekly, type WeeklyFigures } from './weekly-bench.ts';

const PARTS = ['capture', 'bundles', 'e2e', 'weekly'] as const;
type Part = (typeof PARTS)[number];

const json = process.argv.includes('--json');
const weeklyPairsArgument = process.argv.find((argument) => argument.startsWith('--weekly-pairs='));

/**
 * The sizes of each part. The weekly check-in runs on 1,000 pairs with 10 introductions each (the
 * shape of 10,000 pairs with 100,000) and its time is scaled to 10,000 pairs: seeding 450,000
 * items into DynamoDB Local and 120,000 weekly requests alone take longer than the 10 minutes the
 * whole bench has on 2 cores. `--weekly-pairs=10000` runs the full size.
 */
const BENCH_SETTINGS = {
  capture: { rounds: 15, warmupRounds: 3 },
  bundles: { runs: 9 },
  e2e: { introductions: 200 },
  weekly: { pairs: weeklyPairsArgument ? Number(weeklyPairsArgument.split('=')[1]) : 1_000, introductionsPerPair: 10, concurrency: 16, progress: (text: string) => process.stderr.write(`bench: weekly: ${text}\n`) },
};
if (!(BENCH_SETTINGS.weekly.pairs >= 1)) throw new Error('--weekly-pairs must be a positive number');
const onlyArgument = process.argv.find((argument) => argument.startsWith('--only='));
const parts = new Set<Part>(onlyArgument ? (onlyArgument.slice('--only='.length).split(',') as Part[]) : PARTS);
for (const part of parts) if (!PARTS.includes(part)) throw new Error(`unknown part "${part}"; choose from ${PARTS.join(', ')}`);

const metrics: Metric[] = [];
const progress = (text: string) => process.stderr.write(`${text}\n`);
const emit = (found: readonly Metric[]) => {
  metrics.push(...found);
  if (json) for (const metric of found) process.stdout.write(`${jsonLine(metric)}\n`);
};
const timedPart = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
  const start = performance.now();
  progress(`bench: ${name}...`);
  const result = await work();
  progress(`bench: ${name} done in ${((performance.now() - start) / 1000).toFixed(0)} s`);
  return result;
};

const started = performance.now();
if (parts.has('capture')) emit(await timedPart('capture', () => benchCapture(BENCH_SETTINGS.capture)));
let bundles: BundleFigures | undefined;
if (parts.has('bundles')) {
  bundles = await timedPart('bundles and init (cdk synth, fresh node processes)', () => benchBundles(BENCH_SETTINGS.bundles));
  emit(bundles.metrics);
}
let e2e: EndToEndFigures | undefined;
if (parts.has('e2e')) {
  e2e = await timedPart(`local mode end to end (${BENCH_SETTINGS.e2e.introductions} introductions)`, () => measureEndToEnd(BENCH_SETTINGS.e2e.introductions));
  emit(endToEndMetrics(e2e));
}
let weekly: WeeklyFigures | undefined;
if (parts.has('weekly')) {
  weekly = await timedPart(`weekly check-in (${BENCH_SETTINGS.weekly.pairs} pairs in DynamoDB Local)`, () => benchWeekly(BENCH_SETTINGS.weekly));
  emit(weekly.metrics);
}
if (bundles && e2e && weekly) emit(costMetrics({ e2e, weekly: weekly.perPair, initMs: bundles.initMs, stack: bundles.stack }));
else progress('bench: cost figures need the bundles, e2e and weekly parts');

progress(`bench: finished in ${((performance.now() - started) / 1000).toFixed(0)} s`);
if (!json) process.stdout.write(`${table(metrics)}\n`);
// Exit code 0 either way: a goal not met is a figure to read, not a crash.
if (metrics.some((metric) => verdictOf(metric) === 'FAIL')) progress('bench: some goals are not met (see the table)');
