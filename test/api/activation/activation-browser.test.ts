import type { Browser } from 'playwright-core';
import { launchBrowser, keepScreenshot } from '../../support/browser';
import { type ActivationClient, activationClient } from '../../support/activation';
import { type ApiHarness, startApi } from '../support';

/**
 * The activation pages in a real browser (Debian's Chromium through playwright-core): a client opens
 * /activate/<token>, reads the current version's headline, reaches and accepts the agreement with the
 * keyboard alone, and is sent to Stripe Checkout (stripe-mock's session URL, answered by the test); the
 * view and the acceptance are recorded against the versions the client saw.
 */
describe('activation pages in a browser', () => {
  let api: ApiHarness;
  let browser: Browser;
  let a: ActivationClient;

  beforeAll(async () => {
    api = await startApi();
    a = await activationClient(api.fixtures, 'Harbour Food Bank');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('reads the headline, accepts the agreement by keyboard, reaches the payment redirect, and records view and acceptance against those versions', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The page runs no scripts (CSP); the check runs in the browser through the DevTools protocol.
    const isFocused = (selector: string) => page.locator(selector).evaluate((element) => element === element.ownerDocument.activeElement);

    await page.goto(`${api.baseUrl}/activate/${a.token}`);
    expect(await page.locator('h1').textContent()).toBe('Raise more with <Track15>');
    expect(await page.title()).toBe('Raise more with <Track15>');
    await keepScreenshot(page, 'activation-page');

    await page.keyboard.press('Tab');
    expect(await isFocused('a.button')).toBe(true);
    await Promise.all([page.waitForURL(`**/activate/${a.token}/agreement`), page.keyboard.press('Enter')]);
    expect(await page.locator('h1').textContent()).toBe('Our agreement');
    expect(await page.getByRole('region', { name: 'The agreement' }).textContent()).toContain('You pay the activation fee.');

    await page.keyboard.press('Tab'); // the agreement text, scrollable by keyboard
    expect(await isFocused('.agreement')).toBe(true);
    await page.keyboard.press('Tab');
    expect(await isFocused('#accept')).toBe(true);
    await page.keyboard.press('Space');
    expect(await page.getByRole('checkbox', { name: 'I accept the agreement' }).isChecked()).toBe(true);
    await keepScreenshot(page, 'activation-agreement');
    await page.keyboard.press('Tab');
    expect(await isFocused('button[type=submit]')).toBe(true);
    // Stripe Checkout is outside this machine (the browser cannot reach it, and Chromium's redirects escape
    // request interception): the test checks that the form's answer sent the browser there.
    const [checkout] = await Promise.all([page.waitForRequest(/^https:\/\/checkout\.stripe\.com\//), page.keyboard.press('Enter')]);
    expect(checkout.redirectedFrom()?.url()).toBe(`${api.baseUrl}/activate/${a.token}/agreement`);
    expect(checkout.redirectedFrom()?.method()).toBe('POST');
    await context.close();

    const views = await api.fixtures.query<{ content_version_id: string; n: number }>(
      'select content_version_id, count(*)::int as n from content_version_views where client_id = $1 group by content_version_id', [a.clientId]);
    expect(Object.fromEntries(views.map((v) => [v.content_version_id, v.n]))).toEqual({ [a.versions.activation]: 1, [a.versions.agreement]: 1 });
    const acceptances = await api.fixtures.query<{ content_version_id: string; activation_version_id: string }>(
      'select content_version_id, activation_version_id from agreement_acceptances where client_id = $1', [a.clientId]);
    expect(acceptances).toEqual([{ content_version_id: a.versions.agreement, activation_version_id: a.versions.activation }]);
    const payments = await api.fixtures.query<{ status: string; content_version_id: string; checkout_url: string }>(
      'select status, content_version_id, checkout_url from payments where client_id = $1', [a.clientId]);
    expect(payments).toEqual([expect.objectContaining({ status: 'pending', content_version_id: a.versions.agreement })]);
    expect(payments[0].checkout_url.split('#')[0]).toBe(checkout.url().split('#')[0]);
  });
});
