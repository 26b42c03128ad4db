import type { DynamoConnection } from '../../../functions/adapters/dynamodb/document-client.ts';
import { captureDelivery, type CaptureDependencies } from '../../../functions/domain/capture/capture-delivery.ts';
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
  return {
    h,
    dependencies,
    handler: (wired = dependencies) => makeCaptureHandler({ capture: (delivery) => captureDelivery(delivery, wired), rawMail: RAW_MAIL, logger }),
    wiredOver,
    stop: () => h.connection.client.destroy(),
  };
}
