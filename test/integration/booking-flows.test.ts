import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../functions/adapters/dynamodb/keys.ts';
import { CONNECT_LINK_DAYS, REBOOK_LINK_DAYS } from '../../functions/adapters/links/booking-link-builder.ts';
import { bookIntroduction, bookProposedSlot, rebookIntroduction, type BookingResult } from '../../functions/domain/booking/book-introduction.ts';
import { checkUpcomingMeetings } from '../../functions/domain/booking/check-meetings.ts';
import { meetingEventId } from '../../functions/domain/booking/google-ids.ts';
import type { Meeting } from '../../functions/domain/introductions/introduction.ts';
import type { OutboundEmail } from '../../functions/domain/outbound/outbound-email.ts';
import type { Partner } from '../../functions/domain/partners/partner.ts';
import { createBookingHarness, expectBookedOnce, printBookingFigures, START, streamEvent, type BookingHarness } from '../support/booking-harness.ts';

/**
 * What booking does for its users, end to end over DynamoDB Local and the loopback Google (real
 * Google client): an introduction becomes one event in the right partner's calendar at the first
 * free slot, with the prospect invited by Google and a Meet link; when nothing can be booked, the
 * introduction waits for the right thing and the partner gets at most one email. Afterwards the
 * regular check notices in Google Calendar what people did to the meeting (declined, moved,
 * cancelled), records it once and tells the partner once; "find another time" books a new event.
 * In propose mode the prospect picks one of three times.
 *
 * One harness (table and loopback server) serves the file; each test has its own partners.
 */

const SAM = { email: 'sam.lee@example.com', name: 'Sam Lee' };
const CONTEXT = 'Bob runs three bakeries in Austin and is looking for a better insurance deal.\nYou two should talk before the holidays.';
const CHICAGO = 'America/Chicago';

let h: BookingHarness;
let count = 0;

beforeAll(async () => {
  h = await createBookingHarness();
});
beforeEach(() => h.resetBetweenTests());
afterEach(() => h.expectLogsFreeOfPersonalData());
afterAll(async () => {
  await h.stop();
  printBookingFigures('booking-flows.test.ts');
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

async function partner(name: string, booking?: Partner['booking']): Promise<Partner> {
  count += 1;
  const [first = 'x', last = 'y'] = name.toLowerCase().split(' ');
  return h.registerPartner({ email: `${first}.${last}.${count}@partner.test`, name, timeZone: CHICAGO, ...(booking ? { booking } : {}) });
}

/** A booked meeting between a new partner and Bob Roe. */
async function bookedMeeting(partnerName: string): Promise<{ owner: Partner; id: string; meeting: Meeting }> {
  const owner = await partner(partnerName);
  const { id } = await h.createIntroduction({ introducer: SAM, parties: [owner.email, { email: `bob.roe.${count}@prospect.test`, name: 'Bob Roe' }] });
  const result = await bookIntroduction(id, h.dependencies);
  if (result.outcome !== 'booked') throw new Error(`not booked: ${result.outcome}`);
  return { owner, id, meeting: result.meeting };
}

function linkIn(email: OutboundEmail | undefined, label: string): string {
  const url = new RegExp(`${label}: (\\S+)`).exec(email?.text ?? '')?.[1];
  if (!url) throw new Error(`no "${label}" link in ${email?.text ?? 'no email'}`);
  return url;
}

/** Local "Wed 09:00" of an instant. */
function localSlot(iso: string, timeZone = CHICAGO): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(iso)).replace(',', '');
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
    expect(captured).toMatchObject({ outcome: 'captured', repeatDelivery: false });
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

describe('booking: meetings checked against the calendar', () => {
  it('notices a decline once, tells the partner with a working rebook link, and books a new event when asked', async () => {
    const { owner, id, meeting } = await bookedMeeting('Dana Decline');
    const prospect = meeting.attendees[0] ?? '';
    h.clock.advance(2 * 3_600_000);
    h.google.control.setAttendeeResponse(owner.email, meeting.eventId, prospect, 'declined', 'Sorry, that week is impossible.');

    expect(await checkUpcomingMeetings(h.dependencies)).toMatchObject({ declined: 1, moved: 0, cancelled: 0, skipped: 0 });

    const stored = await h.introduction(id);
    expect(stored.status).toBe('awaiting_booking');
    expect(stored.meeting).toBeNull();
    expect(stored.booking).toEqual({ calendarOwner: owner.email, prospect, round: 1, waitingFor: 'declined', proposedSlots: [] });
    const history = await h.history(id);
    expect(history.map((entry) => entry.type)).toEqual(['captured', 'booking_waiting', 'meeting_booked', 'meeting_declined']);
    expect(history[3]).toMatchObject({ by: prospect, detail: `${prospect} declined: Wed 25 Nov, 09:00–09:30` });
    expect(h.mail.sent).toHaveLength(1);
    const [email] = h.mail.sent;
    expect(email).toMatchObject({ purpose: 'meeting_declined', to: [{ email: owner.email, name: 'Dana Decline' }], subject: 'Declined: your meeting with Bob Roe', introductionId: id });
    expect(email?.text).toContain('Bob Roe declined the meeting on Wed 25 Nov, 09:00–09:30. The introduction is waiting for a new time.');
    const rebook = linkIn(email, 'Find another time');
    const claims = h.verifyLink(rebook, 'rebook');
    expect(claims).toMatchObject({ action: 'rebook', subject: id });
    expect(claims.expiresAt).toBe(Math.floor(START.getTime() / 1000) + 2 * 3_600 + REBOOK_LINK_DAYS * 86_400);

    // The next checks change nothing and send nothing; a stray trigger (a redelivered record) does not rebook on its own.
    expect(await checkUpcomingMeetings(h.dependencies)).toMatchObject({ declined: 0, moved: 0, cancelled: 0 });
    expect(await h.handler()(streamEvent(await h.introductionInserted(id)))).toEqual({ batchItemFailures: [] });
    h.countDuplicateTriggers(1);
    expect(h.mail.sent).toHaveLength(1);
    // The declined event is removed, so it no longer blocks that time in the partner's calendar.
    expect(h.calendarEvents(owner.email)).toHaveLength(0);
    expect(h.calendarEvents(owner.email, { showDeleted: true }).map((event) => [event.id, event.status])).toEqual([[meeting.eventId, 'cancelled']]);
    expect((await h.history(id)).filter((entry) => entry.type === 'meeting_declined')).toHaveLength(1);

    // The partner clicks "Find another time" (the web function calls rebookIntroduction with the link's subject).
    const rebooked = await rebookIntroduction(claims.subject, h.dependencies);
    expect(rebooked).toMatchObject({ outcome: 'booked' });
    const second = await expectBookedOnce(h, id, owner.email, 1);
    expect(second.eventId).toBe(meetingEventId(id, 1));
    expect(second.eventId).not.toBe(meeting.eventId);
    expect(h.invitations(owner.email, { eventId: second.eventId }).map((invitation) => invitation.to)).toEqual([prospect]);
    // A second click is harmless.
    expect(await rebookIntroduction(id, h.dependencies)).toMatchObject({ outcome: 'already_booked', meeting: { eventId: second.eventId } });
    h.countDuplicateTriggers(1);
    expect(h.calendarEvents(owner.email).map((event) => event.id)).toEqual([second.eventId]);
    expect(h.mail.sent).toHaveLength(1);
  });

  it('notices a revoked grant during the check: marks the calendar disconnected and asks once to reconnect', async () => {
    const { owner, id } = await bookedMeeting('Rita Revoked');
    h.google.control.revokeUser(owner.email);

    expect(await checkUpcomingMeetings(h.dependencies)).toMatchObject({ skipped: 1, declined: 0, moved: 0, cancelled: 0 });
    expect((await h.partner(owner.email)).calendar?.status).toBe('disconnected');
    expect(h.mail.sent.map((email) => email.purpose)).toEqual(['calendar_reconnect']);
    expect(h.mail.sent[0]?.to.map((contact) => contact.email)).toEqual([owner.email]);
    // The booked meeting is left as it is; the next check sends nothing more.
    expect((await h.introduction(id)).status).toBe('meeting_booked');
    await checkUpcomingMeetings(h.dependencies);
    expect(h.mail.sent).toHaveLength(1);
    // Rita reconnects (one generation on): her meeting is checked again, and the later tests count it as readable.
    await h.connectCalendar(owner.email);
    expect(await checkUpcomingMeetings(h.dependencies)).toMatchObject({ skipped: 0 });
  });

  it('follows a meeting moved in Google Calendar: new times recorded, one "Moved" email per move', async () => {
    const { owner, id, meeting } = await bookedMeeting('Mo Mover');
    // The partner drags the meeting to Friday 14:00 in Chicago.
    h.google.control.moveEvent(owner.email, meeting.eventId, { start: '2026-11-27T20:00:00.000Z', end: '2026-11-27T20:30:00.000Z', notifyAttendees: true });

    expect(await checkUpcomingMeetings(h.dependencies)).toMatchObject({ moved: 1, declined: 0, cancelled: 0 });

    const stored = await h.introduction(id);
    expect(stored.status).toBe('meeting_booked');
    expect(stored.meeting).toEqual({ ...meeting, start: '2026-11-27T20:00:00.000Z', end: '2026-11-27T20:30:00.000Z' });
    const moved = (await h.history(id)).filter((entry) => entry.type === 'meeting_moved');
    expect(moved.map((entry) => entry.detail)).toEqual(['moved from Wed 25 Nov, 09:00–09:30 to Fri 27 Nov, 14:00–14:30']);
    expect(h.mail.sent.map((email) => [email.purpose, email.subject])).toEqual([['meeting_moved', 'Moved: your meeting with Bob Roe']]);
    expect(h.mail.sent[0]?.text).toContain('The meeting with Bob Roe moved from Wed 25 Nov, 09:00–09:30 to Fri 27 Nov, 14:00–14:30. Nothing to do');
    expect(h.mail.sent[0]?.text).not.toContain('Find another time');

    expect(await checkUpcomingMeetings(h.dependencies)).toMatchObject({ moved: 0 });
    expect(h.mail.sent).toHaveLength(1);

    // Moved again, to Monday: one more email.
    h.google.control.moveEvent(owner.email, meeting.eventId, { start: '2026-11-30T16:00:00.000Z', end: '2026-11-30T16:30:00.000Z' });
    expect(await checkUpcomingMeetings(h.dependencies)).toMatchObject({ moved: 1 });
    expect(await checkUpcomingMeetings(h.dependencies)).toMatchObject({ moved: 0 });
    expect((await h.introduction(id)).meeting).toMatchObject({ start: '2026-11-30T16:00:00.000Z', eventId: meeting.eventId });
    expect(h.mail.emails({ purpose: 'meeting_moved', introductionId: id })).toHaveLength(2);
    expect(h.calendarEvents(owner.email)).toHaveLength(1);
  });

  it('notices a meeting cancelled in Google Calendar once and offers to find another time', async () => {
    const { owner, id, meeting } = await bookedMeeting('Cal Canceller');
    h.google.control.cancelEvent(owner.email, meeting.eventId, { notifyAttendees: true });

    expect(await checkUpcomingMeetings(h.dependencies)).toMatchObject({ cancelled: 1, declined: 0, moved: 0 });
    expect(await checkUpcomingMeetings(h.dependencies)).toMatchObject({ cancelled: 0 });

    const stored = await h.introduction(id);
    expect(stored.status).toBe('awaiting_booking');
    expect(stored.meeting).toBeNull();
    expect(stored.booking).toMatchObject({ waitingFor: 'cancelled', round: 1 });
    expect((await h.history(id)).filter((entry) => entry.type === 'meeting_cancelled').map((entry) => entry.detail)).toEqual(['cancelled in the calendar: Wed 25 Nov, 09:00–09:30']);
    expect(h.mail.sent.map((email) => [email.purpose, email.subject])).toEqual([['meeting_cancelled', 'Cancelled: your meeting with Bob Roe']]);
    expect(h.verifyLink(linkIn(h.mail.sent[0], 'Find another time'), 'rebook').subject).toBe(id);
    expect(h.calendarEvents(owner.email)).toEqual([]);
    expect(h.calendarEvents(owner.email, { showDeleted: true }).map((event) => event.status)).toEqual(['cancelled']);
  });

  it('skips a meeting whose calendar keeps failing and still checks the others (the hourly schedule, through the handler)', async () => {
    const failing = await bookedMeeting('Uri Unreachable');
    const declined = await bookedMeeting('Dee Declined');
    h.google.control.setAttendeeResponse(declined.owner.email, declined.meeting.eventId, declined.meeting.attendees[0] ?? '', 'declined');
    // Google answers 500 to every attempt at reading the first partner's meeting.
    h.injectFault({ fault: 'backendError', match: { operation: 'calendar.events.get', path: `/calendar/v3/calendars/primary/events/${failing.meeting.eventId}` }, times: 4 });

    expect(await h.handler()({ action: 'check-meetings' })).toEqual({ done: 'check-meetings' });

    const summary = h.logs.find((log) => log.args[0] === 'meetings checked')?.args[1];
    expect(summary).toMatchObject({ skipped: 1, declined: 1, moved: 0, cancelled: 0 });
    expect((await h.introduction(failing.id)).status).toBe('meeting_booked');
    expect((await h.introduction(declined.id)).booking).toMatchObject({ waitingFor: 'declined', round: 1 });
    expect(h.mail.sent.map((email) => [email.purpose, email.to[0]?.email])).toEqual([['meeting_declined', declined.owner.email]]);
    expect(h.google.control.pendingFaults()).toEqual([]);
  });
});

describe('booking: propose mode', () => {
  it('offers three times on three days by email (Reply-To the partner) and books the one the prospect picks', async () => {
    const victor = await partner('Victor Lang', { bookingMode: 'propose' });
    const lena = { email: 'lena.park@prospect.test', name: 'Lena Park' };
    const { id } = await h.createIntroduction({ introducer: SAM, parties: [lena, victor.email], subject: 'Victor, meet Lena' });

    const result = await bookIntroduction(id, h.dependencies);

    expect(result.outcome).toBe('proposed');
    const slots = (result as Extract<BookingResult, { outcome: 'proposed' }>).slots;
    expect(slots.map((slot) => localSlot(slot.start.toISOString()))).toEqual(['Wed 09:00', 'Thu 09:00', 'Fri 09:00']);
    expect(slots.every((slot) => slot.end.getTime() - slot.start.getTime() === 30 * 60_000)).toBe(true);
    const stored = await h.introduction(id);
    expect(stored.status).toBe('awaiting_booking');
    expect(stored.booking).toEqual({
      calendarOwner: victor.email,
      prospect: lena.email,
      round: 0,
      waitingFor: 'prospect_choice',
      proposedSlots: slots.map((slot) => ({ start: slot.start.toISOString(), end: slot.end.toISOString() })),
    });
    expect((await h.history(id)).map((entry) => entry.type)).toEqual(['captured', 'booking_waiting', 'slots_proposed']);
    expect(h.calendarEvents(victor.email)).toEqual([]);

    // One email, to Lena, replies to Victor, three signed links: one per time.
    expect(h.mail.sent).toHaveLength(1);
    const [email] = h.mail.sent;
    expect(email).toMatchObject({
      purpose: 'booking_proposal',
      to: [lena],
      replyTo: [{ email: victor.email, name: 'Victor Lang' }],
      subject: 'Victor Lang would like to meet: pick a time',
    });
    const urls = [...(email?.text ?? '').matchAll(/: (https:\/\/refer\.test\/slot\?token=\S+)/g)].map((match) => match[1] ?? '');
    expect(urls).toHaveLength(3);
    const chosen = urls.map((url) => h.verifyLink(url, 'book_slot'));
    chosen.forEach((claims, index) => {
      const slot = slots[index];
      expect(claims).toMatchObject({ subject: id, data: { start: slot?.start.toISOString(), end: slot?.end.toISOString() } });
      expect(claims.expiresAt).toBe(Math.floor((slot?.start.getTime() ?? 0) / 1000));
      expect(email?.html).toContain(urls[index]?.replace(/&/g, '&amp;'));
    });

    // Lena picks Thursday (the web function passes the link's slot to bookProposedSlot).
    const pick = (index: number) => ({ start: new Date(chosen[index]?.data?.start ?? ''), end: new Date(chosen[index]?.data?.end ?? '') });
    h.clock.advance(3_600_000);
    expect(await bookProposedSlot(id, pick(1), h.dependencies)).toMatchObject({ outcome: 'booked' });

    const meeting = await expectBookedOnce(h, id, victor.email);
    expect(meeting).toMatchObject({ start: slots[1]?.start.toISOString(), end: slots[1]?.end.toISOString(), attendees: [lena.email] });
    expect((await h.introduction(id)).booking).toMatchObject({ waitingFor: null, proposedSlots: [] });
    expect(h.calendarEvents(victor.email)).toHaveLength(1);

    // Choosing again (another link, or the same one twice) books nothing more.
    expect(await bookProposedSlot(id, pick(2), h.dependencies)).toMatchObject({ outcome: 'already_booked', meeting: { eventId: meeting.eventId } });
    expect(await bookProposedSlot(id, pick(1), h.dependencies)).toMatchObject({ outcome: 'already_booked' });
    h.countDuplicateTriggers(2);
    expect(h.calendarEvents(victor.email)).toHaveLength(1);
    expect(h.invitations(victor.email)).toHaveLength(1);
    expect(h.mail.sent).toHaveLength(1);
  });

  it('offers other times when the chosen one was taken meanwhile, and books one of those', async () => {
    const tia = await partner('Tia Taken', { bookingMode: 'propose' });
    const { id } = await h.createIntroduction({ introducer: SAM, parties: [tia.email, 'uma.ueda@prospect.test'] });
    const proposed = await bookIntroduction(id, h.dependencies);
    const [first] = (proposed as Extract<BookingResult, { outcome: 'proposed' }>).slots;
    if (!first) throw new Error('no slot proposed');
    // Before the prospect answers, Tia puts something else in that time.
    h.google.control.addBusyBlock(tia.email, { start: first.start.toISOString(), end: new Date(first.start.getTime() + 3_600_000).toISOString(), label: 'board call' });

    const taken = await bookProposedSlot(id, first, h.dependencies);

    expect(taken.outcome).toBe('slot_taken');
    const alternatives = (taken as Extract<BookingResult, { outcome: 'slot_taken' }>).alternatives;
    expect(alternatives.map((slot) => localSlot(slot.start.toISOString()))).toEqual(['Wed 10:30', 'Thu 09:00', 'Fri 09:00']);
    expect(h.calendarEvents(tia.email)).toEqual([]);
    expect((await h.introduction(id)).booking).toMatchObject({ waitingFor: 'prospect_choice' });

    const [alternative] = alternatives;
    expect(await bookProposedSlot(id, alternative ?? first, h.dependencies)).toMatchObject({ outcome: 'booked', meeting: { start: alternative?.start.toISOString() } });
    await expectBookedOnce(h, id, tia.email);
    expect(h.calendarEvents(tia.email)).toHaveLength(1);
    expect(h.mail.sent.map((email) => email.purpose)).toEqual(['booking_proposal']);
  });
});
