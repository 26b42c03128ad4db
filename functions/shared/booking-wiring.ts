import type { BookingDependencies } from '../domain/booking/book-introduction.ts';
import type { BookingLinks, CalendarAccess } from '../domain/booking/booking-ports.ts';
import type { MailSender } from '../domain/outbound/outbound-email.ts';
import type { Clock } from '../domain/shared/clock.ts';
import { DynamoBookingStore } from '../adapters/dynamodb/booking-store.ts';
import type { DynamoConnection } from '../adapters/dynamodb/document-client.ts';
import { DynamoOutbox } from '../adapters/dynamodb/outbox-store.ts';
import { DynamoPartnerStore } from '../adapters/dynamodb/partner-store.ts';

/** The booking's dependencies over DynamoDB; Lambda, the web function and local mode differ only in the rest. */
export function bookingDependencies(options: {
  connection: DynamoConnection;
  calendars: CalendarAccess;
  sender: MailSender;
  links: BookingLinks;
  clock?: Clock;
}): BookingDependencies {
  return {
    store: new DynamoBookingStore(options.connection),
    partners: new DynamoPartnerStore(options.connection),
    calendars: options.calendars,
    outbox: new DynamoOutbox(options.connection),
    sender: options.sender,
    links: options.links,
    clock: options.clock ?? { now: () => new Date() },
  };
}
