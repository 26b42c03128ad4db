import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bookIntroduction } from '../../functions/domain/booking/book-introduction.ts';
import { formatSlot } from '../../functions/domain/booking/booking-emails.ts';
import { checkUpcomingMeetings } from '../../functions/domain/booking/check-meetings.ts';
import type { StoredBookingPreferences } from '../../functions/domain/partners/partner.ts';
import { createWebHarness, fetchPage, formToken, headingOf, INTRODUCER, OWNER, postForm, PROSPECT, textOf, type WebHarness } from '../support/web-harness.ts';

let h: WebHarness;
beforeEach(async () => {
  h = await createWebHarness();
});
afterEach(() => h.stop());

/** A booked meeting the prospect declined in Google Calendar, noticed by the regular check: the email's "Find another time" link. */
async function declinedMeeting(preferencesAfter?: StoredBookingPreferences): Promise<{ introductionId: string; rebookLink: string }> {
  await h.registerPartner({ ...OWNER, timeZone: 'Europe/London' });
  const introduction = await h.booking.createIntroduction({ introducer: INTRODUCER, parties: [OWNER, PROSPECT] });
  expect((await bookIntroduction(introduction.id, h.dependencies)).outcome).toBe('booked');
  const eventId = (await h.booking.introduction(introduction.id)).meeting?.eventId ?? '';
  h.booking.google.control.setAttendeeResponse(OWNER.email, eventId, PROSPECT.email, 'declined');
  expect((await checkUpcomingMeetings(h.dependencies)).declined).toBe(1);
  if (preferencesAfter) await h.booking.partners.setBookingPreferences(OWNER.email, preferencesAfter);
  const email = h.booking.mail.emails({ purpose: 'meeting_declined', to: OWNER.email })[0];
  const rebookLink = email?.text.match(/http:\/\/127\.0\.0\.1:\d+\/rebook\?token=[\w.-]+/)?.[0];
  if (!rebookLink) throw new Error(`no rebook link in:\n${email?.text ?? '(no email)'}`);
  return { introductionId: introduction.id, rebookLink };
}

describe('find another time: GET /rebook confirms, POST /rebook books', () => {
  it('GET asks and changes nothing; POST books a new time once', async () => {
    const { introductionId, rebookLink } = await declinedMeeting();
    const before = await h.booking.introduction(introductionId);
    expect(before.booking?.waitingFor).toBe('declined');

    const page = await fetchPage(rebookLink);
    expect(page.status).toBe(200);
    expect(headingOf(page.text)).toBe('Find another time with Lena Park?');
    expect(textOf(page.text)).toContain('Lena Park declined the meeting.');
    expect(textOf(page.text)).toContain("I'll book the next free time in your calendar and send Lena a new invitation.");
    expect(page.text).toMatch(/<form method="post" action="rebook">[\s\S]*<button type="submit">Find another time<\/button>/);
    expect(await h.booking.introduction(introductionId)).toEqual(before);
    // The declined event was removed when the decline was noticed; the GET added nothing.
    expect(h.booking.calendarEvents(OWNER.email)).toHaveLength(0);

    const booked = await postForm(h.url('/rebook'), { token: formToken(page.text) });
    expect(booked.status).toBe(200);
    expect(headingOf(booked.text)).toBe('Booked — the invitation is on its way');
    const after = await h.booking.introduction(introductionId);
    expect(after.status).toBe('meeting_booked');
    expect(after.booking?.round).toBe(1);
    const meeting = after.meeting;
    if (!meeting) throw new Error('no meeting');
    expect(textOf(booked.text)).toContain(formatSlot({ start: new Date(meeting.start), end: new Date(meeting.end) }, 'Europe/London'));
    expect(textOf(booked.text)).toContain('Lena Park gets the invitation from your Google Calendar.');
    expect(h.booking.calendarEvents(OWNER.email)).toHaveLength(1);

    const again = await postForm(h.url('/rebook'), { token: formToken(page.text) });
    expect(headingOf(again.text)).toBe('This meeting is already booked');
    expect(h.booking.calendarEvents(OWNER.email)).toHaveLength(1);
    expect(headingOf((await fetchPage(rebookLink)).text)).toBe('This meeting is already booked');
  });

  it('in propose mode (switched after the decline): new times go to the prospect, and the page lists them', async () => {
    const { introductionId, rebookLink } = await declinedMeeting({ bookingMode: 'propose' });
    const page = await fetchPage(rebookLink);
    expect(textOf(page.text)).toContain("I'll offer Lena new times from your calendar to choose from.");
    const proposed = await postForm(h.url('/rebook'), { token: formToken(page.text) });
    expect(proposed.status).toBe(200);
    expect(headingOf(proposed.text)).toBe('New times are on their way to Lena Park');
    const introduction = await h.booking.introduction(introductionId);
    expect(introduction.booking?.waitingFor).toBe('prospect_choice');
    const listed = [...proposed.text.matchAll(/<time datetime="([^"]+)">/g)].map((match) => match[1]);
    expect(listed).toEqual(introduction.booking?.proposedSlots.map((slot) => slot.start));
    expect(h.booking.mail.emails({ purpose: 'booking_proposal', to: PROSPECT.email })).toHaveLength(1);
  });

  it('the owner must reconnect first: the page carries a working connect link', async () => {
    const { introductionId, rebookLink } = await declinedMeeting();
    h.booking.google.control.revokeUser(OWNER.email);
    const page = await postForm(h.url('/rebook'), { token: formToken((await fetchPage(rebookLink)).text) });
    expect(page.status).toBe(409);
    expect(headingOf(page.text)).toBe('Reconnect your calendar first');
    const connect = /<a class="button" href="([^"]+)">Reconnect your calendar<\/a>/.exec(page.text)?.[1]?.replace(/&amp;/g, '&') ?? '';
    expect(connect.startsWith(h.url('/connect?token='))).toBe(true);
    expect((await fetchPage(connect)).status).toBe(302);
    expect((await h.booking.introduction(introductionId)).status).toBe('awaiting_booking');
  });

  it('tampered, wrong-action and expired rebook tokens are refused', async () => {
    const { introductionId, rebookLink } = await declinedMeeting();
    const token = new URL(rebookLink).searchParams.get('token') ?? '';
    const slotToken = new URL(h.dependencies.links.bookSlot(introductionId, { start: new Date('2026-12-01T10:00:00Z'), end: new Date('2026-12-01T10:30:00Z') })).searchParams.get('token') ?? '';
    for (const bad of [`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, slotToken]) {
      expect((await fetchPage(h.url(`/rebook?token=${bad}`))).status).toBe(400);
      expect((await postForm(h.url('/rebook'), { token: bad })).status).toBe(400);
    }
    h.booking.clock.advance(15 * 86_400_000);
    const expired = await fetchPage(rebookLink);
    expect(expired.status).toBe(410);
    expect(textOf(expired.text)).toContain('"Find another time" links work for 14 days.');
    expect((await postForm(h.url('/rebook'), { token })).status).toBe(410);
    expect((await h.booking.introduction(introductionId)).booking?.waitingFor).toBe('declined');
  });
});
