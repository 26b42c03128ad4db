import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { ensureCommand } from './system-packages.ts';

/** Debian's Chromium (never a downloaded browser). */
export const CHROMIUM_PATH = '/usr/bin/chromium';
/** Screenshots of the pages, kept as artifacts of the run (gitignored). */
export const SCREENSHOT_DIR = join(import.meta.dirname, '../../test-results/web');

/**
 * Headless Chromium for page tests. Installs Debian's `chromium` package first when it is missing
 * (a few minutes on a fresh CI machine; give the calling hook the time) and reports how long that took.
 */
export async function launchChromium(): Promise<Browser> {
  const started = performance.now();
  ensureCommand('chromium', 'chromium');
  const installMs = performance.now() - started;
  if (installMs > 1_000) process.stdout.write(`chromium ready after ${(installMs / 1000).toFixed(1)} s (installed from Debian)\n`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/**
 * A page in a fresh context (a phone-sized window unless told otherwise) that records CSP
 * violations and script errors in `problems`. Close `context` when done.
 */
export async function openCheckedPage(browser: Browser, options: BrowserContextOptions = {}): Promise<{ page: Page; context: BrowserContext; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-GB', ...options });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    // Error statuses are the point of some pages (and the favicon is a 404): only other errors count, CSP violations first.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource:')) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return { page, context, problems };
}

/** Whether the page fits the window's width (no sideways scrolling on a phone). */
export function fitsTheWidth(page: Page): Promise<boolean> {
  // Evaluated in the page (as a string: the tests compile without the DOM library).
  return page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');
}
