import type { BookingDependencies } from '../domain/booking/book-introduction.ts';
import type { BookingLinks } from '../domain/booking/booking-ports.ts';
import type { FollowUpLinks } from '../domain/followup/follow-up-ports.ts';
import type { FollowThroughDependencies } from '../domain/followup/follow-through.ts';
import type { MailSender } from '../domain/outbound/outbound-email.ts';
import type { JobScheduler } from '../domain/schedules/scheduler-port.ts';
import type { Clock } from '../domain/shared/clock.ts';
import type { DynamoConnection } from '../adapters/dynamodb/document-client.ts';
import { DynamoFollowUpStore } from '../adapters/dynamodb/follow-up-store.ts';
import { DynamoOutbox } from '../adapters/dynamodb/outbox-store.ts';
import { DynamoPairStore } from '../adapters/dynamodb/pair-store.ts';
import { DynamoPairViewStore } from '../adapters/dynamodb/pair-view-store.ts';
import { DynamoPartnerStore } from '../adapters/dynamodb/partner-store.ts';

/** Follow-through's dependencies over DynamoDB; AWS and local mode differ in the scheduler and the mail sender. */
export function followThroughDependencies(options: {
  connection: DynamoConnection;
  scheduler: JobScheduler;
  sender: MailSender;
  links: FollowUpLinks & BookingLinks;
  booking: BookingDependencies;
  captureAddress: string;
  clock?: Clock;
}): FollowThroughDependencies {
  return {
    store: new DynamoFollowUpStore(options.connection),
    pairs: new DynamoPairStore(options.connection),
    pairViews: new DynamoPairViewStore(options.connection),
    partners: new DynamoPartnerStore(options.connection),
    scheduler: options.scheduler,
    outbox: new DynamoOutbox(options.connection),
    sender: options.sender,
    links: options.links,
    clock: options.clock ?? { now: () => new Date() },
    booking: options.booking,
    captureAddress: options.captureAddress,
  };
}
