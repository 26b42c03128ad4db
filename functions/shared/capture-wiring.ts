import type { CaptureDependencies, CapturePolicy } from '../domain/capture/capture-delivery.ts';
import type { RawMailSource } from '../domain/capture/ports.ts';
import type { Clock } from '../domain/shared/clock.ts';
import { DynamoCaptureStore } from '../adapters/dynamodb/capture-store.ts';
import type { DynamoConnection } from '../adapters/dynamodb/document-client.ts';
import { DynamoPairStore } from '../adapters/dynamodb/pair-store.ts';
import { DynamoPartnerStore } from '../adapters/dynamodb/partner-store.ts';
import { mimeMessageReader } from '../adapters/mail/parse-mail.ts';

/**
 * The capture's dependencies over DynamoDB. Lambda and local mode differ only in where raw mail
 * is read from; everything else is this same wiring. The capture sends no mail (the jobs side does).
 */
export function captureDependencies(options: {
  connection: DynamoConnection;
  rawMail: RawMailSource;
  policy: CapturePolicy;
  clock?: Clock;
}): CaptureDependencies {
  return {
    store: new DynamoCaptureStore(options.connection),
    pairNotes: new DynamoPairStore(options.connection),
    partners: new DynamoPartnerStore(options.connection),
    rawMail: options.rawMail,
    reader: mimeMessageReader,
    clock: options.clock ?? { now: () => new Date() },
    policy: options.policy,
  };
}
