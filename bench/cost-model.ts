import { PRICES, type Prices } from './prices.ts';

/** What a workload uses of each priced AWS dimension (free tiers not subtracted). */
export interface Usage {
  readonly lambdaInvocations: number;
  /** Billed duration (INIT included) times memory, summed over invocations. */
  readonly lambdaGbSeconds: number;
  readonly dynamoReadUnits: number;
  readonly dynamoWriteUnits: number;
  /** Table size times months kept (storage and point-in-time recovery are both billed on it). */
  readonly dynamoGbMonths: number;
  readonly s3Puts: number;
  readonly s3Gets: number;
  readonly s3GbMonths: number;
  readonly sesInboundMessages: number;
  readonly sesInboundChunks: number;
  readonly sesOutboundMessages: number;
  readonly sesOutboundGb: number;
  readonly schedulerInvocations: number;
  readonly kmsRequests: number;
  readonly kmsKeyMonths: number;
  readonly secretsApiCalls: number;
  readonly secretMonths: number;
  /** Alarm metrics times months: an alarm is billed per metric it reads. */
  readonly alarmMonths: number;
  /** Hours in which each custom metric was published, summed over the metrics. */
  readonly customMetricHours: number;
  readonly logsGb: number;
}

export const NO_USAGE: Usage = {
  lambdaInvocations: 0,
  lambdaGbSeconds: 0,
  dynamoReadUnits: 0,
  dynamoWriteUnits: 0,
  dynamoGbMonths: 0,
  s3Puts: 0,
  s3Gets: 0,
  s3GbMonths: 0,
  sesInboundMessages: 0,
  sesInboundChunks: 0,
  sesOutboundMessages: 0,
  sesOutboundGb: 0,
  schedulerInvocations: 0,
  kmsRequests: 0,
  kmsKeyMonths: 0,
  secretsApiCalls: 0,
  secretMonths: 0,
  alarmMonths: 0,
  customMetricHours: 0,
  logsGb: 0,
};

/** Sum of usages, field by field. */
export function addUsage(...usages: readonly Partial<Usage>[]): Usage {
  const total: Record<string, number> = { ...NO_USAGE };
  for (const usage of usages) for (const [key, value] of Object.entries(usage)) total[key] = (total[key] ?? 0) + (value ?? 0);
  return total as unknown as Usage;
}

/** The usage `times` over (a per-item profile times a count). */
export function scaleUsage(usage: Partial<Usage>, times: number): Usage {
  return Object.fromEntries(Object.entries(addUsage(usage)).map(([key, value]) => [key, value * times])) as unknown as Usage;
}

export type CostBreakdown = Readonly<Record<'lambda' | 'dynamodb' | 's3' | 'ses' | 'scheduler' | 'kms' | 'secretsManager' | 'cloudwatch', number>>;

/** Dollars per service and in total for a usage, at the given list prices. */
export function costOf(usage: Usage, prices: Prices = PRICES): { total: number; byService: CostBreakdown } {
  const byService: CostBreakdown = {
    lambda: usage.lambdaGbSeconds * prices.lambda.perGbSecondArm + usage.lambdaInvocations * prices.lambda.perRequest,
    dynamodb:
      usage.dynamoReadUnits * prices.dynamodb.perReadRequestUnit +
      usage.dynamoWriteUnits * prices.dynamodb.perWriteRequestUnit +
      usage.dynamoGbMonths * (prices.dynamodb.perGbMonthStorage + prices.dynamodb.perGbMonthPitr),
    s3: usage.s3Puts * prices.s3.perPutRequest + usage.s3Gets * prices.s3.perGetRequest + usage.s3GbMonths * prices.s3.perGbMonthStorage,
    ses:
      usage.sesInboundMessages * prices.ses.perInboundMessage +
      usage.sesInboundChunks * prices.ses.perInboundChunk +
      usage.sesOutboundMessages * prices.ses.perOutboundMessage +
      usage.sesOutboundGb * prices.ses.perOutboundGb,
    scheduler: usage.schedulerInvocations * prices.scheduler.perInvocation,
    kms: usage.kmsRequests * prices.kms.perRequest + usage.kmsKeyMonths * prices.kms.perKeyMonth,
    secretsManager: usage.secretsApiCalls * prices.secretsManager.perApiCall + usage.secretMonths * prices.secretsManager.perSecretMonth,
    cloudwatch:
      usage.alarmMonths * prices.cloudwatch.perAlarmMonth +
      (usage.customMetricHours / prices.cloudwatch.hoursPerMonth) * prices.cloudwatch.perCustomMetricMonth +
      usage.logsGb * prices.cloudwatch.perGbLogsIngested,
  };
  return { total: Object.values(byService).reduce((sum, value) => sum + value, 0), byService };
}

/**
 * Hours of a month in which a custom metric published on `events` independent occasions is
 * billed, expected: an hour is billed when at least one occasion falls in it. Taken with the
 * occasions spread evenly over all the month's hours, which gives the most hours any spread can
 * (traffic in working hours shares hours more often, so costs less).
 */
export function publishedHours(events: number, prices: Prices = PRICES): number {
  const hours = prices.cloudwatch.hoursPerMonth;
  return events <= 0 ? 0 : hours * (1 - (1 - 1 / hours) ** events);
}

/** SES bills an incoming message per started 256 KB chunk. */
export function inboundChunks(messageBytes: number, prices: Prices = PRICES): number {
  return Math.max(1, Math.ceil(messageBytes / prices.ses.inboundChunkBytes));
}

/**
 * Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB (AWS Lambda
 * Developer Guide, "Configure Lambda function memory"); more memory adds no speed to one thread.
 */
export const MB_PER_VCPU = 1769;

/** How many times longer CPU-bound work measured on one whole core runs on a function with this memory. */
export function cpuStretch(memoryMb: number): number {
  return Math.max(1, MB_PER_VCPU / memoryMb);
}

/** Lambda bills duration rounded up to the millisecond, at the configured memory. */
export function gbSeconds(billedMs: number, memoryMb: number): number {
  return (Math.ceil(billedMs) / 1000) * (memoryMb / 1024);
}

/** "$0.0123" style, enough digits for sub-cent figures. */
export function dollars(value: number): string {
  return value >= 1 ? `$${value.toFixed(2)}` : `$${value.toPrecision(3)}`;
}

/** "lambda $0.01, ses $0.30, ..." for the non-zero services, largest first. */
export function describeBreakdown(byService: CostBreakdown): string {
  return Object.entries(byService)
    .filter(([, value]) => value > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([service, value]) => `${service} ${dollars(value)}`)
    .join(', ');
}
