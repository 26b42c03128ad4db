import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { keys } from '../../functions/adapters/dynamodb/keys.ts';
import { bookIntroduction } from '../../functions/domain/booking/book-introduction.ts';
import { CalendarUnavailableError } from '../../functions/domain/booking/calendar-port.ts';
import type { Partner } from '../../functions/domain/partners/partner.ts';
import {
  compressGoogleRequestTimeout,
  createBookingHarness,
  expectBookedOnce,
  printBookingFigures,
  streamEvent,
  type BookingHarness,
} from '../support/booking-harness.ts';

/**
 * Google's failure modes, through the real client: rate limits and server errors are retried with
 * bounded backoff; a persistent failure leaves the introduction waiting and the stream record
 * failed (Lambda retries it, then dead-letters it); a revoked grant disconnects the partner's
 * calendar, asks them once to reconnect, and the reconnection books everything that waited.
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
afterEach(() => vi.restoreAllMocks());
afterAll(async () => {
  await h.stop();
  printBookingFigures('booking-faults.test.ts');
});

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
