/**
 * AWS list prices, us-east-1, in US dollars: the one place the cost figures take prices from.
 *
 * Read on 2026-11-24. They are the published on-demand list prices as known on that date: this
 * machine has no internet access, so they were not re-read from the price pages that day; they
 * are the figures of the public price pages as last confirmed (2025), including DynamoDB's
 * on-demand price cut of 1 November 2024. Check them against the AWS price pages before quoting
 * a figure to anyone. Free tiers are deliberately not applied anywhere.
 */
export const PRICES_READ_ON = '2026-11-24';

export const PRICES = {
  lambda: {
    /** Arm (Graviton) duration, first 7.5 billion GB-seconds a month. INIT is billed too (since 1 Aug 2025). */
    perGbSecondArm: 0.000_013_333_4,
    perRequest: 0.2 / 1_000_000,
  },
  dynamodb: {
    /** On-demand, Standard table class, after the 1 Nov 2024 price cut. */
    perWriteRequestUnit: 0.625 / 1_000_000,
    perReadRequestUnit: 0.125 / 1_000_000,
    perGbMonthStorage: 0.25,
    /** Point-in-time recovery (continuous backups), per GB-month of table size; the stack turns it on. */
    perGbMonthPitr: 0.2,
    // Stream reads by a Lambda event source mapping are free (DynamoDB Streams pricing).
  },
  s3: {
    /** S3 Standard, first 50 TB a month. */
    perGbMonthStorage: 0.023,
    perPutRequest: 0.005 / 1_000,
    perGetRequest: 0.0004 / 1_000,
  },
  ses: {
    perInboundMessage: 0.1 / 1_000,
    /** Each 256 KB (or part) of an incoming message is one chunk. */
    perInboundChunk: 0.09 / 1_000,
    inboundChunkBytes: 256 * 1024,
    perOutboundMessage: 0.1 / 1_000,
    /** Data sent (attachments and bodies), per GB. */
    perOutboundGb: 0.12,
  },
  scheduler: {
    /** EventBridge Scheduler, per invocation (schedule API calls are not priced separately). */
    perInvocation: 1 / 1_000_000,
  },
  kms: {
    /** Customer managed key, per month (prorated hourly). */
    perKeyMonth: 1,
    perRequest: 0.03 / 10_000,
  },
  secretsManager: {
    perSecretMonth: 0.4,
    perApiCall: 0.05 / 10_000,
  },
  cloudwatch: {
    /**
     * Standard-resolution alarm, per metric it reads, per month: an alarm on a metric math
     * expression costs this for each metric in it.
     */
    perAlarmMonth: 0.1,
    /**
     * Custom metric (first 10,000), per month; prorated by the hour, and billed only for the
     * hours in which it is published. Each distinct metric name and set of dimension values is one
     * metric: the functions' embedded-metric-format metrics and metric filters' metrics alike.
     */
    perCustomMetricMonth: 0.3,
    /** Hours a custom metric is prorated over (AWS bills 730 hours as a month). */
    hoursPerMonth: 730,
    /** Logs ingested, per GB (standard log class). */
    perGbLogsIngested: 0.5,
  },
} as const;

export type Prices = typeof PRICES;
