import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';

/**
 * A real browser for the page tests: Debian's Chromium driven by playwright-core (scripts/test.sh
 * installs it with `ensure_chromium`; `npx playwright install` cannot download here). One browser per
 * suite; close it in afterAll.
 */
export async function launchBrowser(options: { unreachableHosts?: string[] } = {}): Promise<Browser> {
  // Hosts a test must see the browser go to but never reach (a provider's hosted page): they fail to
  // resolve, without a DNS query, whatever the machine's network.
  const unreachable = (options.unreachableHosts ?? []).map((host) => `MAP ${host} ~NOTFOUND`).join(', ');
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...(unreachable ? [`--host-resolver-rules=${unreachable}`] : [])],
  });
}

/** Where screenshots land: test-artifacts/ at the repository root (git-ignored; CI keeps it). */
export const ARTIFACTS_DIR = join(__dirname, '..', '..', 'test-artifacts');

/** Saves a full-page screenshot as test-artifacts/<name>.png and returns its path. */
export async function keepScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
