import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { bookIntroduction, type BookingDependencies, type BookingResult } from '../../functions/domain/booking/book-introduction.ts';
import type { CalendarAccess } from '../../functions/domain/booking/booking-ports.ts';
import { meetingEventId } from '../../functions/domain/booking/google-ids.ts';
import type { Partner } from '../../functions/domain/partners/partner.ts';
import {
  compressGoogleRequestTimeout,
  createBookingHarness,
  expectBookedOnce,
  printBookingFigures,
  SimulatedCrash,
  streamEvent,
  until,
  type BookingHarness,
} from '../support/booking-harness.ts';

/**
 * Every retry is safe: the same trigger twice, concurrent triggers, a redelivered stream record,
 * and a crash at any step followed by a retry all end with one event, one invitation and one
 * `meeting_booked` history event — because the event id is derived from the introduction.
 */

const SAM = { email: 'sam.lee@example.com', name: 'Sam Lee' };
let h: BookingHarness;
let partnerCount = 0;

beforeAll(async () => {
  h = await createBookingHarness();
});
beforeEach(() => h.resetBetweenTests());
afterEach(() => vi.restoreAllMocks());
afterAll(async () => {
  await h.stop();
  printBookingFigures('booking-idempotency.test.ts');
});

/** A connected partner of their own and an introduction to a prospect, for one test. */
async function freshIntroduction(label: string): Promise<{ partner: Partner; introductionId: string; prospect: string }> {
  partnerCount += 1;
  const partner = await h.registerPartner({ email: `${label}.${partnerCount}@partner.test`, name: `Partner ${partnerCount}`, timeZone: 'America/Chicago' });
  const prospect = `prospect.${partnerCount}@prospect.test`;
  const intro = await h.createIntroduction({ introducer: SAM, parties: [partner.email, prospect] });
  return { partner, introductionId: intro.id, prospect };
}

/** Exactly one booking and nothing else in the partner's calendar. */
async function expectOneBooking(introductionId: string, partner: Partner): Promise<void> {
  await expectBookedOnce(h, introductionId, partner.email);
  expect(h.calendarEvents(partner.email, { showDeleted: true }), 'events in the partner’s calendar').toHaveLength(1);
  expect(h.invitations(partner.email), 'invitations Google sent').toHaveLength(1);
  expect(h.mail.sent).toEqual([]);
}

describe('booking: duplicate triggers', () => {
  it('books once when the same trigger comes twice', async () => {
    const { partner, introductionId } = await freshIntroduction('twice');

    const first = await bookIntroduction(introductionId, h.dependencies);
    const second = await bookIntroduction(introductionId, h.dependencies);
    h.countDuplicateTriggers(1);

    expect(first.outcome).toBe('booked');
    expect(second).toEqual({ outcome: 'already_booked', meeting: (first as Extract<BookingResult, { outcome: 'booked' }>).meeting });
    await expectOneBooking(introductionId, partner);
    // The second trigger did not even ask Google.
    expect(h.requests({ operation: 'calendar.events.insert' })).toHaveLength(1);
  });

  it('books once when several triggers run at the same time', async () => {
    const { partner, introductionId } = await freshIntroduction('concurrent');
    const triggers = 5;

    const settled = await Promise.allSettled(Array.from({ length: triggers }, () => bookIntroduction(introductionId, h.dependencies)));
    h.countDuplicateTriggers(triggers - 1);

    const outcomes = settled.map((result) => (result.status === 'fulfilled' ? result.value.outcome : (result.reason as Error).name));
    expect(outcomes.filter((outcome) => outcome === 'booked')).toHaveLength(1);
    // The others found it booked, or lost a DynamoDB transaction race (Lambda retries those: see the retry below).
    for (const outcome of outcomes) expect(['booked', 'already_booked', 'not_bookable', 'TransactionCanceledException']).toContain(outcome);
    for (const result of settled) if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(TransactionCanceledException);
    expect(await bookIntroduction(introductionId, h.dependencies)).toMatchObject({ outcome: 'already_booked' });
    await expectOneBooking(introductionId, partner);
  });

  it('books once when the stream delivers the same record twice, in one batch and again later', async () => {
    const { partner, introductionId } = await freshIntroduction('redelivered');
    const record = await h.introductionInserted(introductionId);
    const handler = h.handler();

    expect(await handler(streamEvent(record, record))).toEqual({ batchItemFailures: [] });
    expect(await handler(streamEvent(record))).toEqual({ batchItemFailures: [] });
    h.countDuplicateTriggers(2);

    await expectOneBooking(introductionId, partner);
    const outcomes = h.logs.filter((log) => log.args[0] === 'booking handled').map((log) => (log.args[1] as { outcome: string }).outcome);
    expect(outcomes).toEqual(['booked', 'already_booked', 'already_booked']);
  });
});

describe('booking: a crash at any step, then the retry', () => {
  type Crash = { name: string; dependencies: (dependencies: BookingDependencies) => BookingDependencies; retryOutcome: BookingResult['outcome'] };

  /** The calendar adapter of the partner, with `createEvent` failing right after Google created the event. */
  const calendarsCrashingAfterCreate = (calendars: CalendarAccess): CalendarAccess => ({
    forPartner: async (partner) => h.crashOnce(await calendars.forPartner(partner), 'createEvent', 'after'),
  });

  const crashes: Crash[] = [
    { name: 'after the waiting state is written', dependencies: (d) => ({ ...d, store: h.crashOnce(d.store, 'setWaiting', 'after') }), retryOutcome: 'booked' },
    { name: 'before the calendar is opened', dependencies: (d) => ({ ...d, calendars: h.crashOnce(d.calendars, 'forPartner', 'before') }), retryOutcome: 'booked' },
    { name: 'after Google created the event, before its answer is used', dependencies: (d) => ({ ...d, calendars: calendarsCrashingAfterCreate(d.calendars) }), retryOutcome: 'booked' },
    { name: 'after the event is created, before the status is written', dependencies: (d) => ({ ...d, store: h.crashOnce(d.store, 'recordMeeting', 'before') }), retryOutcome: 'booked' },
    { name: 'after the status is written, before the handler returns', dependencies: (d) => ({ ...d, store: h.crashOnce(d.store, 'recordMeeting', 'after') }), retryOutcome: 'already_booked' },
  ];

  for (const crash of crashes) {
    it(`books once after a crash ${crash.name}`, async () => {
      const { partner, introductionId } = await freshIntroduction('crash');
      const record = await h.introductionInserted(introductionId);

      // The first invocation dies; the stream reports the record failed and delivers it again.
      const failed = await h.handler({ dependencies: crash.dependencies(h.dependencies) })(streamEvent(record));
      expect(failed).toEqual({ batchItemFailures: [{ itemIdentifier: record.dynamodb.SequenceNumber }] });
      h.clock.advance(60_000);
      expect(await h.handler()(streamEvent(record))).toEqual({ batchItemFailures: [] });
      h.countDuplicateTriggers(1);

      const outcomes = h.logs.filter((log) => log.args[0] === 'booking handled').map((log) => (log.args[1] as { outcome: string }).outcome);
      expect(outcomes).toEqual([crash.retryOutcome]);
      expect(h.logs.filter((log) => log.level === 'warn')).toHaveLength(1);
      await expectOneBooking(introductionId, partner);
    });
  }

  it('books once when the insert times out after Google created the event: the retry gets 409 and reads the event', async () => {
    const { partner, introductionId, prospect } = await freshIntroduction('timeout');
    // Google is slow: it creates the event after 600 ms; the client gives up at (a compressed) 300 ms.
    compressGoogleRequestTimeout(300);
    h.injectFault({ fault: { delayMs: 600 }, match: { operation: 'calendar.events.insert' } });
    // The backoff lasts until Google has created the event, so the retried insert finds it.
    h.beforeEachRetry(() => until(() => h.calendarEvents(partner.email).length === 1));

    const result = await bookIntroduction(introductionId, h.dependencies);

    expect(result).toMatchObject({ outcome: 'booked', meeting: { eventId: meetingEventId(introductionId, 0), attendees: [prospect] } });
    await expectOneBooking(introductionId, partner);
    expect(h.requests({ calendarOnly: true }).map((request) => `${request.operation} ${request.status}${request.fault ? ` (${request.fault})` : ''}`)).toEqual([
      'calendar.events.get 404',
      'calendar.freebusy.query 200',
      'calendar.events.insert 200 (delay 600ms)',
      'calendar.events.insert 409',
      'calendar.events.get 200',
    ]);
    expect(h.retryDelays).toEqual([125]);
    // The event recorded is Google's, Meet link included.
    expect((await h.introduction(introductionId)).meeting?.videoLink).toBe(h.calendarEvents(partner.email)[0]?.hangoutLink);
  });

  it('never books twice even when a crashed attempt and its retry overlap', async () => {
    const { partner, introductionId } = await freshIntroduction('overlap');
    const crashing = { ...h.dependencies, store: h.crashOnce(h.dependencies.store, 'recordMeeting', 'before') };

    const settled = await Promise.allSettled([bookIntroduction(introductionId, crashing), bookIntroduction(introductionId, h.dependencies)]);
    h.countDuplicateTriggers(1);

    for (const result of settled) if (result.status === 'rejected') expect(result.reason).toSatisfy((error) => error instanceof SimulatedCrash || error instanceof TransactionCanceledException);
    if ((await h.introduction(introductionId)).status !== 'meeting_booked') await bookIntroduction(introductionId, h.dependencies);
    await expectOneBooking(introductionId, partner);
  });
});
