import type { StackFigures } from './bundles-bench.ts';
import { FUNCTION_ERRORS_METRIC, METRIC_NAMES } from '../functions/shared/business-metrics.ts';
import { addUsage, costOf, cpuStretch, describeBreakdown, dollars, gbSeconds, inboundChunks, publishedHours, scaleUsage, type Usage } from './cost-model.ts';
import type { EndToEndFigures } from './e2e-bench.ts';
import { PRICES_READ_ON } from './prices.ts';
import type { Metric } from './report.ts';
import { significant } from './stats.ts';
import type { WeeklyFigures } from './weekly-bench.ts';

const GB = 1024 ** 3;

/**
 * What the benchmarks did not run and the cost model therefore assumes, each stated here.
 * After the meeting is booked an introduction still gets (see functions/domain/followup):
 * the outcome question, an update to the introducer and a close question (3 scheduled jobs,
 * 3 emails), one one-click answer (a GET and a POST to the web function) and 2 status changes
 * on the table stream; its DynamoDB use is taken to be as much again as capture-to-booked.
 */
export const ASSUMED = {
  lifecycle: { scheduledJobs: 3, emails: 3, webInvocations: 2, streamInvocations: 2, dynamoFactor: 1 },
  /** Wall time a Lambda waits on each call (in-region DynamoDB/S3/SES, Google over the internet). */
  waitMs: { dynamo: 10, s3: 30, ses: 50, google: 150 },
  /** Google calls per booking: freeBusy, insert, read back. */
  googleCallsPerBooking: 3,
  /**
   * Every invocation is a cold start (INIT billed): true for a small group, an upper bound at scale.
   * INIT and the measured CPU time were measured on a whole core; on Lambda they take as much
   * longer as the function's memory gives it less than one vCPU (see `cpuStretch`).
   */
  coldStarts: true,
  /** Wall time on Lambda of an invocation the benchmarks did not time (scheduled job, web answer). */
  otherInvocationMs: 200,
  /** Table bytes per introduction after booking, relative to what was measured at booking; kept this long. */
  dynamoStorageFactor: 2,
  dynamoMonthsKept: 12,
  /** SES keeps raw MIME in S3 this long (the stack's default rawMailRetentionDays is 90). */
  rawMailMonthsKept: 3,
  /** CloudWatch Logs per invocation (START/END/REPORT and a few JSON lines). */
  logBytesPerInvocation: 1500,
  /** Weeks in a month; the group's monthly jobs: 1 digest, 6 one-to-ones, 30 sweeps, 1 key rotation (4 steps). */
  weeksPerMonth: 52 / 12,
  sweepsPerMonth: 30,
  rotationInvocationsPerMonth: 4,
  /**
   * Occasions a month on which a failure is counted (a declined or unbookable introduction, an
   * error that is retried): each is billed as one hour of a `Failures` metric and one of the
   * `FunctionErrors` metric. A healthy month has few.
   */
  failuresPerMonth: 5,
} as const;

export interface CostInputs {
  readonly e2e: EndToEndFigures;
  readonly weekly: WeeklyFigures['perPair'];
  readonly initMs: ReadonlyMap<string, number>;
  readonly stack: StackFigures;
}

/** What an invocation does: CPU-bound work as measured on one whole core (besides INIT), and time spent waiting on other services. */
interface Work {
  readonly cpuMs: number;
  readonly waitMs: number;
}

function invocation(inputs: CostInputs, name: string, work: Work, count = 1): Usage {
  const memory = inputs.stack.memoryMb[name] ?? 512;
  const init = ASSUMED.coldStarts ? (inputs.initMs.get(name) ?? 0) : 0;
  const billedMs = (init + work.cpuMs) * cpuStretch(memory) + work.waitMs;
  const secretReads = ASSUMED.coldStarts ? (inputs.stack.secretReads[name] ?? 0) : 0;
  return addUsage({
    lambdaInvocations: count,
    lambdaGbSeconds: gbSeconds(billedMs, memory) * count,
    logsGb: (ASSUMED.logBytesPerInvocation * count) / GB,
    secretsApiCalls: secretReads * count,
    // Secrets Manager decrypts the secret with KMS at each read; only an AWS managed key's
    // storage is free, its requests are billed.
    kmsRequests: secretReads * count,
  });
}

/** One introduction, from the email to the end of its follow-through. */
export function introductionUsage(inputs: CostInputs): Usage {
  const { e2e } = inputs;
  const dynamoRequests = e2e.dynamo.requests / e2e.introductions;
  const factor = 1 + ASSUMED.lifecycle.dynamoFactor;
  const captureToBookedWaitMs =
    dynamoRequests * ASSUMED.waitMs.dynamo + ASSUMED.waitMs.s3 + e2e.emailsPerIntro * ASSUMED.waitMs.ses + ASSUMED.googleCallsPerBooking * ASSUMED.waitMs.google;
  const captureToBooked: Work = { cpuMs: e2e.cpuMsPerIntro / 2, waitMs: captureToBookedWaitMs / 2 };
  const other: Work = { cpuMs: 0, waitMs: ASSUMED.otherInvocationMs };
  return addUsage(
    // Capture and booking share the measured time; each is its own invocation with its own INIT.
    invocation(inputs, 'capture', captureToBooked),
    invocation(inputs, 'booking', captureToBooked),
    invocation(inputs, 'jobs', other, ASSUMED.lifecycle.scheduledJobs + ASSUMED.lifecycle.streamInvocations),
    invocation(inputs, 'web', other, ASSUMED.lifecycle.webInvocations),
    sesUsage(inputs),
    {
      dynamoReadUnits: (e2e.dynamo.readUnits / e2e.introductions) * factor,
      dynamoWriteUnits: (e2e.dynamo.writeUnits / e2e.introductions) * factor,
      dynamoGbMonths: ((e2e.storedBytesPerIntro * ASSUMED.dynamoStorageFactor) / GB) * ASSUMED.dynamoMonthsKept,
      s3Puts: 1,
      s3Gets: 1,
      s3GbMonths: (e2e.rawBytesPerIntro / GB) * ASSUMED.rawMailMonthsKept,
      schedulerInvocations: ASSUMED.lifecycle.scheduledJobs,
      // The refresh token is unsealed in the function with the keys secret's token key (no KMS
      // request); the secret is read at each cold start, in `invocation`.
    },
  );
}

/** SES alone for one introduction: receiving it, and every email it gets. */
export function sesUsage(inputs: CostInputs): Usage {
  const emails = inputs.e2e.emailsPerIntro + ASSUMED.lifecycle.emails;
  return addUsage({
    sesInboundMessages: 1,
    sesInboundChunks: inboundChunks(inputs.e2e.rawBytesPerIntro),
    sesOutboundMessages: emails,
    sesOutboundGb: (emails * inputs.e2e.emailBytes) / GB,
  });
}

/** What the stack costs each month by existing: keys, secrets, alarms (per metric they read). */
export function fixedMonthlyUsage(stack: StackFigures): Usage {
  return addUsage({ kmsKeyMonths: stack.kmsKeys, secretMonths: stack.secrets, alarmMonths: stack.alarmMetrics });
}

/**
 * The custom metrics a month publishes, by name, with the occasions each is published on: the
 * business metrics of `functions/shared/business-metrics.ts` (one `service` dimension for the whole
 * stack; `Failures` one metric per `reason` that occurs) and `FunctionErrors`, the log metric
 * filters' count. Each is billed for the hours it is published in (`publishedHours`).
 */
export function customMetricOccasions(introductions: number, emailsSent: number): Readonly<Record<string, number>> {
  return {
    [METRIC_NAMES.introductionsCaptured]: introductions,
    [METRIC_NAMES.introductionsBooked]: introductions,
    [METRIC_NAMES.emailsSent]: emailsSent,
    [METRIC_NAMES.failures]: ASSUMED.failuresPerMonth,
    [FUNCTION_ERRORS_METRIC]: ASSUMED.failuresPerMonth,
  };
}

function customMetricUsage(occasions: Readonly<Record<string, number>>): Usage {
  return addUsage({ customMetricHours: Object.values(occasions).reduce((sum, each) => sum + publishedHours(each), 0) });
}

/** A group of 12 partners in 6 pairs making 100 introductions a month, in its own deployment. */
export function groupMonthUsage(inputs: CostInputs): { recurring: Usage; fixed: Usage } {
  const pairWeeks = 6 * ASSUMED.weeksPerMonth;
  const weekly = inputs.weekly;
  const jobsRuns = pairWeeks + 1 + 6 + ASSUMED.sweepsPerMonth;
  const introductions = scaleUsage(introductionUsage(inputs), 100);
  const emailsSent = introductions.sesOutboundMessages + weekly.emails * pairWeeks + 12;
  const recurring = addUsage(
    introductions,
    customMetricUsage(customMetricOccasions(100, emailsSent)),
    // The weekly bench's time per pair is its CPU (pairs run 16 at a time on two cores).
    invocation(inputs, 'jobs', { cpuMs: weekly.runMs, waitMs: weekly.tally.requests * ASSUMED.waitMs.dynamo + weekly.emails * ASSUMED.waitMs.ses }, pairWeeks),
    invocation(inputs, 'jobs', { cpuMs: 0, waitMs: ASSUMED.otherInvocationMs }, 1 + 6 + ASSUMED.sweepsPerMonth),
    invocation(inputs, 'link_key_rotation', { cpuMs: 0, waitMs: ASSUMED.otherInvocationMs }, ASSUMED.rotationInvocationsPerMonth),
    {
      dynamoReadUnits: weekly.tally.readUnits * pairWeeks,
      dynamoWriteUnits: weekly.tally.writeUnits * pairWeeks,
      sesOutboundMessages: emailsSent - introductions.sesOutboundMessages,
      sesOutboundGb: ((weekly.emails * pairWeeks + 12) * weekly.emailBytes) / GB,
      schedulerInvocations: jobsRuns,
      // Each rotation step describes the secret and reads or writes up to two versions of it.
      secretsApiCalls: 3 * ASSUMED.rotationInvocationsPerMonth,
    },
  );
  return { recurring, fixed: fixedMonthlyUsage(inputs.stack) };
}

export function costMetrics(inputs: CostInputs): Metric[] {
  const usage = introductionUsage(inputs);
  const perThousand = costOf(scaleUsage(usage, 1000));
  const emails = inputs.e2e.emailsPerIntro + ASSUMED.lifecycle.emails;
  const sesPerThousand = scaleUsage(sesUsage(inputs), 1000);
  const receiving = costOf(addUsage({ sesInboundMessages: sesPerThousand.sesInboundMessages, sesInboundChunks: sesPerThousand.sesInboundChunks })).total;
  const sesFloor = `SES alone ${dollars(perThousand.byService.ses)} (receiving the introduction ${dollars(receiving)}, ${significant(emails, 3)} emails out ${dollars(perThousand.byService.ses - receiving)}), everything else ${dollars(perThousand.total - perThousand.byService.ses)}`;
  const group = groupMonthUsage(inputs);
  const recurring = costOf(group.recurring);
  const fixed = costOf(group.fixed);
  const source = `list prices of ${PRICES_READ_ON} (bench/prices.ts), usage from this run, assumptions in bench/cost-bench.ts (every invocation cold, CPU time stretched to the memory's share of a vCPU, lifecycle after booking, storage kept 12 months), free tiers not counted`;
  return [
    {
      metric: 'cost_usd_per_1000_intros',
      value: significant(perThousand.total, 3),
      unit: 'USD',
      detail: `${describeBreakdown(perThousand.byService)}; ${sesFloor}; per introduction ${significant(emails, 3)} emails out (${significant(inputs.e2e.emailsPerIntro, 2)} measured to booking), 1 in (${Math.round(inputs.e2e.rawBytesPerIntro)} bytes), ${Math.round(usage.dynamoWriteUnits)} WRU + ${Math.round(usage.dynamoReadUnits)} RRU (twice the ${Math.round(inputs.e2e.dynamo.writeUnits / inputs.e2e.introductions)} + ${Math.round(inputs.e2e.dynamo.readUnits / inputs.e2e.introductions)} measured to booking), ${Math.round(inputs.e2e.storedBytesPerIntro / 1024)} KB in the table at booking; ${source}`,
    },
    {
      metric: 'cost_usd_per_month_group12',
      value: significant(recurring.total + fixed.total, 3),
      unit: 'USD/month',
      detail: `usage ${significant(recurring.total, 3)} (${describeBreakdown(recurring.byService)}; CloudWatch custom metrics ${Math.round(group.recurring.customMetricHours)} metric-hours expected, occasions spread evenly over the month) + the stack existing ${significant(fixed.total, 3)} (${inputs.stack.kmsKeys} KMS keys, ${inputs.stack.secrets} secrets, ${inputs.stack.alarms} alarms reading ${inputs.stack.alarmMetrics} metrics); ${source}`,
    },
  ];
}
