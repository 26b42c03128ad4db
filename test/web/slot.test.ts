import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../functions/adapters/dynamodb/keys.ts';
import { bookIntroduction } from '../../functions/domain/booking/book-introduction.ts';
import { formatSlot } from '../../functions/domain/booking/booking-emails.ts';
import { signToken } from '../../functions/domain/links/signed-token.ts';
import { meetingEventId } from '../../functions/domain/booking/google-ids.ts';
import {
  createWebHarness,
  fetchPage,
  formToken,
  headingOf,
  INTRODUCER,
  OWNER,
  postForm,
  PROSPECT,
  textOf,
  type WebHarness,
} from '../support/web-harness.ts';

let h: WebHarness;
beforeEach(async () => {
  h = await createWebHarness();
});
afterEach(() => h.stop());

const tokenOf = (link: string): string => new URL(link).searchParams.get('token') ?? '';
const slotOf = (link: string) => {
  const claims = h.booking.verifyLink(link, 'book_slot');
  return { start: new Date(claims.data?.start ?? ''), end: new Date(claims.data?.end ?? '') };
};

describe('a proposed time: GET /slot shows it, POST /slot books it', () => {
  it('GET shows the time in the owner’s zone, who it is with and a Confirm form, and changes nothing', async () => {
    const { introduction, links } = await h.proposal();
    const link = links[1] ?? '';
    const slot = slotOf(link);

    const page = await fetchPage(link);
    expect(page.status).toBe(200);
    expect(headingOf(page.text)).toBe('Confirm your meeting with Victor Ng');
    const text = textOf(page.text);
    expect(text).toContain('Sam Lee introduced you to Victor Ng. Victor offered this time for a 30-minute video call:');
    expect(text).toContain(`${formatSlot(slot, 'America/Chicago')} (America/Chicago time)`);
    expect(page.text).toContain(`<time datetime="${slot.start.toISOString()}">`);
    expect(page.text).toContain(`data-start="${slot.start.toISOString()}" data-end="${slot.end.toISOString()}" data-zone="America/Chicago"`);
    expect(page.text).toMatch(/<form method="post" action="slot">\s*<input type="hidden" name="token" value="[^"]+">\s*<button type="submit">Confirm<\/button>/);
    expect(formToken(page.text)).toBe(tokenOf(link));

    // A mail scanner fetching every link (and HEAD too) books nothing.
    for (const each of links) expect((await fetchPage(each)).status).toBe(200);
    expect((await fetchPage(link, { method: 'HEAD' })).status).toBe(200);
    expect(await h.booking.introduction(introduction.id)).toEqual(introduction);
    expect(h.booking.calendarEvents(OWNER.email)).toEqual([]);
    expect(h.booking.invitations(OWNER.email)).toEqual([]);
  });

  it('POST books that time once: a second POST says already booked, and there is one event', async () => {
    const { introduction, links } = await h.proposal();
    const link = links[0] ?? '';
    const slot = slotOf(link);

    const booked = await postForm(h.url('/slot'), { token: tokenOf(link) });
    expect(booked.status).toBe(200);
    expect(headingOf(booked.text)).toBe('Booked — the invitation is on its way');
    expect(textOf(booked.text)).toContain(formatSlot(slot, 'America/Chicago'));
    expect(textOf(booked.text)).toContain("It comes from Victor's Google Calendar and has the video link in it.");

    const stored = await h.booking.introduction(introduction.id);
    expect(stored.status).toBe('meeting_booked');
    expect(stored.meeting).toMatchObject({ start: slot.start.toISOString(), end: slot.end.toISOString(), calendarOwner: OWNER.email, attendees: [PROSPECT.email] });
    const events = h.booking.calendarEvents(OWNER.email);
    expect(events).toHaveLength(1);
    expect(events[0]?.id).toBe(meetingEventId(introduction.id, 0));
    expect(h.booking.invitations(OWNER.email, { to: PROSPECT.email })).toHaveLength(1);

    const again = await postForm(h.url('/slot'), { token: tokenOf(link) });
    expect(again.status).toBe(200);
    expect(headingOf(again.text)).toBe('This meeting is already booked');
    // Another of the offered times, chosen after the booking, books nothing either.
    const other = await postForm(h.url('/slot'), { token: tokenOf(links[2] ?? '') });
    expect(headingOf(other.text)).toBe('This meeting is already booked');
    expect(textOf(other.text)).toContain(formatSlot(slot, 'America/Chicago'));
    expect(h.booking.calendarEvents(OWNER.email)).toHaveLength(1);
    expect(h.booking.invitations(OWNER.email, { to: PROSPECT.email })).toHaveLength(1);

    // The page of any of the links now says when it is booked.
    const later = await fetchPage(links[1] ?? '');
    expect(headingOf(later.text)).toBe('This meeting is already booked');
    expect(textOf(later.text)).toContain(formatSlot(slot, 'America/Chicago'));
    expect(later.text).not.toContain('<form');
  });

  it('a time taken meanwhile: nothing is booked and the next free times come back as new signed links', async () => {
    const { introduction, links } = await h.proposal();
    const link = links[0] ?? '';
    const slot = slotOf(link);
    h.booking.google.control.addBusyBlock(OWNER.email, { start: slot.start.toISOString(), end: slot.end.toISOString(), label: 'dentist' });

    const taken = await postForm(h.url('/slot'), { token: tokenOf(link) });
    expect(taken.status).toBe(409);
    expect(headingOf(taken.text)).toBe('That time was just taken');
    expect(h.booking.calendarEvents(OWNER.email)).toEqual([]);
    expect((await h.booking.introduction(introduction.id)).status).toBe('awaiting_booking');

    const alternatives = [...taken.text.matchAll(/<a href="([^"]+)"><time datetime="([^"]+)">/g)].map((match) => ({ url: (match[1] ?? '').replace(/&amp;/g, '&'), start: match[2] }));
    expect(alternatives).toHaveLength(3);
    for (const alternative of alternatives) {
      expect(alternative.url.startsWith(h.url('/slot?token='))).toBe(true);
      const offered = slotOf(alternative.url);
      expect(offered.start.toISOString()).toBe(alternative.start);
      expect(offered.start.getTime() === slot.start.getTime()).toBe(false);
    }
    // One of them books.
    const chosen = alternatives[0]?.url ?? '';
    const confirm = await fetchPage(chosen);
    expect(headingOf(confirm.text)).toBe('Confirm your meeting with Victor Ng');
    const booked = await postForm(h.url('/slot'), { token: formToken(confirm.text) });
    expect(headingOf(booked.text)).toBe('Booked — the invitation is on its way');
    expect((await h.booking.introduction(introduction.id)).meeting?.start).toBe(alternatives[0]?.start);
  });

  it('tampered, wrong-action, missing and repeated tokens: 400 "This link isn\'t valid"; expired: 410 with what to do', async () => {
    const { introduction, links } = await h.proposal();
    const link = links[0] ?? '';
    const token = tokenOf(link);
    const [payload, mac] = token.split('.') as [string, string];
    const flipped = `${payload}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
    // The payload changed to another time, signature kept.
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { data: { start: string; end: string } };
    const moved = `${Buffer.from(JSON.stringify({ ...claims, data: { ...claims.data, start: '2026-11-27T15:00:00.000Z' } })).toString('base64url')}.${mac}`;
    const rebookToken = tokenOf(h.dependencies.links.rebook(introduction.id));
    const noSlot = signToken({ action: 'book_slot', subject: introduction.id, expiresAt: 4_102_444_800, data: { start: 'soon' } }, h.booking.linkKey);

    for (const bad of [flipped, moved, rebookToken, noSlot, 'not-a-token', `${token}.x`]) {
      const shown = await fetchPage(h.url(`/slot?token=${encodeURIComponent(bad)}`));
      expect(shown.status).toBe(400);
      expect(headingOf(shown.text)).toBe("This link isn't valid");
      const posted = await postForm(h.url('/slot'), { token: bad });
      expect(posted.status).toBe(400);
      expect(headingOf(posted.text)).toBe("This link isn't valid");
    }
    expect((await fetchPage(h.url('/slot'))).status).toBe(400);
    expect((await fetchPage(`${link}&token=${token}`)).status).toBe(400);
    expect((await postForm(h.url('/slot'), {})).status).toBe(400);

    // A time that has started can no longer be chosen.
    h.booking.clock.set(slotOf(link).start);
    const expired = await fetchPage(link);
    expect(expired.status).toBe(410);
    expect(headingOf(expired.text)).toBe('This link has expired');
    expect(textOf(expired.text)).toContain('Reply to the email with the times');
    expect((await postForm(h.url('/slot'), { token })).status).toBe(410);

    expect(h.booking.calendarEvents(OWNER.email)).toEqual([]);
    expect((await h.booking.introduction(introduction.id)).status).toBe('awaiting_booking');
  });

  it("the owner's grant was revoked: nothing is booked, the page says so, and the owner is asked to reconnect", async () => {
    const { introduction, links } = await h.proposal();
    h.booking.google.control.revokeUser(OWNER.email);
    const page = await postForm(h.url('/slot'), { token: tokenOf(links[0] ?? '') });
    expect(page.status).toBe(409);
    expect(headingOf(page.text)).toBe('Nothing was booked yet');
    expect(textOf(page.text)).toContain("Victor Ng's calendar can't be reached right now, so nothing was booked. Victor has been asked to reconnect it.");
    expect(h.booking.mail.emails({ purpose: 'calendar_reconnect', to: OWNER.email })).toHaveLength(1);
    expect((await h.booking.partner(OWNER.email)).calendar?.status).toBe('disconnected');
    expect((await h.booking.introduction(introduction.id)).status).toBe('awaiting_booking');
  });

  it('an introduction closed meanwhile, or gone: honest pages, no form', async () => {
    const { introduction, links } = await h.proposal();
    const id = introduction.id;
    await h.booking.connection.client.send(
      new UpdateCommand({
        TableName: h.booking.connection.tableName,
        Key: keys.introduction(id),
        UpdateExpression: 'SET #status = :lost',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':lost': 'lost' },
      }),
    );
    const shown = await fetchPage(links[0] ?? '');
    expect(shown.status).toBe(409);
    expect(headingOf(shown.text)).toBe("This meeting can't be booked from here any more");
    expect(shown.text).not.toContain('<form');
    const posted = await postForm(h.url('/slot'), { token: tokenOf(links[0] ?? '') });
    expect(posted.status).toBe(409);
    expect(h.booking.calendarEvents(OWNER.email)).toEqual([]);

    const unknown = signToken({ action: 'book_slot', subject: 'no-such-introduction', expiresAt: 4_102_444_800, data: slotData(links[0] ?? '') }, h.booking.linkKey);
    expect((await fetchPage(h.url(`/slot?token=${unknown}`))).status).toBe(404);
    expect((await postForm(h.url('/slot'), { token: unknown })).status).toBe(404);
  });

  it('escapes every value: names with markup are shown as text', async () => {
    await h.registerPartner({ email: OWNER.email, name: 'Victor <img src=x onerror=alert(1)>', timeZone: 'America/Chicago', booking: { bookingMode: 'propose' } });
    const introduction = await h.booking.createIntroduction({
      introducer: { email: INTRODUCER.email, name: 'Sam "<script>alert(2)</script>" Lee' },
      parties: [OWNER, PROSPECT],
    });
    expect((await bookIntroduction(introduction.id, h.dependencies)).outcome).toBe('proposed');
    const link = h.booking.mail.emails({ purpose: 'booking_proposal' })[0]?.text.match(/http:\/\/127\.0\.0\.1:\d+\/slot\?token=[\w.-]+/)?.[0] ?? '';
    const page = await fetchPage(link);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('<img');
    expect(page.text).not.toContain('<script>alert');
    expect(page.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(textOf(page.text)).toContain('<script>alert(2)</script>');
  });
});

function slotData(link: string): Record<string, string> {
  const claims = h.booking.verifyLink(link, 'book_slot');
  return { start: claims.data?.start ?? '', end: claims.data?.end ?? '' };
}
