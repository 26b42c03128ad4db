import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
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
