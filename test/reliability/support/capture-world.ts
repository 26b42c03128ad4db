import type { DynamoConnection } from '../../../functions/adapters/dynamodb/document-client.ts';
import { captureDelivery, type CaptureDependencies } from '../../../functions/domain/capture/capture-delivery.ts';
import type { CaptureMailDependencies } from '../../../functions/domain/capture/capture-mail.ts';
import type { LambdaStreamRecord } from '../../../functions/local/stream-poller.ts';
import { makeCaptureHandler, type DeliverySummary } from '../../../functions/handlers/capture.ts';
import { logger } from '../../../functions/shared/logger.ts';
import { createCaptureHarness, RAW_MAIL, type CaptureHarness } from '../../support/capture-harness.ts';
import { watchLogSinks } from './log-capture.ts';

/**
 * The capture harness (a DynamoDB Local table, S3 and SES behind aws-sdk-client-mock) with the
 * production wiring, behind the production handler and the production logger: what Powertools
 * writes is captured and scanned at the end of the test file.
 */
export interface CaptureWorld {
  readonly h: CaptureHarness;
  /** The capture's dependencies, as production wires them over the harness. */
  readonly dependencies: CaptureDependencies;
  /** The production handler over these dependencies, or over others (with faults injected). */
  handler(dependencies?: CaptureDependencies): (event: unknown) => Promise<DeliverySummary[]>;
  /** The jobs side's dependencies for the capture's emails, as production wires them over the harness. */
  readonly mailDependencies: CaptureMailDependencies;
  /** The jobs side's handling of stream records over these dependencies, or over others; reports failed records as Lambda expects. */
  mailHandler(dependencies?: CaptureMailDependencies): (event: { Records: LambdaStreamRecord[] }) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
  /** The jobs side's wiring for the capture's emails over another DynamoDB connection to the same table (a faulty one). */
  mailWiredOver(connection: DynamoConnection): Promise<CaptureMailDependencies>;
  /** The production wiring over another DynamoDB connection to the same table (a faulty one). */
  wiredOver(connection: DynamoConnection): CaptureDependencies;
  stop(): void;
}

export async function createCaptureWorld(partners: readonly (readonly [email: string, name?: string])[]): Promise<CaptureWorld> {
  const h = await createCaptureHarness();
  watchLogSinks(h.logs);
  for (const [email, name] of partners) await h.registerPartner(email, name ?? null);
  const wiredOver = (connection?: DynamoConnection): CaptureDependencies => {
    let wired: CaptureDependencies | undefined;
    h.handler({ ...(connection ? { connection } : {}), wrap: (dependencies) => (wired = dependencies) });
    if (!wired) throw new Error('the capture harness did not wire the capture');
    return wired;
  };
  const dependencies = wiredOver();
  const mailWiredOver = async (connection?: DynamoConnection): Promise<CaptureMailDependencies> => {
    let wired: CaptureMailDependencies | undefined;
    await h.mail.deliver([], { ...(connection ? { connection } : {}), wrap: (dependencies) => (wired = dependencies) });
    if (!wired) throw new Error('the capture harness did not wire the capture emails');
    return wired;
  };
  const realMail = await mailWiredOver();
  return {
    h,
    dependencies,
    handler: (wired = dependencies) => makeCaptureHandler({ capture: (delivery) => captureDelivery(delivery, wired), rawMail: RAW_MAIL, logger }),
    wiredOver,
    mailDependencies: realMail,
    mailWiredOver,
    mailHandler: (wired = realMail) => async (event) => {
      const { failed } = await h.mail.deliver(event.Records, { wrap: () => wired });
      return { batchItemFailures: failed.map((record) => ({ itemIdentifier: record.dynamodb.SequenceNumber })) };
    },
    stop: () => {
      h.close();
      h.connection.client.destroy();
    },
  };
}
