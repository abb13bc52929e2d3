import type { Browser, Page } from 'playwright-core';
import { prepareActivation } from '../../../activities/campaigns/activation';
import { signGiveToken } from '../../../domain/giving/give-token';
import { withClient } from '../../../domain/db/tenancy';
import { touchpointWorkflow } from '../../../workflows/campaigns/touchpoint';
import { type CampaignHarness, PUBLIC_BASE_URL, UNSUBSCRIBE_SECRET, startCampaignHarness } from '../../support/campaign-harness';
import { keepScreenshot, launchBrowser } from '../../support/browser';
import { type ApiHarness, startApi } from '../support';

/**
 * The give page in a real browser (issue 11 item 6): Debian's Chromium opens the give link of a
 * conversion email the SendGrid sink recorded, the donor picks an amount and submits with the keyboard
 * alone, and the browser follows the 303 to the Stripe Checkout URL stripe-mock gave the session.
 * Stripe's hosted page itself is never reached: checkout.stripe.com does not resolve in this browser.
 */
describe('give page in a browser', () => {
  let h: CampaignHarness;
  let api: ApiHarness;
  let browser: Browser;
  let clientId: string;
  let campaignId: string;
  let giverId: string;
  let giveLink: string;

  beforeAll(async () => {
    h = await startCampaignHarness();
    api = await startApi({ db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue: h.temporal.taskQueue } });
    clientId = await h.fixtures.client('Harbour Food Bank');
    [giverId] = await h.fixtures.donors(clientId, [{ email: 'ada@donors.test', first_name: 'Ada' }, { email: 'ben@donors.test', first_name: 'Ben' }]);
    await h.fixtures.donation(clientId, giverId, 37, { at: new Date(Date.now() - 60 * 86_400_000) }); // highest previous gift: $37
    campaignId = await h.fixtures.track15Campaign(clientId, { dayLengthSeconds: 86_400, controlShare: 0, story: {
      headline: 'Feed 500 families this spring', summary: 'Every $50 fills a family\'s pantry for a week.',
      value_proposition: 'Your gift buys fresh food at wholesale prices.', donor_motivation: 'No neighbour should go hungry.',
    } });
    // Step 11, the first conversion ask ("Give now: {{links.donate}}"), sent through the worker to the sink.
    await withClient(h.orm.em, clientId, (em) => prepareActivation(em, campaignId));
    const tally = await h.temporal.client.workflow.execute(touchpointWorkflow, {
      taskQueue: h.temporal.taskQueue, workflowId: `give-browser-${campaignId}/step-11`, args: [{ campaignId, clientId, stepNumber: 11 }],
    });
    expect(tally).toMatchObject({ sent: 2, failed: 0 });
    const delivery = h.sink.deliveries().find((d) => d.customArgs.campaign_id === campaignId && d.to === 'ada@donors.test')!;
    const link = /Give now: (\S+)/.exec(h.sink.messageOf(delivery).text!)![1];
    expect(link.startsWith(`${PUBLIC_BASE_URL}/give/`)).toBe(true);
    // The worker writes links for PUBLIC_BASE_URL; this test's app listens elsewhere: same path and token.
    giveLink = `${api.baseUrl}${link.slice(PUBLIC_BASE_URL.length)}`;
    browser = await launchBrowser({ unreachableHosts: ['checkout.stripe.com'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await h?.close();
  });

  // The evaluate callbacks run in the page: they reach the DOM through the element Playwright hands them
  // (this project type-checks against Node's globals, not the browser's).

  /** The id (or tag) of the focused element, whether it is checked, and its focus ring (the :focus-visible outline). */
  const focused = (page: Page) => page.locator(':focus').evaluate((element) => {
    const style = element.ownerDocument.defaultView.getComputedStyle(element);
    return { id: (element.id || element.tagName.toLowerCase()) as string, ring: `${style.outlineStyle} ${style.outlineWidth}`, checked: element.checked as boolean };
  });

  it('opens the emailed link, takes an amount chosen with the keyboard, and redirects to Stripe Checkout', async () => {
    const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
    const page = await context.newPage();
    try {
      const opened = await page.goto(giveLink);
      expect(opened?.status()).toBe(200);
      await expect(page.title()).resolves.toBe('Give to Harbour Food Bank');
      expect(await page.locator('h1').allTextContents()).toEqual(['Feed 500 families this spring']);
      // The donor's ladder from their $37 highest gift, the middle one chosen in advance.
      const amounts = await page.locator('input[name=amount]').evaluateAll((inputs) =>
        inputs.map((input) => [input.labels[0].textContent as string, input.checked as boolean]));
      expect(amounts).toEqual([['$35', false], ['$55', true], ['$75', false], ['Another amount', false]]);

      // Keyboard only: Tab into the amounts (the checked one takes focus), ArrowDown to $75, Tab past
      // the other-amount field to how often, Space keeps "One time", Tab to the button.
      await page.keyboard.press('Tab');
      expect(await focused(page)).toEqual({ id: 'amount-1', ring: 'solid 3px', checked: true });
      await page.keyboard.press('ArrowDown');
      expect(await focused(page)).toEqual({ id: 'amount-2', ring: 'solid 3px', checked: true });
      await page.keyboard.press('Tab');
      expect((await focused(page)).id).toBe('custom-amount');
      await page.keyboard.press('Tab');
      expect(await focused(page)).toEqual({ id: 'frequency-once', ring: 'solid 3px', checked: true });
      await page.keyboard.press('Space');
      await page.keyboard.press('Tab');
      expect(await focused(page)).toMatchObject({ id: 'button', ring: 'solid 3px' });
      await keepScreenshot(page, 'give-page');

      // Enter submits; the browser follows the 303 to Checkout (CSP form-action allows it) and the
      // navigation ends there, as checkout.stripe.com is unreachable here.
      const [posted, followed] = await Promise.all([
        page.waitForResponse((response) => response.request().method() === 'POST' && response.url() === giveLink),
        page.waitForRequest((request) => request.isNavigationRequest() && request.url().startsWith('https://checkout.stripe.com/')),
        page.keyboard.press('Enter'),
      ]);
      expect(posted.status()).toBe(303);
      const location = (await posted.headerValue('location'))!;
      expect(location).toMatch(/^https:\/\/checkout\.stripe\.com\//);
      expect(followed.url()).toBe(location);
      expect(followed.redirectedFrom()?.url()).toBe(giveLink);
      expect(followed.redirectedFrom()?.method()).toBe('POST');
      expect(posted.request().postDataJSON()).toMatchObject({ amount: '7500', frequency: 'once', custom_amount: '' });

      // The session stored for the link: $75, one time, attributed to step 11 and this donor.
      const sessions = await h.fixtures.query<Record<string, unknown>>(
        `select amount, currency, frequency, step_number, donor_id, campaign_id, session_url from give_checkouts where client_id = $1`, [clientId]);
      expect(sessions).toEqual([{ amount: 7500, currency: 'usd', frequency: 'once', step_number: 11, donor_id: giverId, campaign_id: campaignId, session_url: location }]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('meets the accessibility basics: language, one h1, every control labelled, groups with legends, 4.5:1 contrast', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(giveLink);
      const audit = await page.locator('html').evaluate((html) => {
        const document = html.ownerDocument;
        type Node = typeof html; // the DOM's types are the page's: here every node is untyped
        const getComputedStyle = (element: Node) => document.defaultView.getComputedStyle(element);
        const luminance = (color: string) => {
          const [r, g, b] = (color.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number).map((c) => {
            const s = c / 255;
            return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const opaque = (color: string) => color !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(color);
        const background = (element: Node): string => {
          for (let at = element; at; at = at.parentElement) {
            const color = getComputedStyle(at).backgroundColor;
            if (opaque(color)) return color;
          }
          return 'rgb(255, 255, 255)';
        };
        const texts: Node[] = [...document.body.querySelectorAll('*')].filter((element: Node) =>
          [...element.childNodes].some((node: Node) => node.nodeType === document.TEXT_NODE && node.textContent.trim() !== ''));
        const contrasts = texts.map((element) => {
          const [a, b] = [luminance(getComputedStyle(element).color), luminance(background(element))];
          return { text: (element.textContent as string).trim().slice(0, 30), ratio: Math.round(((Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)) * 10) / 10 };
        });
        const controls: Node[] = [...document.querySelectorAll('input:not([type=hidden]), button, select, textarea')];
        return {
          lang: document.documentElement.lang as string,
          h1: document.querySelectorAll('h1').length as number,
          unlabelled: controls.filter((c) => c.tagName !== 'BUTTON' && c.labels.length === 0).map((c) => c.name as string),
          buttons: controls.filter((c) => c.tagName === 'BUTTON').map((c) => (c.textContent as string).trim()),
          radioGroupsOutsideFieldsets: controls.filter((c) => c.type === 'radio' && !c.closest('fieldset')?.querySelector('legend')).length,
          lowContrast: contrasts.filter((c) => c.ratio < 4.5),
          checked: contrasts.length,
        };
      });
      expect(audit).toEqual({
        lang: 'en', h1: 1, unlabelled: [], buttons: ['Continue to secure payment'], radioGroupsOutsideFieldsets: 0, lowContrast: [], checked: expect.any(Number),
      });
      expect(audit.checked).toBeGreaterThan(10);
      // Reflows at 320 CSS pixels (WCAG 1.4.10, a phone or 400% zoom): nothing scrolls sideways.
      await page.setViewportSize({ width: 320, height: 640 });
      expect(await page.locator('html').evaluate((html) => html.scrollWidth <= html.ownerDocument.defaultView.innerWidth)).toBe(true);
      await keepScreenshot(page, 'give-page-narrow');
    } finally {
      await page.close();
    }
  }, 30_000);

  it('opens an expired or forged link as the organisation\'s give form (unattributed), each with one h1', async () => {
    const page = await browser.newPage();
    try {
      const expired = signGiveToken({ clientId, campaignId, stepNumber: 11, donorId: giverId, expiresAt: Date.now() - 1000 }, UNSUBSCRIBE_SECRET);
      expect((await page.goto(`${api.baseUrl}/give/${expired}`))?.status()).toBe(200);
      expect(await page.locator('h1').allTextContents()).toEqual(['Give to Harbour Food Bank']);
      await expect(page.getByText('This link from an earlier email has expired').isVisible()).resolves.toBe(true);
      expect(await page.getByRole('radio').count()).toBe(6); // three amounts, another amount, one time, every month
      await expect(page.getByLabel('$50').isChecked()).resolves.toBe(true); // the fixed ladder: $25, $50, $100
      await keepScreenshot(page, 'give-page-expired');

      const forged = signGiveToken({ clientId, campaignId, stepNumber: 11, donorId: giverId, expiresAt: Date.now() + 60_000 }, 'x'.repeat(40));
      expect((await page.goto(`${api.baseUrl}/give/${forged}`))?.status()).toBe(200);
      expect(await page.locator('h1').allTextContents()).toEqual(['Give to Harbour Food Bank']);
      await expect(page.getByText('This link could not be checked').isVisible()).resolves.toBe(true);
      expect(await page.locator('form').count()).toBe(1);
      await keepScreenshot(page, 'give-page-forged');
    } finally {
      await page.close();
    }
  }, 30_000);
});
