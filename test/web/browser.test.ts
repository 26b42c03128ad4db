import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookIntroduction } from '../../functions/domain/booking/book-introduction.ts';
import { formatSlot } from '../../functions/domain/booking/booking-emails.ts';
import { signToken } from '../../functions/domain/links/signed-token.ts';
import { launchChromium, screenshot } from '../support/browser.ts';
import { createWebHarness, INTRODUCER, OWNER, PROSPECT, type WebHarness } from '../support/web-harness.ts';

/**
 * The pages in a real browser (Debian's headless Chromium through playwright-core), served by the
 * local web server exactly as local mode serves them. Screenshots go to test-results/web/.
 */
let browser: Browser;
let h: WebHarness;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [browser, h] = await Promise.all([launchChromium(), createWebHarness()]);
}, 300_000);
afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser.close();
  await h.stop();
});

/** A page in a fresh context (a phone-sized window unless told otherwise) that records CSP violations and script errors. */
async function openPage(options: BrowserContextOptions = {}): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-GB', ...options });
  contexts.push(context);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    // Error statuses are the point of some pages (and the favicon is a 404): only other errors count, CSP violations first.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource:')) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return { page, problems };
}

async function fitsThePhone(page: Page): Promise<boolean> {
  // Evaluated in the page (as a string: the tests compile without the DOM library).
  return page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');
}

const slotOf = (link: string) => {
  const claims = h.booking.verifyLink(link, 'book_slot');
  return { start: new Date(claims.data?.start ?? ''), end: new Date(claims.data?.end ?? '') };
};

describe('the pages in Chromium', () => {
  it('connects a calendar end to end: connect link → Google consent page → Allow → "connected"', async () => {
    const partner = { email: 'ana.ruiz@partner.test', name: 'Ana Ruiz' };
    await h.registerPartner({ ...partner, timeZone: 'America/New_York', connected: false });
    const introduction = await h.booking.createIntroduction({ introducer: INTRODUCER, parties: [partner, PROSPECT] });
    expect((await bookIntroduction(introduction.id, h.dependencies)).outcome).toBe('waiting_for_calendar');
    const link = h.booking.mail.emails({ purpose: 'calendar_connect', to: partner.email })[0]?.text.match(/http:\/\/127\.0\.0\.1:\d+\/connect\?token=[\w.-]+/)?.[0] ?? '';

    const { page, problems } = await openPage();
    await page.goto(link);
    expect(page.url().startsWith(h.booking.google.endpoints.oauth2AuthBaseUrl)).toBe(true);
    await expect(page.locator('h1').textContent()).resolves.toContain(`for ${partner.email}?`);
    await screenshot(page, 'connect-1-google-consent');
    await Promise.all([page.waitForURL((url) => url.pathname === '/oauth/callback'), page.click('#allow')]);

    await expect(page.locator('h1').textContent()).resolves.toBe('Your calendar is connected');
    await expect(page.locator('#waiting').textContent()).resolves.toBe('1 introduction was waiting for your calendar. It is being booked now, and the invitation goes out from your calendar.');
    expect(await fitsThePhone(page)).toBe(true);
    await screenshot(page, 'connect-2-connected');
    expect((await h.booking.partner(partner.email)).calendar?.status).toBe('connected');
    expect((await h.booking.introduction(introduction.id)).status).toBe('meeting_booked');
    expect(problems).toEqual([]);
  });

  it("shows the proposed time in the viewer's zone; opening it books nothing; Confirm books", async () => {
    const { introduction, links } = await h.proposal({ timeZone: 'America/Chicago' });
    const link = links[0] ?? '';
    const slot = slotOf(link);
    const eventsBefore = h.booking.calendarEvents(OWNER.email).length;

    const { page, problems } = await openPage({ timezoneId: 'Asia/Kolkata' });
    const response = await page.goto(link);
    expect(response?.status()).toBe(200);
    await expect(page.locator('h1').textContent()).resolves.toBe('Confirm your meeting with Victor Ng');
    await expect(page.locator('.when time').textContent()).resolves.toBe(formatSlot(slot, 'America/Chicago'));
    // The inline script ran (the CSP hash let it) and converted the time to Kolkata's.
    const local = page.locator('.when [data-local]');
    await expect(local.isVisible()).resolves.toBe(true);
    // Chromium's ICU names the zone by its older canonical id.
    const kolkata = new RegExp(`^${formatSlot(slot, 'Asia/Kolkata')} your time \\(Asia/(Kolkata|Calcutta)\\)$`);
    await expect(local.textContent()).resolves.toMatch(kolkata);
    expect(formatSlot(slot, 'Asia/Kolkata')).not.toBe(formatSlot(slot, 'America/Chicago'));
    expect(await fitsThePhone(page)).toBe(true);
    await screenshot(page, 'slot-1-confirm');

    // Loading (and reloading) the page booked nothing.
    await page.reload();
    expect(await h.booking.introduction(introduction.id)).toEqual(introduction);
    expect(h.booking.calendarEvents(OWNER.email)).toHaveLength(eventsBefore);

    await Promise.all([page.waitForURL((url) => url.pathname === '/slot' && url.search === ''), page.getByRole('button', { name: 'Confirm' }).click()]);
    await expect(page.locator('h1').textContent()).resolves.toBe('Booked — the invitation is on its way');
    await expect(page.locator('.when [data-local]').textContent()).resolves.toMatch(kolkata);
    await screenshot(page, 'slot-2-booked');
    const booked = await h.booking.introduction(introduction.id);
    expect(booked.status).toBe('meeting_booked');
    const events = h.booking.calendarEvents(OWNER.email).filter((event) => event.id === booked.meeting?.eventId);
    expect(events.map((event) => event.start?.dateTime && new Date(event.start.dateTime).toISOString())).toEqual([slot.start.toISOString()]);
    expect(problems).toEqual([]);
  });

  it('keyboard: Tab reaches Confirm, the focus ring shows, Enter books', async () => {
    const { introduction, links } = await h.proposal();
    const { page, problems } = await openPage({ timezoneId: 'America/Chicago' });
    await page.goto(links[1] ?? '');
    // Same zone as the owner: the page says so instead of repeating the time.
    await expect(page.locator('.when [data-local]').textContent()).resolves.toBe('That is your time zone too.');

    let focused = '';
    for (let presses = 0; presses < 5 && focused !== 'Confirm'; presses += 1) {
      await page.keyboard.press('Tab');
      focused = (await page.locator('button:focus').count()) === 1 ? ((await page.locator('button:focus').textContent()) ?? '') : '';
    }
    expect(focused).toBe('Confirm');
    const outline = await page.evaluate<string>('`${getComputedStyle(document.activeElement).outlineStyle} ${getComputedStyle(document.activeElement).outlineWidth}`');
    expect(outline).toBe('solid 3px');
    await screenshot(page, 'slot-3-keyboard-focus');

    await Promise.all([page.waitForURL((url) => url.search === ''), page.keyboard.press('Enter')]);
    await expect(page.locator('h1').textContent()).resolves.toBe('Booked — the invitation is on its way');
    expect((await h.booking.introduction(introduction.id)).status).toBe('meeting_booked');
    expect(problems).toEqual([]);
  });

  it('a tampered and an expired link show the clear error pages', async () => {
    const { introduction, links } = await h.proposal();
    const link = new URL(links[2] ?? '');
    const token = link.searchParams.get('token') ?? '';
    link.searchParams.set('token', `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`);
    const { page, problems } = await openPage();

    const tampered = await page.goto(link.toString());
    expect(tampered?.status()).toBe(400);
    await expect(page.locator('h1').textContent()).resolves.toBe("This link isn't valid");
    await screenshot(page, 'error-1-invalid-link');

    const slot = slotOf(links[2] ?? '');
    const expiredToken = signToken(
      { action: 'book_slot', subject: introduction.id, expiresAt: Math.floor(h.booking.clock.peek().getTime() / 1000) - 60, data: { start: slot.start.toISOString(), end: slot.end.toISOString() } },
      h.booking.linkKey,
    );
    const expired = await page.goto(h.url(`/slot?token=${expiredToken}`));
    expect(expired?.status()).toBe(410);
    await expect(page.locator('h1').textContent()).resolves.toBe('This link has expired');
    await expect(page.locator('main p').first().textContent()).resolves.toContain('Reply to the email with the times');
    await screenshot(page, 'error-2-expired-link');
    expect((await h.booking.introduction(introduction.id)).status).toBe('awaiting_booking');
    expect(problems).toEqual([]);
  });
});
