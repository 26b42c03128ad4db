import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tokenContext } from '../../functions/adapters/google/google-calendar-access.ts';
import { bookIntroduction } from '../../functions/domain/booking/book-introduction.ts';
import { signToken } from '../../functions/domain/links/signed-token.ts';
import { answerConsent, createWebHarness, fetchPage, headingOf, INTRODUCER, OWNER, PROSPECT, textOf, type WebHarness } from '../support/web-harness.ts';

let h: WebHarness;
beforeEach(async () => {
  h = await createWebHarness();
});
afterEach(() => h.stop());

/** A partner who has not connected, an introduction waiting for their calendar, and the connect link the booking emailed them. */
async function waitingForCalendar(): Promise<{ introductionId: string; connectLink: string }> {
  await h.registerPartner({ ...OWNER, timeZone: 'America/Chicago', connected: false });
  const introduction = await h.booking.createIntroduction({ introducer: INTRODUCER, parties: [OWNER, PROSPECT] });
  expect((await bookIntroduction(introduction.id, h.dependencies)).outcome).toBe('waiting_for_calendar');
  const email = h.booking.mail.emails({ purpose: 'calendar_connect', to: OWNER.email })[0];
  const connectLink = email?.text.match(/http:\/\/127\.0\.0\.1:\d+\/connect\?token=[\w.-]+/)?.[0];
  if (!connectLink) throw new Error(`no connect link in:\n${email?.text ?? '(no email)'}`);
  return { introductionId: introduction.id, connectLink };
}

function expectLogsFreeOfSecrets(...secrets: string[]): void {
  const logged = JSON.stringify(h.logs);
  expect(logged).not.toMatch(/@/);
  for (const secret of secrets) expect(logged).not.toContain(secret);
}

describe('connecting a calendar: /connect → Google consent → /oauth/callback', () => {
  it('connects the partner with a sealed refresh token that opens to a working grant, then books what was waiting', async () => {
    const { introductionId, connectLink } = await waitingForCalendar();

    const start = await fetchPage(connectLink);
    expect(start.status).toBe(302);
    const consentUrl = new URL(start.headers.get('location') ?? '');
    expect(`${consentUrl.origin}${consentUrl.pathname}`).toBe(h.booking.google.endpoints.oauth2AuthBaseUrl);
    expect(consentUrl.searchParams.get('login_hint')).toBe(OWNER.email);
    expect(consentUrl.searchParams.get('access_type')).toBe('offline');
    expect(consentUrl.searchParams.get('redirect_uri')).toBe(h.url('/oauth/callback'));
    const state = consentUrl.searchParams.get('state') ?? '';
    // The state is our signed token for this partner, not the connect link's token.
    expect(state).not.toBe(new URL(connectLink).searchParams.get('token'));
    // Following the link changed nothing.
    expect((await h.booking.partner(OWNER.email)).calendar ?? null).toBeNull();

    const callback = await answerConsent(consentUrl.toString(), 'allow');
    expect(`${callback.origin}${callback.pathname}`).toBe(h.url('/oauth/callback'));
    expect(callback.searchParams.get('state')).toBe(state);
    const code = callback.searchParams.get('code') ?? '';
    expect(code).not.toBe('');

    const connected = await fetchPage(callback.toString());
    expect(connected.status).toBe(200);
    expect(headingOf(connected.text)).toBe('Your calendar is connected');
    expect(textOf(connected.text)).toContain('1 introduction was waiting for your calendar.');

    const partner = await h.booking.partner(OWNER.email);
    expect(partner.calendar).toMatchObject({ status: 'connected', method: 'oauth', generation: 1, disconnectedAt: null, disconnectReason: null });
    const sealed = partner.calendar?.refreshToken;
    if (!sealed) throw new Error('no sealed refresh token');
    const refreshToken = await h.booking.sealer.open(sealed, tokenContext(OWNER.email));
    expect(refreshToken).toMatch(/^1\/\//);
    expect(JSON.stringify(sealed)).not.toContain(refreshToken);
    // Sealed for this partner only.
    await expect(h.booking.sealer.open(sealed, tokenContext(PROSPECT.email))).rejects.toThrow();

    // Local mode's hook resumed the waiting booking in process.
    expect(h.connectedCallbacks).toEqual([OWNER.email]);
    const booked = await h.booking.introduction(introductionId);
    expect(booked.status).toBe('meeting_booked');
    expect(h.booking.calendarEvents(OWNER.email)).toHaveLength(1);
    // The stored grant works on its own: the adapter refreshes an access token from it and reads the calendar.
    const meeting = { start: new Date(booked.meeting?.start ?? ''), end: new Date(booked.meeting?.end ?? '') };
    const calendar = await h.dependencies.calendars.forPartner(partner);
    await expect(calendar.busy({ calendars: ['primary'], timeMin: new Date(meeting.start.getTime() - 3_600_000), timeMax: new Date(meeting.end.getTime() + 3_600_000) })).resolves.toEqual([meeting]);

    // Reloading the callback (the code is single use) neither fails nor connects twice.
    const reload = await fetchPage(callback.toString());
    expect(reload.status).toBe(200);
    expect(textOf(reload.text)).toContain('already connected');
    expect((await h.booking.partner(OWNER.email)).calendar?.generation).toBe(1);

    expectLogsFreeOfSecrets(code, refreshToken, state, new URL(connectLink).searchParams.get('token') ?? '');
  });

  it('says nothing is waiting when nothing is, and works without the local-mode hook (AWS: the stream resumes bookings)', async () => {
    await h.stop();
    h = await createWebHarness({ onCalendarConnected: false });
    await h.registerPartner({ ...OWNER, timeZone: 'Europe/London', connected: false });
    const link = h.dependencies.links.connectCalendar(await h.booking.partner(OWNER.email));
    const consent = (await fetchPage(link)).headers.get('location') ?? '';
    const page = await fetchPage((await answerConsent(consent, 'allow')).toString());
    expect(page.status).toBe(200);
    expect(textOf(page.text)).toContain('Nothing is waiting to be booked right now');
    expect((await h.booking.partner(OWNER.email)).calendar?.status).toBe('connected');
    expect(h.connectedCallbacks).toEqual([]);
  });

  it('denied consent: a clear page with a fresh link to try again, and nothing changes', async () => {
    const { introductionId, connectLink } = await waitingForCalendar();
    const consent = (await fetchPage(connectLink)).headers.get('location') ?? '';
    const callback = await answerConsent(consent, 'deny');
    expect(callback.searchParams.get('error')).toBe('access_denied');

    const page = await fetchPage(callback.toString());
    expect(page.status).toBe(200);
    expect(headingOf(page.text)).toBe("Your calendar isn't connected");
    expect(textOf(page.text)).toContain('You chose not to allow access');
    const tryAgain = /<a class="button" href="([^"]+)">Try again<\/a>/.exec(page.text)?.[1]?.replace(/&amp;/g, '&') ?? '';
    expect(tryAgain.startsWith(h.url('/connect?token='))).toBe(true);
    expect((await fetchPage(tryAgain)).status).toBe(302);

    expect((await h.booking.partner(OWNER.email)).calendar ?? null).toBeNull();
    expect((await h.booking.introduction(introductionId)).status).toBe('awaiting_booking');
    expect(h.connectedCallbacks).toEqual([]);
  });

  it('refuses a tampered or expired state, and a connect link for another action or a removed partner', async () => {
    const { connectLink } = await waitingForCalendar();
    const consent = new URL((await fetchPage(connectLink)).headers.get('location') ?? '');
    const callback = await answerConsent(consent.toString(), 'allow');

    const tampered = new URL(callback);
    const state = tampered.searchParams.get('state') ?? '';
    tampered.searchParams.set('state', `${state.slice(0, -2)}${state.endsWith('AA') ? 'BB' : 'AA'}`);
    const refused = await fetchPage(tampered.toString());
    expect(refused.status).toBe(400);
    expect(headingOf(refused.text)).toBe("This link isn't valid");

    // A state for another partner, signed by someone else's key, is just as invalid.
    const forged = new URL(callback);
    forged.searchParams.set('state', signToken({ action: 'oauth_state', subject: PROSPECT.email, expiresAt: 4_102_444_800 }, Buffer.alloc(32, 7)));
    expect((await fetchPage(forged.toString())).status).toBe(400);

    h.booking.clock.advance(31 * 60_000);
    const late = await fetchPage(callback.toString());
    expect(late.status).toBe(410);
    expect(headingOf(late.text)).toBe('This link has expired');
    expect(textOf(late.text)).toContain('Open the link from your email again');
    expect((await h.booking.partner(OWNER.email)).calendar ?? null).toBeNull();

    // A rebook token is not a connect token.
    const rebookToken = new URL(h.dependencies.links.rebook('some-introduction')).searchParams.get('token') ?? '';
    expect((await fetchPage(h.url(`/connect?token=${rebookToken}`))).status).toBe(400);
    expect((await fetchPage(h.url('/connect'))).status).toBe(400);

    const fresh = h.dependencies.links.connectCalendar(await h.booking.partner(OWNER.email));
    await h.booking.partners.removePartner(OWNER.email);
    const gone = await fetchPage(fresh);
    expect(gone.status).toBe(404);
    expect(textOf(gone.text)).toContain('no longer registered');
  });

  it('an expired connect link says how long links last and what to do', async () => {
    const { connectLink } = await waitingForCalendar();
    h.booking.clock.advance(7 * 86_400_000 + 1_000);
    const page = await fetchPage(connectLink);
    expect(page.status).toBe(410);
    expect(textOf(page.text)).toContain('Calendar links work for 7 days.');
    expect(page.headers.get('location')).toBeNull();
  });
});
