import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REBOOK_LINK_DAYS } from '../../functions/adapters/links/booking-link-builder.ts';
import { bookIntroduction, bookProposedSlot, rebookIntroduction, type BookingResult } from '../../functions/domain/booking/book-introduction.ts';
import { checkUpcomingMeetings } from '../../functions/domain/booking/check-meetings.ts';
import { meetingEventId } from '../../functions/domain/booking/google-ids.ts';
import type { Meeting } from '../../functions/domain/introductions/introduction.ts';
import type { OutboundEmail } from '../../functions/domain/outbound/outbound-email.ts';
import type { Partner } from '../../functions/domain/partners/partner.ts';
import { createBookingHarness, expectBookedOnce, printBookingFigures, START, streamEvent, type BookingHarness } from '../support/booking-harness.ts';

/**
 * After the booking: the regular check notices in Google Calendar what people did to the meeting
 * (declined, moved, cancelled), records it once and tells the partner once; "find another time"
 * books a new event. Propose mode: the prospect gets three times to choose from and the chosen
 * one is booked, unless it was taken meanwhile.
 */

const SAM = { email: 'sam.lee@example.com', name: 'Sam Lee' };
const CHICAGO = 'America/Chicago';
let h: BookingHarness;
let count = 0;

beforeAll(async () => {
  h = await createBookingHarness();
});
beforeEach(() => h.resetBetweenTests());
afterAll(async () => {
  await h.stop();
  printBookingFigures('booking-calendar-changes.test.ts');
});

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
    expect(h.calendarEvents(owner.email)).toHaveLength(1);
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
    expect(h.calendarEvents(owner.email).map((event) => event.id).sort()).toEqual([meeting.eventId, second.eventId].sort());
    expect(h.mail.sent).toHaveLength(1);
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
