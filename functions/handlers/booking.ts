import { bookIntroduction, resumeBookings, type BookingDependencies } from '../domain/booking/book-introduction.ts';
import { checkUpcomingMeetings } from '../domain/booking/check-meetings.ts';
import { bookingRuntimeFromEnvironment } from '../shared/booking-runtime.ts';
import { logger, type LogSink } from '../shared/logger.ts';
import { bookingEventSchema, workFromStreamRecord, type StreamWork } from './booking-event.ts';

export interface BookingHandlerDependencies {
  readonly booking: BookingDependencies;
  readonly logger: LogSink;
}

export type BookingHandlerResult = { batchItemFailures: { itemIdentifier: string }[] } | { done: string };

export class InvalidBookingEventError extends Error {
  override readonly name = 'InvalidBookingEventError';
}

/**
 * Stream records are handled one by one and failures reported per record, so one introduction
 * whose calendar keeps failing is retried (and finally dead-lettered) without holding up the
 * others. The schedule and direct requests let failures propagate to Lambda's retries.
 */
export function makeBookingHandler(dependencies: BookingHandlerDependencies) {
  const run = async (work: NonNullable<StreamWork>): Promise<void> => {
    if (work.kind === 'book') {
      const result = await bookIntroduction(work.introductionId, dependencies.booking);
      dependencies.logger.info('booking handled', { introductionId: work.introductionId, outcome: result.outcome });
    } else {
      const results = await resumeBookings(work.partner, dependencies.booking);
      dependencies.logger.info('bookings resumed', { count: results.length, outcomes: results.map((result) => result.outcome) });
    }
  };

  return async (event: unknown): Promise<BookingHandlerResult> => {
    const parsed = bookingEventSchema.safeParse(event);
    if (!parsed.success) {
      dependencies.logger.error('not a booking event', { issues: parsed.error.issues.length });
      throw new InvalidBookingEventError('the event is not a booking event');
    }
    const request = parsed.data;
    if ('Records' in request) {
      const batchItemFailures: { itemIdentifier: string }[] = [];
      for (const record of request.Records) {
        try {
          // Inside the try: one malformed image fails only its own record.
          const work = workFromStreamRecord(record);
          if (!work) continue;
          await run(work);
        } catch (error) {
          dependencies.logger.warn('booking failed; will retry', { error: error instanceof Error ? error.name : 'error' });
          batchItemFailures.push({ itemIdentifier: record.dynamodb.SequenceNumber ?? record.eventID ?? '' });
        }
      }
      return { batchItemFailures };
    }
    if (request.action === 'check-meetings') {
      const summary = await checkUpcomingMeetings(dependencies.booking);
      dependencies.logger.info('meetings checked', { ...summary });
      return { done: 'check-meetings' };
    }
    await run(request.action === 'book' ? { kind: 'book', introductionId: request.introductionId } : { kind: 'resume', partner: request.partner });
    return { done: request.action };
  };
}

let configured: Promise<ReturnType<typeof makeBookingHandler>> | undefined;

/** The Lambda entry point; secrets are read once per cold start. */
export const handler = async (event: unknown): Promise<BookingHandlerResult> => {
  configured ??= bookingRuntimeFromEnvironment(process.env).then(
    (runtime) => makeBookingHandler({ booking: runtime.booking, logger }),
    (error: unknown) => {
      // A missing secret is fixed by the operator; the next invocation must try again, not reuse the failure.
      configured = undefined;
      throw error;
    },
  );
  return (await configured)(event);
};
