import { describe, expect, it } from 'vitest';
import { ASSUMED, costMetrics, customMetricOccasions, fixedMonthlyUsage, groupMonthUsage, introductionUsage, type CostInputs } from '../../../bench/cost-bench.ts';
import { addUsage, costOf, cpuStretch, gbSeconds, inboundChunks, NO_USAGE, publishedHours, scaleUsage } from '../../../bench/cost-model.ts';
import { FUNCTION_ERRORS_METRIC, METRIC_NAMES } from '../../../functions/shared/business-metrics.ts';
import { capacityUnits, describeOperations, dynamoItemBytes } from '../../../bench/dynamo-meter.ts';
import { PRICES } from '../../../bench/prices.ts';
import { goalOf, jsonLine, table, verdictOf } from '../../../bench/report.ts';
import { median, percentile, significant } from '../../../bench/stats.ts';

describe('bench statistics', () => {
  it('takes the nearest-rank percentile, a value that was measured', () => {
    const values = Array.from({ length: 200 }, (_, index) => 200 - index); // 200..1, unsorted order
    expect(percentile(values, 50)).toBe(100);
    expect(percentile(values, 95)).toBe(190);
    expect(percentile(values, 100)).toBe(200);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 0)).toThrow(RangeError);
  });

  it('takes the median of odd and even counts without reordering the input', () => {
    const values = [5, 1, 3];
    expect(median(values)).toBe(3);
    expect(values).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(significant(1.23456, 3)).toBe(1.23);
    expect(significant(0.000123456, 2)).toBe(0.00012);
  });
});

describe('bench cost model', () => {
  it('prices each dimension at the list price', () => {
    const usage = addUsage({
      lambdaInvocations: 1_000_000,
      lambdaGbSeconds: 1_000_000,
      dynamoReadUnits: 1_000_000,
      dynamoWriteUnits: 1_000_000,
      sesInboundMessages: 1000,
      sesInboundChunks: 1000,
      sesOutboundMessages: 1000,
      schedulerInvocations: 1_000_000,
      kmsRequests: 10_000,
      kmsKeyMonths: 1,
      secretMonths: 2,
      alarmMonths: 3,
    });
    const { total, byService } = costOf(usage);
    expect(byService.lambda).toBeCloseTo(13.3334 + 0.2, 6);
    expect(byService.dynamodb).toBeCloseTo(0.125 + 0.625, 9);
    expect(byService.ses).toBeCloseTo(0.1 + 0.09 + 0.1, 9);
    expect(byService.scheduler).toBeCloseTo(1, 9);
    expect(byService.kms).toBeCloseTo(1.03, 9);
    expect(byService.secretsManager).toBeCloseTo(0.8, 9);
    expect(byService.cloudwatch).toBeCloseTo(0.3, 9);
    expect(total).toBeCloseTo(13.5334 + 0.75 + 0.29 + 1 + 1.03 + 0.8 + 0.3, 6);
    expect(costOf(NO_USAGE).total).toBe(0);
  });

  it('adds and scales usage field by field', () => {
    const one = addUsage({ s3Puts: 1, s3Gets: 2 }, { s3Puts: 3 });
    expect(one).toMatchObject({ s3Puts: 4, s3Gets: 2, sesInboundMessages: 0 });
    expect(scaleUsage(one, 1000)).toMatchObject({ s3Puts: 4000, s3Gets: 2000 });
  });

  it('bills inbound mail per started 256 KB chunk and Lambda per rounded-up millisecond', () => {
    expect(inboundChunks(1)).toBe(1);
    expect(inboundChunks(PRICES.ses.inboundChunkBytes)).toBe(1);
    expect(inboundChunks(PRICES.ses.inboundChunkBytes + 1)).toBe(2);
    expect(gbSeconds(999.2, 512)).toBeCloseTo(0.5, 9);
    expect(gbSeconds(1500, 1024)).toBeCloseTo(1.5, 9);
  });
});

describe('bench output', () => {
  it('prints one JSON object per line with metric, value, unit and detail, in that order', () => {
    const line = jsonLine({ metric: 'bundle_kb.capture', value: 812, unit: 'KB', detail: 'minified' });
    expect(line).toBe('{"metric":"bundle_kb.capture","value":812,"unit":"KB","detail":"minified"}');
    expect(line).not.toContain('\n');
    expect(JSON.parse(jsonLine({ metric: 'x', value: Number.NaN, unit: 'ms', detail: '' }))).toEqual({ metric: 'x', value: null, unit: 'ms', detail: '' });
  });

  it('knows each goal and judges against it; report-only figures have none', () => {
    expect(goalOf('bundle_kb.capture')?.max).toBe(800);
    expect(goalOf('bundle_kb.web')?.max).toBe(1536);
    expect(goalOf('init_ratio.jobs')?.max).toBe(2);
    expect(goalOf('e2e_ms_p95')).toBeNull();
    expect(verdictOf({ metric: 'capture_overhead_ratio', value: 1.3, unit: 'ratio', detail: '' })).toBe('pass');
    expect(verdictOf({ metric: 'capture_overhead_ratio', value: 1.31, unit: 'ratio', detail: '' })).toBe('FAIL');
    expect(verdictOf({ metric: 'weekly_requests_per_pair', value: Number.NaN, unit: 'requests', detail: '' })).toBe('FAIL');
    expect(verdictOf({ metric: 'e2e_ms_p50', value: 99_999, unit: 'ms', detail: '' })).toBe('report');
  });

  it('renders a table with the goal and result of each metric and the count of goals met', () => {
    const text = table([
      { metric: 'cost_usd_per_1000_intros', value: 0.21, unit: 'USD', detail: 'ses first' },
      { metric: 'cost_usd_per_month_group12', value: 2.4, unit: 'USD/month', detail: 'kms key' },
      { metric: 'e2e_ms_p50', value: 850, unit: 'ms', detail: 'local' },
    ]);
    expect(text).toMatch(/cost_usd_per_1000_intros\s+0\.21\s+USD\s+≤ 0\.50\s+pass/);
    expect(text).toMatch(/cost_usd_per_month_group12\s+2\.4\s+USD\/month\s+≤ 1\.00\s+FAIL/);
    expect(text).toMatch(/e2e_ms_p50\s+850\s+ms\s+report/);
    expect(text).toContain('1 of 2 goals met, 1 not met.');
    expect(text).toContain('cost_usd_per_month_group12: kms key');
  });
});

describe('bench DynamoDB meter', () => {
  it('sums consumed capacity over tables and indexes, and names operations per item', () => {
    expect(capacityUnits(undefined)).toEqual({ read: 0, write: 0 });
    expect(capacityUnits({ TableName: 't', CapacityUnits: 1.5 })).toEqual({ read: 1.5, write: 0 });
    expect(capacityUnits([{ ReadCapacityUnits: 2, WriteCapacityUnits: 0 }, { ReadCapacityUnits: 0, WriteCapacityUnits: 4 }])).toEqual({ read: 2, write: 4 });
    expect(describeOperations({ GetItemCommand: 30, QueryCommand: 10 }, 10)).toBe('3 × GetItem, 1 × Query');
  });

  it('sizes items as DynamoDB does: names and values, numbers by their digits, lists and maps with their overhead', () => {
    expect(dynamoItemBytes({ pk: 'A' })).toBe(3);
    expect(dynamoItemBytes({ n: 123 })).toBe(1 + 3);
    expect(dynamoItemBytes({ n: 1_000_000 })).toBe(1 + 2);
    expect(dynamoItemBytes({ flag: true, none: null })).toBe(5 + 5);
    expect(dynamoItemBytes({ m: { a: true } })).toBe(1 + 3 + (1 + 1 + 1));
    expect(dynamoItemBytes({ l: ['xy', 'é'] })).toBe(1 + 3 + (1 + 2) + (1 + 2));
    // JSON counts quotes, colons and commas DynamoDB does not.
    const item = { pk: 'INTRO#x', sk: 'META', parties: [{ email: 'a@b.example', name: null }], createdAt: '2026-11-24T09:00:00.000Z' };
    expect(dynamoItemBytes(item)).toBeLessThan(JSON.stringify(item).length);
  });
});

describe('bench cost scenarios', () => {
  const inputs: CostInputs = {
    e2e: {
      introductions: 10,
      latencies: [],
      rawBytesPerIntro: 3000,
      emailsPerIntro: 1,
      emailBytes: 4000,
      dynamo: { requests: 250, byOperation: {}, readUnits: 180, writeUnits: 770 },
      schedulerRequests: 0,
      cpuMsPerIntro: 100,
      storedBytesPerIntro: 15_000,
    },
    weekly: { tally: { requests: 12, byOperation: {}, readUnits: 9, writeUnits: 148 }, emails: 2, emailBytes: 13_000, runMs: 100 },
    initMs: new Map([
      ['capture', 500],
      ['booking', 400],
      ['jobs', 400],
      ['web', 400],
      ['link_key_rotation', 200],
    ]),
    stack: {
      alarms: 2,
      // One alarm on a metric math expression over two metrics would read two: billed per metric.
      alarmMetrics: 3,
      kmsKeys: 0,
      secrets: 1,
      memoryMb: { capture: 512, booking: 512, jobs: 512, web: 512, link_key_rotation: 256 },
      secretReads: { capture: 0, booking: 1, jobs: 1, web: 1, link_key_rotation: 0 },
    },
  };

  it('counts one message in, the measured emails plus the assumed follow-through, and twice the measured DynamoDB units', () => {
    const usage = introductionUsage(inputs);
    expect(usage.sesInboundMessages).toBe(1);
    expect(usage.sesInboundChunks).toBe(1);
    expect(usage.sesOutboundMessages).toBe(1 + ASSUMED.lifecycle.emails);
    expect(usage.dynamoWriteUnits).toBeCloseTo(77 * 2, 9);
    expect(usage.dynamoReadUnits).toBeCloseTo(18 * 2, 9);
    expect(usage.lambdaInvocations).toBe(2 + ASSUMED.lifecycle.scheduledJobs + ASSUMED.lifecycle.streamInvocations + ASSUMED.lifecycle.webInvocations);
    expect(usage.schedulerInvocations).toBe(ASSUMED.lifecycle.scheduledJobs);
    // The functions given a secret read it at each cold start; capture has none.
    expect(usage.secretsApiCalls).toBe(1 + ASSUMED.lifecycle.scheduledJobs + ASSUMED.lifecycle.streamInvocations + ASSUMED.lifecycle.webInvocations);
    // Each read is a KMS Decrypt by Secrets Manager.
    expect(usage.kmsRequests).toBe(usage.secretsApiCalls);
  });

  it('bills CPU measured on a whole core as the share of a vCPU the memory buys, and waiting at the memory', () => {
    expect(cpuStretch(1769)).toBe(1);
    expect(cpuStretch(3538)).toBe(1);
    expect(cpuStretch(512)).toBeCloseTo(1769 / 512, 9);
    const usage = introductionUsage(inputs);
    const waitMs = (25 * ASSUMED.waitMs.dynamo + ASSUMED.waitMs.s3 + ASSUMED.waitMs.ses + ASSUMED.googleCallsPerBooking * ASSUMED.waitMs.google) / 2;
    const stretch = 1769 / 512;
    const cold = (initMs: number, cpuMs: number, wait: number) => gbSeconds((initMs + cpuMs) * stretch + wait, 512);
    const other = ASSUMED.lifecycle.scheduledJobs + ASSUMED.lifecycle.streamInvocations + ASSUMED.lifecycle.webInvocations;
    expect(usage.lambdaGbSeconds).toBeCloseTo(cold(500, 50, waitMs) + cold(400, 50, waitMs) + other * cold(400, 0, ASSUMED.otherInvocationMs), 9);
  });

  it('says what SES alone costs, and everything else', () => {
    const [perThousand] = costMetrics(inputs);
    const emails = 1 + ASSUMED.lifecycle.emails;
    const receiving = 1000 * (PRICES.ses.perInboundMessage + PRICES.ses.perInboundChunk);
    const sending = 1000 * emails * (PRICES.ses.perOutboundMessage + (4000 / 1024 ** 3) * PRICES.ses.perOutboundGb);
    expect(perThousand?.detail).toContain(`SES alone $${(receiving + sending).toPrecision(3)} (receiving the introduction $${receiving.toPrecision(3)}, ${emails} emails out $${sending.toPrecision(3)})`);
    const rest = /everything else \$([\d.]+)/.exec(perThousand?.detail ?? '')?.[1];
    expect(Number(rest)).toBeCloseTo(costOf(scaleUsage(introductionUsage(inputs), 1000)).total - (receiving + sending), 2);
  });

  it('prices the stack existing by its keys, secrets and the metrics its alarms read, apart from what the group uses', () => {
    expect(costOf(fixedMonthlyUsage(inputs.stack)).total).toBeCloseTo(0 * 1 + 1 * 0.4 + 3 * 0.1, 9);
    expect(costOf(fixedMonthlyUsage({ ...inputs.stack, kmsKeys: 2, secrets: 2, alarmMetrics: 10 })).total).toBeCloseTo(2 * 1 + 2 * 0.4 + 10 * 0.1, 9);
    const { recurring, fixed } = groupMonthUsage(inputs);
    expect(fixed).toEqual(fixedMonthlyUsage(inputs.stack));
    // 100 introductions a month, plus 6 pairs' weekly emails and the digest to 12.
    expect(recurring.sesInboundMessages).toBe(100);
    expect(recurring.sesOutboundMessages).toBeCloseTo(100 * (1 + ASSUMED.lifecycle.emails) + 2 * 6 * ASSUMED.weeksPerMonth + 12, 9);
  });

  it('bills each custom metric the code publishes for the hours it is expected to be published in', () => {
    expect(publishedHours(0)).toBe(0);
    expect(publishedHours(1)).toBeCloseTo(1, 9);
    // 100 occasions over 730 hours: a few share an hour; never more hours than occasions or than the month has.
    expect(publishedHours(100)).toBeCloseTo(730 * (1 - (729 / 730) ** 100), 9);
    expect(publishedHours(100)).toBeGreaterThan(93);
    expect(publishedHours(100)).toBeLessThan(100);
    expect(publishedHours(100_000)).toBeCloseTo(PRICES.cloudwatch.hoursPerMonth, 6);
    const occasions = customMetricOccasions(100, 450);
    // Every business metric the functions publish and the log filters' errors metric are priced.
    expect(Object.keys(occasions).sort()).toEqual([...Object.values(METRIC_NAMES), FUNCTION_ERRORS_METRIC].sort());
    const { recurring } = groupMonthUsage(inputs);
    const emails = recurring.sesOutboundMessages;
    expect(recurring.customMetricHours).toBeCloseTo(2 * publishedHours(100) + publishedHours(emails) + 2 * publishedHours(ASSUMED.failuresPerMonth), 9);
    // $0.30 a metric-month, prorated over 730 hours.
    expect(costOf({ ...NO_USAGE, customMetricHours: 730 }).total).toBeCloseTo(0.3, 9);
  });
});
