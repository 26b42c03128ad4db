import type { CaptureDependencies, CapturePolicy } from '../domain/capture/capture-delivery.ts';
import type { RawMailSource } from '../domain/capture/ports.ts';
import type { MailSender } from '../domain/outbound/outbound-email.ts';
import type { Clock } from '../domain/shared/clock.ts';
import { DynamoCaptureStore } from '../adapters/dynamodb/capture-store.ts';
import type { DynamoConnection } from '../adapters/dynamodb/document-client.ts';
import { DynamoOutbox } from '../adapters/dynamodb/outbox-store.ts';
import { DynamoPairStore } from '../adapters/dynamodb/pair-store.ts';
import { DynamoPartnerStore } from '../adapters/dynamodb/partner-store.ts';
import { mimeMessageReader } from '../adapters/mail/parse-mail.ts';

/**
 * The capture's dependencies over DynamoDB. Lambda and local mode differ only in where raw mail
 * is read from and how mail is sent; everything else is this same wiring.
 */
export function captureDependencies(options: {
  connection: DynamoConnection;
  rawMail: RawMailSource;
  sender: MailSender;
  policy: CapturePolicy;
  clock?: Clock;
}): CaptureDependencies {
  return {
    store: new DynamoCaptureStore(options.connection),
    pairNotes: new DynamoPairStore(options.connection),
    partners: new DynamoPartnerStore(options.connection),
    rawMail: options.rawMail,
    reader: mimeMessageReader,
    outbox: new DynamoOutbox(options.connection),
    sender: options.sender,
    clock: options.clock ?? { now: () => new Date() },
    policy: options.policy,
  };
}
