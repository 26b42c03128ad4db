import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortInUse } from '../../functions/local/dynamodb-local.ts';
import { fitsTheWidth, launchChromium, openCheckedPage } from '../support/browser.ts';
import { startLocalModeProcess, type LocalModeProcess } from '../support/local-mode-process.ts';

/**
 * What a newcomer does and sees: `refer start` in its own process (free ports, a temporary data
 * directory), the dashboard open in Chromium, `refer demo` run in another process; the new
 * introductions appear without a reload, each with its meeting and emails; "Run now" on a weekly
 * check-in puts it in the outbox; a one-click link in that email works. Screenshots of the main
 * pages go to test-results/dashboard/.
 */
const SHOTS = join(import.meta.dirname, '../../test-results/dashboard');

let localMode: LocalModeProcess;
let base: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[];
const refer = (...args: string[]) => localMode.refer(...args);

async function shoot(target: Page, name: string, fullPage = true): Promise<void> {
  await target.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const started = launchChromium();
  localMode = await startLocalModeProcess();
  base = localMode.baseUrl;
  browser = await started;
  ({ page, context, problems } = await openCheckedPage(browser, { viewport: { width: 1280, height: 800 } }));
}, 300_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  localMode?.cleanUp();
});

describe('local mode dashboard', () => {
  it('shows the demo’s introductions as they arrive, without a reload', async () => {
    await page.goto(`${base}/`);
    await expect.poll(() => page.locator('main').textContent()).toContain('Nothing captured yet');
    // The page is subscribed to the table's changes before anything happens.
    await page.locator('#live-status[data-state="live"]').waitFor();
    await page.evaluate('window.sameDocument = true');

    const demo = refer('demo');
    await page.getByRole('link', { name: 'Victor Hale and Lena Park' }).waitFor({ timeout: 60_000 });
    expect(await page.evaluate('window.sameDocument')).toBe(true);
    expect(await demo).toContain(`Open the dashboard: ${base}/`);

    await page.reload();
    const rows = page.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(4);
    expect(await page.locator('.counts').textContent()).toMatch(/Meeting booked\s*3/);
    await shoot(page, 'introductions', false);
    expect(problems).toEqual([]);
  }, 120_000);

  it('shows an introduction with its meeting, thread and emails', async () => {
    await page.getByRole('link', { name: 'Victor Hale and Lena Park' }).click();
    await page.locator('h1', { hasText: 'Victor Hale and Lena Park, introduced by Ana Costa' }).waitFor();
    const meeting = await page.locator('#meeting').textContent();
    expect(meeting).toContain('America/New_York');
    expect(meeting).toContain('victor@halewealth.example');
    expect(meeting).toContain('lena.park@parkdesignstudio.example');
    const thread = (await page.locator('.thread').textContent()) ?? '';
    expect(thread).toContain('A reply from lena.park@parkdesignstudio.example');
    expect(thread).toContain('Thank you, Ana!');
    expect(thread).toContain('Sent: Capture confirmation');
    expect(thread).toContain('Sent: Update to the introducer');
    await shoot(page, 'introduction');
  });

  it('shows partners, pairs, the chart, the calendar and the mail that was not captured', async () => {
    await page.getByRole('link', { name: 'Partners & pairs' }).click();
    await page.locator('h1', { hasText: 'Partners & pairs' }).waitFor();
    expect(await page.locator('main').textContent()).toMatch(/Ana Costa → Victor Hale: 1 this week, 1 of \d+ this quarter \(Lena Park\)/);
    expect(await page.locator('svg[role="img"]').count()).toBe(5);
    await shoot(page, 'partners');

    await page.getByRole('link', { name: 'Calendar' }).click();
    await page.locator('h1', { hasText: 'Calendar' }).waitFor();
    expect(await page.locator('main a[href^="/introductions/"]').count()).toBe(3);
    await shoot(page, 'calendar');

    await page.getByRole('link', { name: 'Inbound' }).click();
    const inbound = (await page.locator('main').textContent()) ?? '';
    expect(inbound).toContain('chris@doyle-print.example is not a registered partner');
    expect(inbound).toContain('Auto-Submitted: auto-replied');
    await shoot(page, 'inbound');
    expect(problems).toEqual([]);
  });

  it('runs a weekly check-in now and shows it in the outbox', async () => {
    await page.getByRole('link', { name: 'Schedules' }).click();
    const row = page.locator('tbody tr', { hasText: 'Weekly check-in' }).filter({ hasText: 'Marco Rossi & Priya Nair' });
    await shoot(page, 'schedules');
    await Promise.all([page.waitForURL(/\/schedules\?ran=/), row.getByRole('button', { name: 'Run now' }).click()]);
    expect(await page.locator('.flash').textContent()).toMatch(/^Ran weekly-\w+: sent, sent\./);

    await page.getByRole('link', { name: 'See the outbox' }).click();
    await page.locator('h1', { hasText: 'Outbox' }).waitFor();
    const weekly = page.locator('tbody tr', { hasText: 'priya@nair-marketing.example' }).getByRole('link', { name: /Marco and Priya — your week/ });
    await weekly.waitFor();
    await shoot(page, 'outbox');
    await weekly.click();
    await page.locator('iframe.mail').waitFor();
    await shoot(page, 'email', false);
  });

  it('follows a one-click link from that email in the browser', async () => {
    const email = page.frameLocator('iframe.mail');
    const [unsubscribe] = await Promise.all([context.waitForEvent('page'), email.getByRole('link', { name: 'Stop these weekly emails' }).click()]);
    await unsubscribe.locator('h1', { hasText: 'Stop the weekly check-in with Marco Rossi?' }).waitFor();
    await Promise.all([unsubscribe.waitForEvent('load'), unsubscribe.getByRole('button', { name: 'Unsubscribe' }).click()]);
    expect(await unsubscribe.locator('h1').textContent()).toBe("You're unsubscribed");
    const pairs = (await refer('pair', 'list', '--json')).trim().split('\n').map((line) => JSON.parse(line) as { partners: string[]; unsubscribed: string[] });
    expect(pairs.find((pair) => pair.partners.includes('priya@nair-marketing.example'))?.unsubscribed).toEqual(['priya@nair-marketing.example']);
  });

  it('is readable on a phone, keyboard navigable, and runs nothing the policy forbids', async () => {
    const phone = await openCheckedPage(browser);
    try {
      for (const [path, name] of [
        ['/', 'phone-introductions'],
        ['/partners', 'phone-partners'],
        ['/calendar', 'phone-calendar'],
        ['/outbox', 'phone-outbox'],
        ['/schedules', 'phone-schedules'],
        ['/inbound', 'phone-inbound'],
      ] as const) {
        await phone.page.goto(`${base}${path}`);
        expect(await fitsTheWidth(phone.page), path).toBe(true);
        if (name === 'phone-introductions') await shoot(phone.page, name);
      }
      await phone.page.goto(`${base}/`);
      await phone.page.keyboard.press('Tab');
      expect(await phone.page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
      await phone.page.keyboard.press('Enter');
      expect(await phone.page.evaluate('document.activeElement.id')).toBe('main');
      expect(phone.problems).toEqual([]);
    } finally {
      await phone.context.close();
    }
  });

  it('stops on Ctrl-C and leaves nothing running', async () => {
    const dynamoPort = Number(/DynamoDB Local\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(localMode.output())?.[1]);
    expect(await localMode.interrupt()).toBe(0);
    for (const port of [localMode.webPort, localMode.smtpPort, dynamoPort]) expect(await isPortInUse(port), String(port)).toBe(false);
  });
});
