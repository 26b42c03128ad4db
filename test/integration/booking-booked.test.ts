import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bookIntroduction } from '../../functions/domain/booking/book-introduction.ts';
import { meetingEventId } from '../../functions/domain/booking/google-ids.ts';
import { keys } from '../../functions/adapters/dynamodb/keys.ts';
import { CONNECT_LINK_DAYS } from '../../functions/adapters/links/booking-link-builder.ts';
import { createBookingHarness, expectBookedOnce, printBookingFigures, START, streamEvent, type BookingHarness } from '../support/booking-harness.ts';

/**
 * An introduction becomes a meeting in the right partner's Google Calendar: the first free slot,
 * one event with the deterministic id, the prospect invited by Google, a Meet link; or, when
 * nothing can be booked, the right waiting state and at most one email.
 */

const SAM = { email: 'sam.lee@example.com', name: 'Sam Lee' };
const CONTEXT = 'Bob runs three bakeries in Austin and is looking for a better insurance deal.\nYou two should talk before the holidays.';

let h: BookingHarness;

beforeAll(async () => {
  h = await createBookingHarness();
});
beforeEach(() => h.resetBetweenTests());
afterAll(async () => {
  await h.stop();
  printBookingFigures('booking-booked.test.ts');
});

/** Local wall-clock parts of an instant in a zone. */
function local(iso: string, timeZone: string): { weekday: string; time: string; date: string } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).formatToParts(new Date(iso));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { weekday: part('weekday'), time: `${part('hour')}:${part('minute')}`, date: `${part('year')}-${part('month')}-${part('day')}` };
}

function calendarRequests(): string[] {
  return h.requests({ calendarOnly: true }).map((request) => `${request.operation} ${request.status}`);
}

describe('booking: booked once', () => {
  it('books the first free slot in the partner’s calendar, invites the prospect with a Meet link, and records it', async () => {
    const ana = await h.registerPartner({ email: 'ana.ruiz@partner.test', name: 'Ana Ruiz', timeZone: 'America/Chicago' });
    // Ana is busy Wednesday 09:00–09:45 Chicago time; with the 15-minute buffer the first free start is 10:00.
    h.google.control.addBusyBlock(ana.email, { start: '2026-11-25T15:00:00Z', end: '2026-11-25T15:45:00Z', label: 'dentist' });
    const intro = await h.createIntroduction({
      introducer: SAM,
      parties: [{ email: 'bob.roe@bakery.test', name: 'Bob Roe' }, { email: ana.email, name: 'Ana Ruiz' }],
      subject: 'Ana, meet Bob',
      context: CONTEXT,
    });

    const handler = h.handler();
    const result = await handler(streamEvent(await h.introductionInserted(intro.id)));
    expect(result).toEqual({ batchItemFailures: [] });

    const eventId = meetingEventId(intro.id, 0);
    const stored = await h.introduction(intro.id);
    expect(stored.status).toBe('meeting_booked');
    expect(stored.meeting).toEqual({
      start: '2026-11-25T16:00:00.000Z',
      end: '2026-11-25T16:30:00.000Z',
      timeZone: 'America/Chicago',
      eventId,
      calendarOwner: ana.email,
      attendees: ['bob.roe@bakery.test'],
      videoLink: expect.stringMatching(/^https:\/\/meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}$/) as string,
      htmlLink: expect.stringContaining('https://www.google.com/calendar/event?eid=') as string,
    });
    expect(stored.booking).toEqual({ calendarOwner: ana.email, prospect: 'bob.roe@bakery.test', round: 0, waitingFor: null, proposedSlots: [] });
    // At least one business day ahead, inside Ana's working hours, in her zone: Wednesday 10:00–10:30 in Chicago.
    const meeting = stored.meeting as NonNullable<typeof stored.meeting>;
    expect(new Date(meeting.start).getTime() - START.getTime()).toBeGreaterThanOrEqual(24 * 3_600_000);
    expect(local(meeting.start, 'America/Chicago')).toEqual({ weekday: 'Wed', time: '10:00', date: '2026-11-25' });
    expect(local(meeting.end, 'America/Chicago').time).toBe('10:30');

    // Google: one event with the deterministic id, as the system asked for it.
    const events = h.calendarEvents(ana.email);
    expect(events).toHaveLength(1);
    const event = events[0];
    expect(event).toMatchObject({
      id: eventId,
      status: 'confirmed',
      summary: 'Bob Roe <> Ana Ruiz, introduced by Sam Lee',
      start: { dateTime: '2026-11-25T16:00:00.000Z', timeZone: 'America/Chicago' },
      end: { dateTime: '2026-11-25T16:30:00.000Z', timeZone: 'America/Chicago' },
      organizer: { email: ana.email, self: true },
      attendees: [{ email: 'bob.roe@bakery.test', displayName: 'Bob Roe', responseStatus: 'needsAction' }],
      guestsCanModify: false,
      hangoutLink: meeting.videoLink,
    });
    expect(event?.conferenceData?.entryPoints?.find((entry) => entry.entryPointType === 'video')?.uri).toBe(meeting.videoLink);
    expect(event?.description).toContain('Sam Lee introduced you in “Ana, meet Bob”.');
    expect(event?.description).toContain('> Bob runs three bakeries in Austin and is looking for a better insurance deal.');
    expect(event?.description).toContain('> You two should talk before the holidays.');
    // sendUpdates=all: Google emails the prospect, once; nobody else.
    expect(h.invitations(ana.email).map((invitation) => ({ to: invitation.to, eventId: invitation.eventId }))).toEqual([{ to: 'bob.roe@bakery.test', eventId }]);
    expect(calendarRequests()).toEqual(['calendar.events.get 404', 'calendar.freebusy.query 200', 'calendar.events.insert 200']);

    // History: waiting (booking) then booked, after the capture.
    const history = await h.history(intro.id);
    expect(history.map((entry) => entry.type)).toEqual(['captured', 'booking_waiting', 'meeting_booked']);
    expect(history[2]).toMatchObject({ by: 'system', how: 'automatic', detail: "Wed 25 Nov, 10:00–10:30 (America/Chicago) in ana.ruiz@partner.test's calendar" });
    // The invitation is the only message: the system itself sends nothing.
    expect(h.mail.sent).toEqual([]);
    await expectBookedOnce(h, intro.id, ana.email);
  });

  it('books an introduction captured from real mail (corpus message through the capture use case, then the stream)', async () => {
    await h.registerPartner({ email: 'john.malowney@enron.com', name: 'John Malowney', timeZone: 'America/Los_Angeles', connect: 'none' });
    const matt = await h.registerPartner({ email: 'matt.motley@enron.com', name: 'Matt Motley', timeZone: 'America/Los_Angeles' });
    const captured = await h.captureCorpusIntroduction('introduction/enron__motley-m_inbox_ene_portland_middle_market_6.eml');
    expect(captured).toMatchObject({ outcome: 'captured', email: 'sent' });
    const id = captured.introductionId ?? '';

    expect(await h.handler()(streamEvent(await h.introductionInserted(id)))).toEqual({ batchItemFailures: [] });

    const meeting = await expectBookedOnce(h, id, matt.email);
    expect(meeting.attendees).toEqual(['connie.erickson@enron.com']);
    expect(local(meeting.start, 'America/Los_Angeles')).toEqual({ weekday: 'Wed', time: '09:00', date: '2026-11-25' });
    const [event] = h.calendarEvents(matt.email);
    expect(event?.summary).toMatch(/<> Matt Motley, introduced by John Malowney$/);
    const introduction = await h.introduction(id);
    expect(introduction.context.length).toBeGreaterThan(20);
    expect(event?.description).toContain(`> ${introduction.context.split('\n')[0] ?? ''}`);
    expect(h.mail.sent).toEqual([]);
  });
});

describe('booking: whose calendar', () => {
  it('books in the calendar of the party who is a connected partner, wherever they were addressed', async () => {
    const vic = await h.registerPartner({ email: 'victor.lang@partner.test', name: 'Victor Lang', timeZone: 'America/New_York' });
    const intro = await h.createIntroduction({ introducer: SAM, parties: ['lena.park@prospect.test', vic.email] });

    expect(await bookIntroduction(intro.id, h.dependencies)).toMatchObject({ outcome: 'booked' });

    const meeting = await expectBookedOnce(h, intro.id, vic.email);
    expect(meeting.attendees).toEqual(['lena.park@prospect.test']);
    expect(local(meeting.start, 'America/New_York')).toEqual({ weekday: 'Wed', time: '09:00', date: '2026-11-25' });
    expect(h.calendarEvents(vic.email)).toHaveLength(1);
  });

  it('books in the calendar of the partner addressed first when both are connected partners', async () => {
    const kim = await h.registerPartner({ email: 'kim.first@partner.test', name: 'Kim First', timeZone: 'America/Denver' });
    const lou = await h.registerPartner({ email: 'lou.second@partner.test', name: 'Lou Second', timeZone: 'America/Denver' });
    const intro = await h.createIntroduction({ introducer: SAM, parties: [kim.email, lou.email] });

    expect(await bookIntroduction(intro.id, h.dependencies)).toMatchObject({ outcome: 'booked' });

    const meeting = await expectBookedOnce(h, intro.id, kim.email);
    expect(meeting.attendees).toEqual([lou.email]);
    expect(h.calendarEvents(lou.email)).toEqual([]);
    // Lou gets Google's invitation like any attendee.
    expect(h.invitations(kim.email).map((invitation) => invitation.to)).toEqual([lou.email]);
  });

  it('prefers a connected partner to one addressed earlier who never connected', async () => {
    const pat = await h.registerPartner({ email: 'pat.unconnected@partner.test', name: 'Pat Unconnected', timeZone: 'America/Denver', connect: 'none' });
    const quinn = await h.registerPartner({ email: 'quinn.connected@partner.test', name: 'Quinn Connected', timeZone: 'America/Denver' });
    const intro = await h.createIntroduction({ introducer: SAM, parties: [pat.email, quinn.email] });

    expect(await bookIntroduction(intro.id, h.dependencies)).toMatchObject({ outcome: 'booked' });

    expect((await expectBookedOnce(h, intro.id, quinn.email)).attendees).toEqual([pat.email]);
    expect(h.mail.sent).toEqual([]);
  });

  it('waits for a partner who never connected, asks them once to connect (a working link), and books everything once they do', async () => {
    const nia = await h.registerPartner({ email: 'nia.brooks@partner.test', name: 'Nia Brooks', timeZone: 'America/Chicago', connect: 'none' });
    const intros = [
      await h.createIntroduction({ introducer: SAM, parties: [nia.email, { email: 'omar.haddad@prospect.test', name: 'Omar Haddad' }] }),
      await h.createIntroduction({ introducer: SAM, parties: ['ines.duarte@prospect.test', nia.email] }),
      await h.createIntroduction({ introducer: { email: 'tom.okoye@example.com', name: 'Tom Okoye' }, parties: [nia.email, 'raj.patel@prospect.test'] }),
    ];
    const handler = h.handler();

    for (const intro of intros) expect(await handler(streamEvent(await h.introductionInserted(intro.id)))).toEqual({ batchItemFailures: [] });
    // A redelivery changes nothing either.
    expect(await handler(streamEvent(await h.introductionInserted(intros[0]?.id ?? '')))).toEqual({ batchItemFailures: [] });
    h.countDuplicateTriggers(1);

    for (const intro of intros) {
      const stored = await h.introduction(intro.id);
      expect(stored.status).toBe('awaiting_booking');
      expect(stored.booking).toMatchObject({ calendarOwner: nia.email, waitingFor: 'calendar_connection', round: 0 });
      expect((await h.history(intro.id)).map((entry) => entry.type)).toEqual(['captured', 'booking_waiting']);
    }
    expect(h.mail.sent).toHaveLength(1);
    const [email] = h.mail.sent;
    expect(email).toMatchObject({
      purpose: 'calendar_connect',
      to: [{ email: nia.email, name: 'Nia Brooks' }],
      subject: 'Connect your calendar to book Omar Haddad',
      introductionId: intros[0]?.id,
    });
    expect(email?.text).toContain('Sam Lee introduced you to Omar Haddad.');
    const link = /Connect your calendar: (\S+)/.exec(email?.text ?? '')?.[1] ?? '';
    expect(email?.html).toContain(link.replace(/&/g, '&amp;'));
    const claims = h.verifyLink(link, 'connect_calendar');
    expect(claims).toMatchObject({ action: 'connect_calendar', subject: nia.email });
    expect(claims.expiresAt).toBe(Math.floor(START.getTime() / 1000) + CONNECT_LINK_DAYS * 86_400);
    expect(new URL(link).origin + new URL(link).pathname).toBe('https://refer.test/connect');
    // Nothing was asked of Google: there is no calendar to ask.
    expect(calendarRequests()).toEqual([]);

    // Nia connects (the web function stores the grant); the stream's MODIFY of her profile resumes every booking.
    const before = await h.item(keys.partner(nia.email));
    await h.connectCalendar(nia.email);
    const after = await h.item(keys.partner(nia.email));
    expect(await handler(streamEvent(h.partnerModified(before, after)))).toEqual({ batchItemFailures: [] });

    for (const intro of intros) await expectBookedOnce(h, intro.id, nia.email);
    const starts = h.calendarEvents(nia.email).map((event) => local(event.start?.dateTime ?? '', 'America/Chicago').time);
    // One after the other, each 15 minutes of buffer after the previous one, on the half-hour grid.
    expect(starts).toEqual(['09:00', '10:00', '11:00']);
    expect(h.mail.sent).toHaveLength(1);
  });

  it('books nothing and records why when neither introduced person is a partner', async () => {
    const intro = await h.createIntroduction({ introducer: SAM, parties: ['ann.outsider@one.test', 'ben.outsider@two.test'] });

    expect(await h.handler()(streamEvent(await h.introductionInserted(intro.id)))).toEqual({ batchItemFailures: [] });
    expect(await bookIntroduction(intro.id, h.dependencies)).toEqual({ outcome: 'no_partner' });
    h.countDuplicateTriggers(1);

    const stored = await h.introduction(intro.id);
    expect(stored.status).toBe('introduced');
    expect(stored.booking).toBeNull();
    expect(stored.meeting).toBeNull();
    const history = await h.history(intro.id);
    expect(history.map((entry) => entry.type)).toEqual(['captured', 'booking_skipped']);
    expect(history[1]?.detail).toBe('neither introduced person is a registered partner, so nothing is booked');
    expect(h.mail.sent).toEqual([]);
    expect(h.requests({ calendarOnly: true })).toEqual([]);
  });

  it('books nothing for a partner whose booking mode is off', async () => {
    const olga = await h.registerPartner({ email: 'olga.off@partner.test', name: 'Olga Off', timeZone: 'Europe/Berlin', booking: { bookingMode: 'off' } });
    const intro = await h.createIntroduction({ introducer: SAM, parties: [olga.email, 'piet.prospect@prospect.test'] });

    expect(await bookIntroduction(intro.id, h.dependencies)).toEqual({ outcome: 'booking_off' });

    const stored = await h.introduction(intro.id);
    expect(stored.status).toBe('introduced');
    expect((await h.history(intro.id)).map((entry) => `${entry.type}: ${entry.detail}`)).toEqual([
      `captured: captured from "Introduction"`,
      `booking_skipped: ${olga.email} has booking turned off`,
    ]);
    expect(h.calendarEvents(olga.email)).toEqual([]);
    expect(h.mail.sent).toEqual([]);
    expect(h.requests({ calendarOnly: true })).toEqual([]);
  });
});

describe('booking: no free slot', () => {
  it('waits for a free slot and tells the partner once when the calendar is full for the whole horizon', async () => {
    const fay = await h.registerPartner({ email: 'fay.full@partner.test', name: 'Fay Full', timeZone: 'America/Chicago', booking: { horizonBusinessDays: 5 } });
    h.google.control.addBusyBlock(fay.email, { start: '2026-11-24T00:00:00Z', end: '2027-01-10T00:00:00Z', label: 'conference season' });
    const intro = await h.createIntroduction({ introducer: SAM, parties: [fay.email, { email: 'gus.grant@prospect.test', name: 'Gus Grant' }] });

    expect(await bookIntroduction(intro.id, h.dependencies)).toEqual({ outcome: 'no_free_slot' });
    // The same trigger again (a retry): same state, no second email.
    expect(await bookIntroduction(intro.id, h.dependencies)).toEqual({ outcome: 'no_free_slot' });
    h.countDuplicateTriggers(1);

    const stored = await h.introduction(intro.id);
    expect(stored.status).toBe('awaiting_booking');
    expect(stored.booking).toMatchObject({ calendarOwner: fay.email, prospect: 'gus.grant@prospect.test', waitingFor: 'free_slot' });
    expect(stored.meeting).toBeNull();
    expect(h.calendarEvents(fay.email)).toEqual([]);
    expect(h.mail.sent).toHaveLength(1);
    expect(h.mail.sent[0]).toMatchObject({ purpose: 'booking_no_slot', to: [{ email: fay.email, name: 'Fay Full' }], subject: 'No free time found for Gus Grant' });
    expect(h.mail.sent[0]?.text).toContain('in the next 5 business days');
    const history = await h.history(intro.id);
    expect(history.filter((entry) => entry.type === 'booking_waiting').map((entry) => entry.detail)).toContain('no free time in the next 5 business days');
  });
});
