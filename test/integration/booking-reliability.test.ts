import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { keys } from '../../functions/adapters/dynamodb/keys.ts';
import { bookIntroduction, type BookingDependencies, type BookingResult } from '../../functions/domain/booking/book-introduction.ts';
import type { CalendarAccess } from '../../functions/domain/booking/booking-ports.ts';
import { CalendarUnavailableError, type CalendarPort } from '../../functions/domain/booking/calendar-port.ts';
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
 * Every retry is safe, and Google's failure modes are handled, through the real client against the
 * loopback Google. The same trigger twice, concurrent triggers, a redelivered stream record, and a
 * crash at any step followed by the retry all end with one event, one invitation and one
 * `meeting_booked` history event, because the event id is derived from the introduction. Rate
 * limits and server errors are retried with bounded backoff; a persistent failure leaves the
 * introduction waiting and the stream record failed (Lambda retries it, then dead-letters it); a
 * revoked grant disconnects the partner's calendar, asks them once to reconnect, and the
 * reconnection books everything that waited.
 *
 * One harness (table and loopback server) serves the file; each test has its own partners.
 */

const SAM = { email: 'sam.lee@example.com', name: 'Sam Lee' };
/** The harness's backoff: full jitter at its midpoint, so half of 250, 500 and 1000 ms. */
const BACKOFF = [125, 250, 500];

let h: BookingHarness;
let count = 0;

beforeAll(async () => {
  h = await createBookingHarness();
});
beforeEach(() => h.resetBetweenTests());
afterEach(() => {
  vi.restoreAllMocks();
  h.expectLogsFreeOfPersonalData();
});
afterAll(async () => {
  await h.stop();
  printBookingFigures('booking-reliability.test.ts');
});

/** A connected partner of their own and an introduction to a prospect, for one test. */
async function freshIntroduction(label: string): Promise<{ partner: Partner; introductionId: string; prospect: string }> {
  count += 1;
  const partner = await h.registerPartner({ email: `${label}.${count}@partner.test`, name: `Partner ${count}`, timeZone: 'America/Chicago' });
  const prospect = `prospect.${count}@prospect.test`;
  const intro = await h.createIntroduction({ introducer: SAM, parties: [partner.email, prospect] });
  return { partner, introductionId: intro.id, prospect };
}

/** Exactly one booking and nothing else in the partner's calendar. */
async function expectOneBooking(introductionId: string, partner: Partner): Promise<void> {
  expect(h.calendarEvents(partner.email, { showDeleted: true }), 'events in the partner’s calendar').toHaveLength(1);
  expect(h.invitations(partner.email), 'invitations Google sent').toHaveLength(1);
  expect((await h.history(introductionId)).filter((event) => event.type === 'meeting_booked'), 'meeting_booked history events').toHaveLength(1);
  await expectBookedOnce(h, introductionId, partner.email);
  expect(h.mail.sent).toEqual([]);
}

async function connectedPartner(label: string): Promise<Partner> {
  count += 1;
  return h.registerPartner({ email: `${label}.${count}@partner.test`, name: `${label[0]?.toUpperCase() ?? ''}${label.slice(1)} Partner`, timeZone: 'America/Chicago' });
}

async function introductionFor(partner: Partner, prospect = `prospect.${(count += 1)}@prospect.test`): Promise<string> {
  return (await h.createIntroduction({ introducer: SAM, parties: [partner.email, prospect] })).id;
}

/** `operation status (fault)` for every Calendar API request since the test began. */
function calendarLog(): string[] {
  return h.requests({ calendarOnly: true }).map((request) => `${request.operation} ${request.status}${request.fault ? ` (${request.fault})` : ''}`);
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

  it('books once when several triggers run at the same time and all of them ask Google to create the event', async () => {
    const { partner, introductionId } = await freshIntroduction('concurrent');
    const triggers = 5;
    // Each trigger that gets as far as creating the event waits there until every other trigger
    // has arrived too (or finished without getting there), so they all insert at the same moment.
    let arrived = 0;
    let finishedBefore = 0;
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const releaseWhenAllThere = () => {
      if (arrived + finishedBefore === triggers) release();
    };
    const trigger = async () => {
      let reached = false;
      const calendars: CalendarAccess = {
        forPartner: async (owner) => {
          const calendar = await h.dependencies.calendars.forPartner(owner);
          const port: CalendarPort = {
            busy: (query) => calendar.busy(query),
            getEvent: (calendarId, eventId) => calendar.getEvent(calendarId, eventId),
            deleteEvent: (calendarId, eventId) => calendar.deleteEvent(calendarId, eventId),
            createEvent: async (event) => {
              reached = true;
              arrived += 1;
              releaseWhenAllThere();
              await gate;
              return calendar.createEvent(event);
            },
          };
          return port;
        },
      };
      try {
        return await bookIntroduction(introductionId, { ...h.dependencies, calendars });
      } finally {
        if (!reached) {
          finishedBefore += 1;
          releaseWhenAllThere();
        }
      }
    };

    const settled = await Promise.allSettled(Array.from({ length: triggers }, trigger));
    h.countDuplicateTriggers(triggers - 1);

    // Several inserts of the same event at once: Google creates it once and answers 409 to the rest.
    expect(arrived).toBeGreaterThanOrEqual(2);
    expect(h.requests({ operation: 'calendar.events.insert' }).map((request) => request.status).sort()).toEqual([200, ...Array<number>(arrived - 1).fill(409)]);
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

describe('booking: rate limits and server errors are retried, within bounds', () => {
  it('retries 429 rateLimitExceeded with backoff and books once (up to the fourth and last attempt)', async () => {
    const partner = await connectedPartner('ratelimited');
    const id = await introductionFor(partner);
    h.injectFault({ fault: 'rateLimit', match: { operation: 'calendar.freebusy.query' }, times: 3 });

    expect(await bookIntroduction(id, h.dependencies)).toMatchObject({ outcome: 'booked' });

    await expectBookedOnce(h, id, partner.email);
    expect(h.calendarEvents(partner.email)).toHaveLength(1);
    expect(h.retryDelays).toEqual(BACKOFF);
    expect(calendarLog()).toEqual([
      'calendar.events.get 404',
      'calendar.freebusy.query 429 (rateLimit)',
      'calendar.freebusy.query 429 (rateLimit)',
      'calendar.freebusy.query 429 (rateLimit)',
      'calendar.freebusy.query 200',
      'calendar.events.insert 200',
    ]);
  });

  it('retries 403 userRateLimitExceeded on the insert (not a permission problem) and books once', async () => {
    const partner = await connectedPartner('userlimited');
    const id = await introductionFor(partner);
    h.injectFault({ fault: 'userRateLimit', match: { operation: 'calendar.events.insert' } });

    expect(await bookIntroduction(id, h.dependencies)).toMatchObject({ outcome: 'booked' });

    await expectBookedOnce(h, id, partner.email);
    expect(h.calendarEvents(partner.email)).toHaveLength(1);
    expect(h.invitations(partner.email)).toHaveLength(1);
    expect(h.retryDelays).toEqual([125]);
    expect(calendarLog()).toEqual(['calendar.events.get 404', 'calendar.freebusy.query 200', 'calendar.events.insert 403 (userRateLimit)', 'calendar.events.insert 200']);
    expect((await h.partner(partner.email)).calendar?.status).toBe('connected');
  });

  it('retries a request that hangs past the client timeout', async () => {
    const partner = await connectedPartner('hung');
    const id = await introductionFor(partner);
    compressGoogleRequestTimeout(200);
    h.injectFault({ fault: { delayMs: 400 }, match: { operation: 'calendar.freebusy.query' } });

    expect(await bookIntroduction(id, h.dependencies)).toMatchObject({ outcome: 'booked' });

    await expectBookedOnce(h, id, partner.email);
    expect(h.retryDelays).toEqual([125]);
    // The slow answer is still on its way (or thrown away) when the retry's answer is used.
    expect(calendarLog().map((line) => line.replace(/^(calendar\.freebusy\.query) \d+ \(delay/, '$1 … (delay'))).toEqual([
      'calendar.events.get 404',
      'calendar.freebusy.query … (delay 400ms)',
      'calendar.freebusy.query 200',
      'calendar.events.insert 200',
    ]);
  });

  it('gives up after four attempts on a persistent 500: CalendarUnavailableError, the introduction still waiting, nothing booked', async () => {
    const partner = await connectedPartner('broken');
    const id = await introductionFor(partner);
    h.injectFault({ fault: 'backendError', match: { operation: 'calendar.freebusy.query' }, times: 10 });

    const failure = await bookIntroduction(id, h.dependencies).then(
      () => null,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(CalendarUnavailableError);
    expect((failure as Error).message).toBe('Google Calendar kept failing after 4 attempts: HTTP 500 backendError');
    expect(h.retryDelays).toEqual(BACKOFF);
    expect(h.requests({ operation: 'calendar.freebusy.query' })).toHaveLength(4);
    expect(h.google.control.pendingFaults()[0]?.remaining).toBe(6);
    const stored = await h.introduction(id);
    expect(stored.status).toBe('awaiting_booking');
    expect(stored.booking).toMatchObject({ calendarOwner: partner.email, waitingFor: 'booking' });
    expect(stored.meeting).toBeNull();
    expect(h.calendarEvents(partner.email)).toEqual([]);
    expect(h.mail.sent).toEqual([]);
    expect((await h.partner(partner.email)).calendar?.status).toBe('connected');
  });

  it('reports the failing stream record for Lambda to retry (then dead-letter), books the rest of the batch, and books it on redelivery', async () => {
    const partner = await connectedPartner('batch');
    const failing = await introductionFor(partner);
    const fine = await introductionFor(partner);
    const failingRecord = await h.introductionInserted(failing);
    const fineRecord = await h.introductionInserted(fine);
    // Exactly the four attempts of the first record's free/busy query fail.
    h.injectFault({ fault: 'backendError', match: { operation: 'calendar.freebusy.query' }, times: 4 });
    const handler = h.handler();

    expect(await handler(streamEvent(failingRecord, fineRecord))).toEqual({ batchItemFailures: [{ itemIdentifier: failingRecord.dynamodb.SequenceNumber }] });

    expect((await h.introduction(failing)).status).toBe('awaiting_booking');
    await expectBookedOnce(h, fine, partner.email);
    const warnings = h.logs.filter((log) => log.level === 'warn');
    expect(warnings.map((log) => log.args)).toEqual([['booking failed; will retry', { error: 'CalendarUnavailableError' }]]);

    // Google recovers; Lambda delivers the failed record again.
    h.clock.advance(60_000);
    expect(await handler(streamEvent(failingRecord))).toEqual({ batchItemFailures: [] });
    h.countDuplicateTriggers(1);
    await expectBookedOnce(h, failing, partner.email);
    expect(h.calendarEvents(partner.email)).toHaveLength(2);
    expect(h.mail.sent).toEqual([]);
  });
});

describe('booking: a revoked grant', () => {
  it('disconnects the calendar, asks for a reconnect once for three introductions, and books all three after the reconnect', async () => {
    const rosa = await connectedPartner('rosa');
    const ids = [
      await introductionFor(rosa, 'amy.adams@prospect.test'),
      await introductionFor(rosa, 'bo.brown@prospect.test'),
      await introductionFor(rosa, 'cy.clark@prospect.test'),
    ];
    const records = await Promise.all(ids.map((id) => h.introductionInserted(id)));
    const connectedItem = await h.item(keys.partner(rosa.email));
    const requestsBefore = h.requests().length;
    // Rosa removes the app's access in her Google account.
    expect(h.google.control.revokeUser(rosa.email)).toBe(1);
    const handler = h.handler();

    expect(await handler(streamEvent(...records))).toEqual({ batchItemFailures: [] });

    // The partner: disconnected, with the reason; the token stays sealed (never stored in clear).
    const disconnected = await h.partner(rosa.email);
    expect(disconnected.calendar).toMatchObject({
      status: 'disconnected',
      method: 'oauth',
      generation: 1,
      disconnectReason: 'HTTP 400 invalid_grant',
      disconnectedAt: expect.stringMatching(/^2026-11-24T09:00/) as string,
    });
    expect(disconnected.calendar?.refreshToken?.keyId).toBe('local');
    // Each introduction: waiting for the reconnect, nothing booked.
    for (const id of ids) {
      const stored = await h.introduction(id);
      expect(stored.status).toBe('awaiting_booking');
      expect(stored.booking).toMatchObject({ calendarOwner: rosa.email, waitingFor: 'calendar_reconnect' });
    }
    expect(h.calendarEvents(rosa.email)).toEqual([]);
    // Google was asked once: the token refresh that failed. The other two knew the calendar was gone.
    expect(h.requests().slice(requestsBefore).map((request) => `${request.operation} ${request.status}`)).toEqual(['oauth.token 400']);
    // Exactly one email, with a working connect link.
    expect(h.mail.sent).toHaveLength(1);
    const [email] = h.mail.sent;
    expect(email).toMatchObject({ purpose: 'calendar_reconnect', to: [{ email: rosa.email }], subject: 'Reconnect your calendar to book Amy Adams' });
    expect(email?.text).toContain('access was revoked or expired');
    const link = /Reconnect your calendar: (\S+)/.exec(email?.text ?? '')?.[1] ?? '';
    expect(h.verifyLink(link, 'connect_calendar')).toMatchObject({ subject: rosa.email });

    // The disconnect is a MODIFY of the partner too: the stream brings it to the handler, which does nothing with it.
    const disconnectedItem = await h.item(keys.partner(rosa.email));
    expect(await handler(streamEvent(h.partnerModified(connectedItem, disconnectedItem)))).toEqual({ batchItemFailures: [] });
    expect(h.calendarEvents(rosa.email)).toEqual([]);

    // Rosa reconnects (a new grant, generation 2); the MODIFY record resumes every waiting booking.
    h.clock.advance(3_600_000);
    expect((await h.connectCalendar(rosa.email)).generation).toBe(2);
    const reconnectedItem = await h.item(keys.partner(rosa.email));
    expect(await handler(streamEvent(h.partnerModified(disconnectedItem, reconnectedItem)))).toEqual({ batchItemFailures: [] });

    for (const id of ids) await expectBookedOnce(h, id, rosa.email);
    expect(h.calendarEvents(rosa.email)).toHaveLength(3);
    expect(h.invitations(rosa.email).map((invitation) => invitation.to).sort()).toEqual(['amy.adams@prospect.test', 'bo.brown@prospect.test', 'cy.clark@prospect.test']);
    expect(h.mail.sent).toHaveLength(1);
    const resumed = h.logs.find((log) => log.args[0] === 'bookings resumed');
    expect(resumed?.args[1]).toEqual({ count: 3, outcomes: ['booked', 'booked', 'booked'] });

    // The same MODIFY delivered again books nothing more.
    expect(await handler(streamEvent(h.partnerModified(disconnectedItem, reconnectedItem)))).toEqual({ batchItemFailures: [] });
    h.countDuplicateTriggers(1);
    expect(h.calendarEvents(rosa.email)).toHaveLength(3);
  });

  it('books with the new grant when the partner reconnects while a booking is still using the old one', async () => {
    const rae = await connectedPartner('rae');
    const id = await introductionFor(rae, 'eve.evans@prospect.test');
    const handler = h.handler();
    // While the booking holds Rae's calendar (opened with her first grant), she revokes that grant
    // and connects again; the resume her reconnection triggers finds nothing waiting yet.
    let reconnected = false;
    const calendars: CalendarAccess = {
      forPartner: async (owner) => {
        const calendar = await h.dependencies.calendars.forPartner(owner);
        if (!reconnected) {
          reconnected = true;
          h.google.control.revokeUser(rae.email);
          const before = await h.item(keys.partner(rae.email));
          await h.connectCalendar(rae.email);
          expect(await handler(streamEvent(h.partnerModified(before, await h.item(keys.partner(rae.email)))))).toEqual({ batchItemFailures: [] });
        }
        return calendar;
      },
    };

    const result = await bookIntroduction(id, { ...h.dependencies, calendars });

    expect(result).toMatchObject({ outcome: 'booked' });
    await expectBookedOnce(h, id, rae.email);
    expect((await h.partner(rae.email)).calendar).toMatchObject({ status: 'connected', generation: 2 });
    expect((await h.history(id)).map((entry) => entry.type)).toEqual(['captured', 'booking_waiting', 'meeting_booked']);
    // No "reconnect your calendar" to a partner who just did.
    expect(h.mail.sent).toEqual([]);
  });

  it('sends the connect email once even when the first send fails and the stream retries', async () => {
    count += 1;
    const nora = await h.registerPartner({ email: `nora.${count}@partner.test`, name: 'Nora Nolan', timeZone: 'America/Chicago', connect: 'none' });
    const id = await introductionFor(nora, 'dan.diaz@prospect.test');
    const record = await h.introductionInserted(id);
    h.mail.failNext();
    const handler = h.handler();

    expect(await handler(streamEvent(record))).toEqual({ batchItemFailures: [{ itemIdentifier: record.dynamodb.SequenceNumber }] });
    expect(h.mail.sent).toEqual([]);
    // The state is recorded before the email: the introduction already waits for the connection.
    expect((await h.introduction(id)).booking).toMatchObject({ waitingFor: 'calendar_connection' });

    // Lambda retries after the outbox lease (45 s) has run out.
    h.clock.advance(60_000);
    expect(await handler(streamEvent(record))).toEqual({ batchItemFailures: [] });
    expect(await handler(streamEvent(record))).toEqual({ batchItemFailures: [] });
    h.countDuplicateTriggers(2);

    expect(h.mail.emails({ purpose: 'calendar_connect' })).toHaveLength(1);
    expect(h.mail.sent).toHaveLength(1);
    expect(await h.outboxEntries()).toContainEqual(
      expect.objectContaining({ outboxKey: `calendar_connect#${nora.email}#0`, status: 'sent', sentAt: expect.stringMatching(/^2026-11-24T09:01:00\.\d{3}Z$/) as string }),
    );
  });
});
