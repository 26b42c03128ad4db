import { describe, expect, it, vi } from 'vitest';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { BookingResult } from '../../../functions/domain/booking/book-introduction.ts';
import type { CaptureResult } from '../../../functions/domain/capture/capture-delivery.ts';
import type { FollowThroughDependencies } from '../../../functions/domain/followup/follow-through.ts';
import type { OutboundEmail } from '../../../functions/domain/outbound/outbound-email.ts';
import { makeCaptureHandler } from '../../../functions/handlers/capture.ts';
import { makeJobsHandler } from '../../../functions/handlers/jobs.ts';
import { METRICS_SERVICE, PowertoolsBusinessMetrics } from '../../../functions/adapters/metrics/powertools-business-metrics.ts';
import { countBooking, countCapture, countingMailSender, FAILURE_REASONS, METRICS_NAMESPACE } from '../../../functions/shared/business-metrics.ts';
import { RAW_MAIL, sesEvent } from '../../support/capture-harness.ts';
import { metricsForEachTest, silentLogger, type EmfCapture } from '../../support/emf.ts';

vi.mock('../../../functions/domain/schedules/run-job.ts', () => ({
  runJob: vi.fn(),
}));
const { runJob } = await import('../../../functions/domain/schedules/run-job.ts');


let emf: EmfCapture;
let metrics: PowertoolsBusinessMetrics;
metricsForEachTest((capture, fresh) => {
  emf = capture;
  metrics = fresh;
});

function captureResult(overrides: Partial<CaptureResult>): CaptureResult {
  return { outcome: 'captured', reasons: [], introductionId: 'intro-1', repeatDelivery: false, ...overrides };
}

describe('Powertools business metrics: the EMF the functions write', () => {
  it('writes the counts of an invocation as one EMF line in the Refer namespace, one service dimension for every function', () => {
    metrics.introductionCaptured();
    metrics.introductionCaptured();
    metrics.emailSent();
    metrics.introductionBooked();
    metrics.publish();

    expect(emf.lines).toHaveLength(1);
    const [line] = emf.lines;
    expect(line?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [['service']],
        Metrics: expect.arrayContaining([
          { Name: 'IntroductionsCaptured', Unit: 'Count' },
          { Name: 'EmailsSent', Unit: 'Count' },
          { Name: 'IntroductionsBooked', Unit: 'Count' },
        ]) as unknown,
      },
    ]);
    expect(line).toMatchObject({ service: METRICS_SERVICE });
    expect(emf.total('IntroductionsCaptured')).toBe(2);
    expect(emf.total('EmailsSent')).toBe(1);
    expect(emf.total('IntroductionsBooked')).toBe(1);
  });

  it('writes a failure at once, with its reason as a dimension and nothing else', () => {
    metrics.failure('calendar_disconnected');

    expect(emf.lines).toHaveLength(1);
    expect(emf.lines[0]?._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [['service', 'reason']],
      Metrics: [{ Name: 'Failures', Unit: 'Count' }],
    });
    expect(emf.lines[0]).toMatchObject({ service: METRICS_SERVICE, reason: 'calendar_disconnected', Failures: 1 });
    expect(Object.keys(emf.lines[0] ?? {}).sort()).toEqual(['Failures', '_aws', 'reason', 'service']);
  });

  it('writes nothing for an invocation that counted nothing (no empty lines, no warning)', () => {
    const warn = vi.spyOn(console, 'warn');
    metrics.publish();
    expect(emf.lines).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
  });

  it('writes the counts after an invocation that threw, and clears them for the next one', async () => {
    await expect(
      metrics.publishingAfter(() => {
        metrics.introductionCaptured();
        return Promise.reject(new Error('boom'));
      }),
    ).rejects.toThrow('boom');
    await metrics.publishingAfter(() => Promise.resolve(metrics.emailSent()));

    expect(emf.lines).toHaveLength(2);
    expect(emf.lines[0]).toMatchObject({ IntroductionsCaptured: 1 });
    expect(emf.lines[1]).toMatchObject({ EmailsSent: 1 });
    expect(emf.lines[1]).not.toHaveProperty('IntroductionsCaptured');
  });

  it('accepts an injected Metrics instance (its namespace and service are used as given)', () => {
    const custom = new PowertoolsBusinessMetrics(new Metrics({ namespace: 'Other', serviceName: 'svc' }));
    custom.emailSent();
    custom.publish();
    expect(emf.lines[0]?._aws.CloudWatchMetrics[0]?.Namespace).toBe('Other');
    expect(emf.lines[0]).toMatchObject({ service: 'svc', EmailsSent: 1 });
  });

  it('has a small fixed set of failure reasons, none of them personal', () => {
    expect(FAILURE_REASONS.length).toBeLessThanOrEqual(10);
    for (const reason of FAILURE_REASONS) expect(reason).toMatch(/^[a-z_]+$/);
  });
});

describe('counting outcomes from the use cases’ results', () => {
  it('counts an introduction on the delivery that recorded it, never on a redelivery or retry', () => {
    countCapture(metrics, captureResult({}));
    countCapture(metrics, captureResult({ repeatDelivery: true }));
    countCapture(metrics, captureResult({ outcome: 'duplicate' }));
    countCapture(metrics, captureResult({ outcome: 'rejected' }));
    countCapture(metrics, captureResult({ outcome: 'ambiguous', introductionId: null }));
    countCapture(metrics, captureResult({ outcome: 'ambiguous', introductionId: null, repeatDelivery: true }));
    metrics.publish();

    expect(emf.total('IntroductionsCaptured')).toBe(1);
    expect(emf.total('Failures', { reason: 'introduction_ambiguous' })).toBe(1);
    expect(emf.total('Failures')).toBe(1);
  });

  it('counts booked once, and the bookings that need the partner as failures by reason', () => {
    const outcomes: BookingResult[] = [
      {
        outcome: 'booked',
        meeting: { start: '2026-11-25T15:00:00Z', end: '2026-11-25T15:30:00Z', timeZone: 'UTC', eventId: 'e', calendarOwner: 'o', attendees: [], videoLink: null, htmlLink: null },
      },
      { outcome: 'already_booked', meeting: null },
      { outcome: 'calendar_disconnected' },
      { outcome: 'no_free_slot' },
      { outcome: 'waiting_for_calendar' },
      { outcome: 'proposed', slots: [] },
    ];
    for (const result of outcomes) countBooking(metrics, result);
    metrics.publish();

    expect(emf.total('IntroductionsBooked')).toBe(1);
    expect(emf.total('Failures', { reason: 'calendar_disconnected' })).toBe(1);
    expect(emf.total('Failures', { reason: 'no_free_slot' })).toBe(1);
    expect(emf.total('Failures')).toBe(2);
  });

  it('counts each email SES accepted, and each one it refused as email_error', async () => {
    let refuse = true;
    const sender = countingMailSender(
      {
        send: () => {
          if (refuse) {
            refuse = false;
            return Promise.reject(new Error('Maximum sending rate exceeded'));
          }
          return Promise.resolve({ messageId: '<m@ses>' });
        },
      },
      metrics,
    );
    const email = {} as OutboundEmail;

    await expect(sender.send(email)).rejects.toThrow('Maximum sending rate exceeded');
    await expect(sender.send(email)).resolves.toEqual({ messageId: '<m@ses>' });
    metrics.publish();

    expect(emf.total('EmailsSent')).toBe(1);
    expect(emf.total('Failures', { reason: 'email_error' })).toBe(1);
  });
});

describe('the handlers count what their use cases return', () => {
  const at = new Date('2026-11-24T09:30:00.000Z');

  it('capture: captured per record, capture_error when the capture throws, invalid_event for a foreign event', async () => {
    const results = [captureResult({}), captureResult({ repeatDelivery: true })];
    const handler = makeCaptureHandler({
      capture: () => {
        const next = results.shift();
        return next ? Promise.resolve(next) : Promise.reject(new Error('DynamoDB unavailable'));
      },
      rawMail: RAW_MAIL,
      logger: silentLogger,
      metrics,
    });

    await handler(sesEvent('ses-1', { timestamp: at }));
    await handler(sesEvent('ses-1', { timestamp: at }));
    await expect(handler(sesEvent('ses-2', { timestamp: at }))).rejects.toThrow('DynamoDB unavailable');
    await expect(handler({ Records: [{ eventSource: 'aws:s3' }] })).rejects.toThrow('not an SES receipt event');
    metrics.publish();

    expect(emf.total('IntroductionsCaptured')).toBe(1);
    expect(emf.total('Failures', { reason: 'capture_error' })).toBe(1);
    expect(emf.total('Failures', { reason: 'invalid_event' })).toBe(1);
  });

  it('jobs: introductions the sweep booked, job_error when a job throws', async () => {
    const job = vi.mocked(runJob);
    job.mockResolvedValueOnce({ kind: 'sweep', outcomes: ['nudge:sent', 'booking:booked', 'booking:waiting_for_calendar', 'booking:booked'] });
    job.mockRejectedValueOnce(new Error('Scheduler throttled'));
    const handler = makeJobsHandler({ followThrough: {} as FollowThroughDependencies, logger: silentLogger, metrics });

    await handler({ kind: 'sweep' });
    await expect(handler({ kind: 'nudge', introductionId: 'intro-1' })).rejects.toThrow('Scheduler throttled');
    await expect(handler({ kind: 'not-a-job' })).rejects.toThrow('neither a job nor stream records');
    metrics.publish();

    expect(emf.total('IntroductionsBooked')).toBe(2);
    expect(emf.total('Failures', { reason: 'job_error' })).toBe(1);
    expect(emf.total('Failures', { reason: 'invalid_event' })).toBe(1);
  });
});
