import type { Browser, BrowserContext, Page } from 'playwright-core';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/adapters/dynamodb/keys.ts';
import { bookIntroduction } from '../../functions/domain/booking/book-introduction.ts';
import { changeStatus } from '../../functions/domain/followup/answer-question.ts';
import { pairId } from '../../functions/domain/pairs/pair-setup.ts';
import { fitsTheWidth, launchChromium, openCheckedPage, screenshot } from '../support/browser.ts';
import { createWebHarness, INTRODUCER, OWNER, PROSPECT, type WebHarness } from '../support/web-harness.ts';

/**
 * The follow-through pages in a real browser (Debian's headless Chromium through playwright-core),
 * served by the local web server as local mode serves them: an answer link from a "did it close?"
 * email, and an unsubscribe link from a weekly check-in. Screenshots go to test-results/web/.
 */
let browser: Browser;
let h: WebHarness;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [browser, h] = await Promise.all([launchChromium(), createWebHarness()]);
  await h.registerPartner({ ...OWNER, timeZone: 'America/Chicago' });
  await h.registerPartner({ ...INTRODUCER, timeZone: 'Europe/London', connected: false });
}, 300_000);
afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser.close();
  await h.stop();
});

async function openPage(): Promise<{ page: Page; problems: string[] }> {
  const opened = await openCheckedPage(browser);
  contexts.push(opened.context);
  return opened;
}

const heading = (page: Page) => page.locator('h1').textContent();
/** Clicks the page's only button and waits for the page the form leads to. */
async function submit(page: Page, label: string): Promise<void> {
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: label }).click()]);
}

describe('follow-through pages in Chromium', () => {
  it('an answer link: the confirm page shows the answer and changes nothing; Confirm applies it once; back and again says "already used"', async () => {
    const created = await h.booking.createIntroduction({ introducer: INTRODUCER, parties: [OWNER, PROSPECT], subject: 'Victor, meet Lena' });
    expect((await bookIntroduction(created.id, h.dependencies)).outcome).toBe('booked');
    expect((await changeStatus(created.id, 'meeting_booked', 'met', { by: OWNER.email, how: 'cli', detail: 'set by the test' }, h.followThrough)).outcome).toBe('applied');
    const before = await h.booking.introduction(created.id);
    const history = await h.booking.history(created.id);

    // A typing slip first, on a second "Won" link of the same email: said next to the field, nothing changes.
    const { page: slip, problems: slipProblems } = await openPage();
    await slip.goto(h.links.answer(created.id, 'close', 'won', OWNER.email));
    await slip.getByLabel('Closed business (optional)').fill('12.500,00');
    await submit(slip, 'Confirm');
    await expect(heading(slip)).resolves.toBe('Did it close with Lena Park?');
    await expect(slip.getByRole('alert').textContent()).resolves.toContain('not an amount this page understands');
    await expect(slip.getByLabel('Closed business (optional)').inputValue()).resolves.toBe('12.500,00');
    await expect(slip.getByLabel('Closed business (optional)').getAttribute('aria-invalid')).resolves.toBe('true');
    await screenshot(slip, 'answer-2-amount-refused');
    expect(slipProblems).toEqual([]);
    expect(await h.booking.introduction(created.id)).toEqual(before);

    const link = h.links.answer(created.id, 'close', 'won', OWNER.email);
    const { page, problems } = await openPage();
    const shown = await page.goto(link);
    expect(shown?.status()).toBe(200);
    await expect(heading(page)).resolves.toBe('Did it close with Lena Park?');
    await expect(page.locator('.answer').textContent()).resolves.toBe('Your answer: Won');
    await expect(page.locator('main').textContent()).resolves.toContain('Sam Lee introduced you to Lena Park on Tue 24 Nov.');
    await expect(page.getByLabel('Closed business (optional)').isVisible()).resolves.toBe(true);
    expect(await fitsTheWidth(page)).toBe(true);
    await screenshot(page, 'answer-1-confirm');
    // The same link left open in another tab (its form is submitted again below).
    const { page: stale } = await openPage();
    await stale.goto(link);
    // Opening it changed nothing.
    expect(await h.booking.introduction(created.id)).toEqual(before);
    expect(await h.booking.history(created.id)).toEqual(history);
    const tokenId = h.booking.verifyLink(link, 'answer').data?.id ?? '';
    const usedToken = async () =>
      (await h.booking.connection.client.send(new GetCommand({ TableName: h.booking.connection.tableName, Key: keys.usedToken(tokenId), ConsistentRead: true }))).Item;
    expect(await usedToken()).toBeUndefined();

    await page.getByLabel('Closed business (optional)').fill('12,500');
    await submit(page, 'Confirm');
    await expect(heading(page)).resolves.toBe('Marked as won with Lena Park');
    await expect(page.locator('main').textContent()).resolves.toContain('Closed business: 12,500.');
    await screenshot(page, 'answer-3-applied');
    const won = await h.booking.introduction(created.id);
    expect(won.status).toBe('won');
    expect(won.followUp?.amount).toBe(12_500);
    const changes = () => h.booking.history(created.id).then((events) => events.filter((event) => event.type === 'status_changed' && event.how === 'link'));
    expect(await changes()).toEqual([expect.objectContaining({ by: OWNER.email, detail: 'met → won: Won (12500)' })]);
    expect(await usedToken()).toMatchObject({ state: 'used', outcome: 'applied:won' });

    // Back: the page is never cached (no-store), so the browser asks again, and the link's page now says it was used.
    await page.goBack();
    await expect(heading(page)).resolves.toBe('This link was already used');
    await screenshot(page, 'answer-4-back-already-used');
    // The tab with the old form: submitting it again changes nothing.
    await stale.getByLabel('Closed business (optional)').fill('99');
    await submit(stale, 'Confirm');
    await expect(heading(stale)).resolves.toBe('This link was already used');
    await expect(stale.locator('main').textContent()).resolves.toContain('stands now: won, 12,500 of closed business.');
    await screenshot(stale, 'answer-5-submitted-again');
    expect(await h.booking.introduction(created.id)).toEqual(won);
    expect(await changes()).toHaveLength(1);
    expect(problems).toEqual([]);
  });

  it('an unsubscribe link: confirm page, one click, unsubscribed; opening it again says so', async () => {
    const ana = { email: 'ana.ruiz@partner.test', name: 'Ana Ruiz' };
    await h.registerPartner({ ...ana, timeZone: 'Europe/London', connected: false });
    const id = pairId(ana.email, OWNER.email);
    await h.pairs.savePair({
      id,
      partners: [ana.email, OWNER.email].sort() as [string, string],
      timeZone: 'Europe/London',
      weekly: { day: 'mon', time: '08:00' },
      oneToOne: 'monthly',
      goalPerMonth: 2,
      createdAt: h.booking.clock.now().toISOString(),
      unsubscribed: [],
      nextOneToOne: null,
    });
    const link = h.links.unsubscribe('pair', id, OWNER.email);

    const { page, problems } = await openPage();
    await page.goto(link);
    await expect(heading(page)).resolves.toBe('Stop the weekly check-in with Ana Ruiz?');
    await expect(page.locator('main').textContent()).resolves.toContain('Ana still gets theirs.');
    expect(await fitsTheWidth(page)).toBe(true);
    await screenshot(page, 'unsubscribe-1-confirm');
    expect((await h.pairs.getPair(id))?.unsubscribed).toEqual([]);

    await submit(page, 'Unsubscribe');
    await expect(heading(page)).resolves.toBe("You're unsubscribed");
    await screenshot(page, 'unsubscribe-2-done');
    expect((await h.pairs.getPair(id))?.unsubscribed).toEqual([OWNER.email]);

    await page.goto(link);
    await expect(heading(page)).resolves.toBe("You're already unsubscribed");
    await expect(page.getByRole('button').count()).resolves.toBe(0);
    expect((await h.pairs.getPair(id))?.unsubscribed).toEqual([OWNER.email]);
    expect(problems).toEqual([]);
  });
});
