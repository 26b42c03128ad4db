import { bookIntroduction, resumeBookings, type BookingDependencies } from '../domain/booking/book-introduction.ts';
import { checkUpcomingMeetings } from '../domain/booking/check-meetings.ts';
import { PowertoolsBusinessMetrics } from '../adapters/metrics/powertools-business-metrics.ts';
import { bookingRuntimeFromEnvironment } from '../shared/booking-runtime.ts';
import { countBooking, noBusinessMetrics, type BusinessMetrics } from '../shared/business-metrics.ts';
import { logger, type LogSink } from '../shared/logger.ts';
import { bookingEventSchema, workFromStreamRecord, type StreamWork } from './booking-event.ts';

export interface BookingHandlerDependencies {
  readonly booking: BookingDependencies;
  readonly logger: LogSink;
  /** Introductions booked and failures, counted from each booking's result (absent: nothing is counted). */
  readonly metrics?: BusinessMetrics;
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
  const metrics = dependencies.metrics ?? noBusinessMetrics;
  const run = async (work: NonNullable<StreamWork>): Promise<void> => {
    if (work.kind === 'book') {
      const result = await bookIntroduction(work.introductionId, dependencies.booking);
      countBooking(metrics, result);
      dependencies.logger.info('booking handled', { introductionId: work.introductionId, outcome: result.outcome });
    } else {
      const results = await resumeBookings(work.partner, dependencies.booking);
      for (const result of results) countBooking(metrics, result);
      dependencies.logger.info('bookings resumed', { count: results.length, outcomes: results.map((result) => result.outcome) });
    }
  };
  const counted = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      metrics.failure('booking_error');
      throw error;
    }
  };

  return async (event: unknown): Promise<BookingHandlerResult> => {
    const parsed = bookingEventSchema.safeParse(event);
    if (!parsed.success) {
      dependencies.logger.error('not a booking event', { issues: parsed.error.issues.length });
      metrics.failure('invalid_event');
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
          metrics.failure('booking_error');
          dependencies.logger.warn('booking failed; will retry', { error: error instanceof Error ? error.name : 'error' });
          batchItemFailures.push({ itemIdentifier: record.dynamodb.SequenceNumber ?? record.eventID ?? '' });
        }
      }
      return { batchItemFailures };
    }
    if (request.action === 'check-meetings') {
      const summary = await counted(() => checkUpcomingMeetings(dependencies.booking));
      dependencies.logger.info('meetings checked', { ...summary });
      return { done: 'check-meetings' };
    }
    await counted(() => run(request.action === 'book' ? { kind: 'book', introductionId: request.introductionId } : { kind: 'resume', partner: request.partner }));
    return { done: request.action };
  };
}

let configured: Promise<ReturnType<typeof makeBookingHandler>> | undefined;
const metrics = new PowertoolsBusinessMetrics();

const handle = async (event: unknown): Promise<BookingHandlerResult> => {
  configured ??= bookingRuntimeFromEnvironment(process.env, { metrics }).then(
    (runtime) => makeBookingHandler({ booking: runtime.booking, logger, metrics }),
    (error: unknown) => {
      // A missing secret is fixed by the operator; the next invocation must try again, not reuse the failure.
      configured = undefined;
      throw error;
    },
  );
  return (await configured)(event);
};

/** The Lambda entry point; secrets are read once per cold start, the counts written after each invocation. */
export const handler = (event: unknown): Promise<BookingHandlerResult> => metrics.publishingAfter(() => handle(event));
