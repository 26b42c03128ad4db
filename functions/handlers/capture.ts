import { S3Client } from '@aws-sdk/client-s3';
import { captureDelivery, type CaptureResult, type InboundDelivery } from '../domain/capture/capture-delivery.ts';
import { createDocumentClient } from '../adapters/dynamodb/document-client.ts';
import { S3RawMailSource } from '../adapters/s3/s3-raw-mail-source.ts';
import { PowertoolsBusinessMetrics } from '../adapters/metrics/powertools-business-metrics.ts';
import { countCapture, noBusinessMetrics, type BusinessMetrics } from '../shared/business-metrics.ts';
import { readCaptureEnvironment } from '../shared/capture-config.ts';
import { captureDependencies } from '../shared/capture-wiring.ts';
import { logger, type LogSink } from '../shared/logger.ts';
import { deliveryFromRecord, sesCaptureEventSchema, type RawMailLocationSettings } from './ses-event.ts';

export interface CaptureHandlerDependencies {
  readonly capture: (delivery: InboundDelivery) => Promise<CaptureResult>;
  readonly rawMail: RawMailLocationSettings;
  readonly logger: LogSink;
  /** Introductions captured and failures, counted from each delivery's result (absent: nothing is counted). */
  readonly metrics?: BusinessMetrics;
}

export interface DeliverySummary {
  readonly deliveryId: string;
  readonly outcome: CaptureResult['outcome'];
  readonly introductionId: string | null;
  readonly repeatDelivery: boolean;
}

/** An event that does not match the SES receipt schema. Thrown so the event ends in the dead-letter queue, kept. */
export class InvalidCaptureEventError extends Error {
  override readonly name = 'InvalidCaptureEventError';
}

/**
 * SES receipt rule → capture. Parses the event, runs the capture use case per record and lets any
 * failure propagate: Lambda retries the asynchronous invocation, and after the last retry the
 * event goes to the dead-letter queue. Retries are safe because the capture is idempotent.
 */
export function makeCaptureHandler(dependencies: CaptureHandlerDependencies) {
  const metrics = dependencies.metrics ?? noBusinessMetrics;
  return async (event: unknown): Promise<DeliverySummary[]> => {
    const parsed = sesCaptureEventSchema.safeParse(event);
    if (!parsed.success) {
      dependencies.logger.error('not an SES receipt event', { issues: parsed.error.issues.length, paths: parsed.error.issues.slice(0, 5).map((issue) => issue.path.join('.')) });
      metrics.failure('invalid_event');
      throw new InvalidCaptureEventError('the event is not an SES receipt event');
    }
    const summaries: DeliverySummary[] = [];
    for (const record of parsed.data.Records) {
      const delivery = deliveryFromRecord(record, dependencies.rawMail);
      let result: CaptureResult;
      try {
        result = await dependencies.capture(delivery);
      } catch (error) {
        metrics.failure('capture_error');
        throw error;
      }
      countCapture(metrics, result);
      const summary = {
        deliveryId: delivery.deliveryId,
        outcome: result.outcome,
        introductionId: result.introductionId,
        repeatDelivery: result.repeatDelivery,
      };
      dependencies.logger.info('delivery handled', { ...summary });
      summaries.push(summary);
    }
    return summaries;
  };
}

const metrics = new PowertoolsBusinessMetrics();

function fromEnvironment(): ReturnType<typeof makeCaptureHandler> {
  const environment = readCaptureEnvironment(process.env);
  const dependencies = captureDependencies({
    connection: { client: createDocumentClient(), tableName: environment.TABLE_NAME },
    rawMail: new S3RawMailSource(new S3Client({})),
    policy: {
      captureAddress: environment.CAPTURE_ADDRESS,
      systemAddresses: [environment.SENDER_ADDRESS],
      rejectOnSpamFail: environment.REJECT_ON_SPAM_FAIL,
      rejectOnDmarcFail: environment.REJECT_ON_DMARC_FAIL,
    },
  });
  return makeCaptureHandler({
    capture: (delivery) => captureDelivery(delivery, dependencies),
    rawMail: { bucket: environment.RAW_MAIL_BUCKET, prefix: environment.RAW_MAIL_PREFIX },
    logger,
    metrics,
  });
}

let configured: ReturnType<typeof makeCaptureHandler> | undefined;

/** The Lambda entry point, wired to the real adapters on first use (cold start). */
export const handler = async (event: unknown): Promise<DeliverySummary[]> => {
  return metrics.publishingAfter(() => {
    configured ??= fromEnvironment();
    return configured(event);
  });
};
