import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMES, METRICS_NAMESPACE, type BusinessMetrics, type FailureReason } from '../../shared/business-metrics.ts';

/**
 * One `service` dimension for every function, so each business metric is one CloudWatch metric
 * for the whole system (every extra dimension value is another metric to pay for).
 */
export const METRICS_SERVICE = 'refer';

/**
 * Business metrics written as CloudWatch embedded metric format (EMF) lines to the function's log,
 * with Powertools: CloudWatch extracts them from the log group, so the functions need no
 * `cloudwatch:PutMetricData`. Counts are buffered and written by `publish()` at the end of each
 * invocation; a failure is written at once with its `reason` dimension (EMF gives all metrics of
 * one line the same dimensions).
 */
export class PowertoolsBusinessMetrics implements BusinessMetrics {
  private readonly metrics: Metrics;

  constructor(metrics?: Metrics) {
    this.metrics = metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
  }

  introductionCaptured(): void {
    this.metrics.addMetric(METRIC_NAMES.introductionsCaptured, MetricUnit.Count, 1);
  }

  introductionBooked(): void {
    this.metrics.addMetric(METRIC_NAMES.introductionsBooked, MetricUnit.Count, 1);
  }

  emailSent(): void {
    this.metrics.addMetric(METRIC_NAMES.emailsSent, MetricUnit.Count, 1);
  }

  failure(reason: FailureReason): void {
    const single = this.metrics.singleMetric();
    single.addDimension('reason', reason);
    single.addMetric(METRIC_NAMES.failures, MetricUnit.Count, 1);
  }

  /** Writes the counts of this invocation, if any (an invocation that counted nothing writes nothing). */
  publish(): void {
    if (this.metrics.hasStoredMetrics()) this.metrics.publishStoredMetrics();
  }

  /** Runs one invocation and writes its counts afterwards, whether it succeeded or threw. */
  async publishingAfter<T>(invocation: () => Promise<T>): Promise<T> {
    try {
      return await invocation();
    } finally {
      this.publish();
    }
  }
}
