import type { BookingResult } from '../domain/booking/book-introduction.ts';
import type { CaptureResult } from '../domain/capture/capture-delivery.ts';
import type { MailSender } from '../domain/outbound/outbound-email.ts';

/** CloudWatch namespace of the business metrics (embedded metric format in the functions' logs). */
export const METRICS_NAMESPACE = 'Refer';

/**
 * The metric the stack's log metric filters add to for every error a function logs (no
 * dimensions: one metric for the whole stack; see `lib/constructs/operator-alerts.ts`).
 */
export const FUNCTION_ERRORS_METRIC = 'FunctionErrors';

/** Metric names as they appear in CloudWatch. */
export const METRIC_NAMES = {
  introductionsCaptured: 'IntroductionsCaptured',
  introductionsBooked: 'IntroductionsBooked',
  emailsSent: 'EmailsSent',
  failures: 'Failures',
} as const;

/**
 * The `reason` dimension of `Failures`. A small fixed set: each value is one more CloudWatch
 * metric, and nothing personal (addresses, subjects, error messages) may ever become a dimension.
 */
export const FAILURE_REASONS = [
  /** An event that does not match its schema (it is kept: dead-letter queue or a 400 page). */
  'invalid_event',
  /** The capture of a delivery threw; Lambda retries it, then dead-letters it. */
  'capture_error',
  /** An introduction without two people to introduce; the partner was asked what to do. */
  'introduction_ambiguous',
  /** A booking threw (Google or DynamoDB); retried, then dead-lettered. */
  'booking_error',
  /** The partner's calendar access was revoked or expired; they were asked to reconnect. */
  'calendar_disconnected',
  /** No free time in the partner's horizon; they were told. */
  'no_free_slot',
  /** A follow-through job or stream record threw; retried, then dead-lettered. */
  'job_error',
  /** SES refused an email (throttling, sandbox, identity); the sending step is retried. */
  'email_error',
  /** A web page failed with a server error. */
  'web_error',
] as const;

export type FailureReason = (typeof FAILURE_REASONS)[number];

/**
 * What the handlers count. Handlers count outcomes from the use cases' results; the domain knows
 * nothing of metrics.
 */
export interface BusinessMetrics {
  introductionCaptured(): void;
  introductionBooked(): void;
  emailSent(): void;
  failure(reason: FailureReason): void;
}

/** Counts nothing: local mode and tests that do not look at metrics. */
export const noBusinessMetrics: BusinessMetrics = {
  introductionCaptured: () => undefined,
  introductionBooked: () => undefined,
  emailSent: () => undefined,
  failure: () => undefined,
};

/**
 * Counts one capture's result. An introduction counts once, on the delivery that recorded it; a
 * redelivery or retry of a delivery already recorded counts nothing.
 */
export function countCapture(metrics: BusinessMetrics, result: CaptureResult): void {
  if (result.repeatDelivery) return;
  if (result.outcome === 'captured') metrics.introductionCaptured();
  else if (result.outcome === 'ambiguous') metrics.failure('introduction_ambiguous');
}

/** Counts one booking's result: `booked` is returned once per introduction (a retry gets `already_booked`). */
export function countBooking(metrics: BusinessMetrics, result: BookingResult): void {
  if (result.outcome === 'booked') metrics.introductionBooked();
  else if (result.outcome === 'calendar_disconnected') metrics.failure('calendar_disconnected');
  else if (result.outcome === 'no_free_slot') metrics.failure('no_free_slot');
}

/** A mail sender that counts every email SES accepted and every one it refused. */
export function countingMailSender(sender: MailSender, metrics: BusinessMetrics): MailSender {
  return {
    async send(email) {
      try {
        const sent = await sender.send(email);
        metrics.emailSent();
        return sent;
      } catch (error) {
        metrics.failure('email_error');
        throw error;
      }
    },
  };
}
