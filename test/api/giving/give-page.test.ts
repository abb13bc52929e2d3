import { createStripe } from '../../../activities/payments/stripe';
import { signGiveToken } from '../../../domain/giving/give-token';
import { UNSUBSCRIBE_SECRET } from '../../support/campaign-harness';
import { FaultProxy } from '../../fakes/fault-proxy';
import { type ApiHarness, type Response, STRIPE_MOCK_URL, startApi } from '../support';

/**
 * The give page of issue 11: a signed link opens a server-rendered form with the donor's ask ladder,
 * and posting it starts one Stripe Checkout Session (stripe-mock behind a fault-injecting proxy that
 * records what Stripe was asked) and redirects to it.
 */
describe('give page', () => {
  let api: ApiHarness;
  let proxy: FaultProxy;
  let clientId: string;
  let campaignId: string;
  let donorId: string;
  let newDonorId: string;
  const HTML = { accept: 'text/html,application/xhtml+xml' };

  const token = (claims: Partial<Parameters<typeof signGiveToken>[0]> = {}) => signGiveToken({
    clientId, campaignId, stepNumber: 11, donorId, expiresAt: Date.now() + 3_600_000, ...claims,
  }, UNSUBSCRIBE_SECRET);

  /** Opens the page as a browser would and keeps its CSRF cookie and token for the form post. */
  const open = async (link: string) => {
    const page = await api.request({ url: `/give/${link}`, headers: HTML });
    const cookie = (page.headers['set-cookie'] ?? '').split(';')[0];
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    return { page, cookie, csrf };
  };
  const post = (link: string, session: { cookie: string; csrf: string }, fields: Record<string, string>, headers: Record<string, string> = HTML): Promise<Response> =>
    api.request({
      method: 'POST', url: `/give/${link}`, payload: new URLSearchParams({ _csrf: session.csrf, ...fields }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session.cookie, ...headers },
    });
  const sessionCalls = () => proxy.reachedServer().filter((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions');
  const form = (body: string) => new URLSearchParams(body);

  beforeAll(async () => {
    proxy = await FaultProxy.start(STRIPE_MOCK_URL);
    api = await startApi({ stripe: createStripe({ secretKey: 'sk_test_123', apiBase: proxy.url, maxNetworkRetries: 3, timeoutMs: 2_000 }) });
    clientId = await api.fixtures.client('Harbour <Food> Bank & Co');
    campaignId = await api.fixtures.track15Campaign(clientId, { story: {
      headline: 'Feed 500 <Families>', summary: 'Every $50 feeds a family for a week.', value_proposition: 'v', donor_motivation: 'm',
    } });
    [donorId, newDonorId] = await api.fixtures.donors(clientId, [{ email: 'giver@donors.test', first_name: 'Ada' }, { email: 'new@donors.test' }]);
    await api.fixtures.donation(clientId, donorId, 20);
    await api.fixtures.donation(clientId, donorId, 37); // the highest previous gift
  });
  afterAll(async () => {
    await api?.close();
    await proxy?.stop();
  });

  it('shows the organisation, the headline and the donor\'s ask ladder (HPC $37: $35, $55, $75), escaped, accessible, with security headers', async () => {
    const { page, cookie, csrf } = await open(token());
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<html lang="en">');
    expect(page.body).toContain('Feed 500 &lt;Families&gt;');
    expect(page.body).toContain('Harbour &lt;Food&gt; Bank &amp; Co');
    expect(page.body).not.toContain('<Families>');
    const amounts = [...page.body.matchAll(/name="amount" value="(\d+)"[^>]*><label for="amount-\d">([^<]+)</g)].map((m) => [m[1], m[2]]);
    expect(amounts).toEqual([['3500', '$35'], ['5500', '$55'], ['7500', '$75']]);
    // Every control has a label; the radio groups are fieldsets with legends.
    for (const id of ['amount-0', 'amount-1', 'amount-2', 'amount-custom', 'custom-amount', 'frequency-once', 'frequency-monthly']) {
      expect(page.body).toContain(`id="${id}"`);
      expect(page.body).toContain(`for="${id}"`);
    }
    expect(page.body).toContain('<legend>Choose an amount (USD)</legend>');
    expect(page.body).toContain('<legend>How often</legend>');
    expect(page.body).toContain(':focus-visible');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.headers['content-security-policy']).toMatch(/form-action 'self' https:\/\/checkout\.stripe\.com/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'none'/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(cookie).toMatch(/^csrf=/);
    expect(page.headers['set-cookie']).toMatch(/HttpOnly/i);
    expect(page.headers['set-cookie']).toMatch(/SameSite=Lax/i);
    expect(csrf.length).toBeGreaterThan(10);
  });

  it('offers the default ladder (25 / 50 / 100) to a donor who never gave', async () => {
    const { page } = await open(token({ donorId: newDonorId }));
    const amounts = [...page.body.matchAll(/name="amount" value="(\d+)"/g)].map((m) => m[1]);
    expect(amounts).toEqual(['2500', '5000', '10000']);
  });

  it('scales the default ladder to the client\'s currency by its units per dollar (rfm_tier_rate): ¥4,000 / ¥7,500 / ¥15,000', async () => {
    const yenClient = await api.fixtures.client('Yen Food Bank');
    await api.fixtures.query(`update clients set reporting_currency = 'jpy', rfm_tier_rate = 150 where id = $1`, [yenClient]);
    const yenCampaign = await api.fixtures.track15Campaign(yenClient);
    const [yenDonor] = await api.fixtures.donors(yenClient, [{ email: 'yen@donors.test' }]);
    const { page } = await open(token({ clientId: yenClient, campaignId: yenCampaign, donorId: yenDonor }));
    const amounts = [...page.body.matchAll(/name="amount" value="(\d+)"[^>]*><label for="amount-\d">([^<]+)</g)].map((m) => [m[1], m[2]]);
    expect(amounts).toEqual([['4000', '¥4,000'], ['7500', '¥7,500'], ['15000', '¥15,000']]);
    expect(page.body).toContain('<legend>Choose an amount (JPY)</legend>');
  });

  it('starts one Checkout Session (mode=payment, minor units, metadata, idempotency key) and answers 303 to it, however often it is posted', async () => {
    const link = token();
    const session = await open(link);
    const before = sessionCalls().length;
    const first = await post(link, session, { amount: '5500', frequency: 'once' });
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    const calls = sessionCalls().slice(before);
    expect(calls).toHaveLength(1);
    const sent = form(calls[0].body);
    expect(sent.get('mode')).toBe('payment');
    expect(sent.get('line_items[0][price_data][unit_amount]')).toBe('5500');
    expect(sent.get('line_items[0][price_data][currency]')).toBe('usd');
    for (const prefix of ['metadata', 'payment_intent_data[metadata]']) {
      expect(sent.get(`${prefix}[client_id]`)).toBe(clientId);
      expect(sent.get(`${prefix}[campaign_id]`)).toBe(campaignId);
      expect(sent.get(`${prefix}[step_number]`)).toBe('11');
      expect(sent.get(`${prefix}[donor_id]`)).toBe(donorId);
    }
    expect(sent.get('customer_email')).toBe('giver@donors.test');
    expect(calls[0].idempotencyKey).toMatch(/^give:[\w-]{32}:5500:usd:once$/);

    // A double click and a reload: the same session, Stripe not asked again.
    const again = await Promise.all([post(link, session, { amount: '5500', frequency: 'once' }), post(link, session, { amount: '5500', frequency: 'once' })]);
    expect(again.map((r) => [r.statusCode, r.headers.location])).toEqual([[303, first.headers.location], [303, first.headers.location]]);
    const [{ n }] = await api.fixtures.query<{ n: number }>(
      `select count(*)::int as n from give_checkouts where client_id = $1 and idempotency_key = $2`, [clientId, calls[0].idempotencyKey]);
    expect(n).toBe(1);
    expect(sessionCalls().slice(before).every((call) => call.idempotencyKey === calls[0].idempotencyKey)).toBe(true);
  });

  it('keeps one session when the network fails: every retry carries the same idempotency key', async () => {
    const link = token({ stepNumber: 12 });
    const session = await open(link);
    const start = proxy.received.length;
    proxy.failNext('reset', 'error500');
    const response = await post(link, session, { amount: 'custom', custom_amount: '42.50', frequency: 'once' });
    expect(response.statusCode).toBe(303);
    const attempts = proxy.received.slice(start).filter((r) => r.path === '/v1/checkout/sessions');
    expect(attempts.map((a) => a.fault)).toEqual(['reset', 'error500', null]);
    expect(new Set(attempts.map((a) => a.idempotencyKey))).toEqual(new Set([expect.stringMatching(/:4250:usd:once$/)]));
    const stored = await api.fixtures.query<{ stripe_session_id: string }>(
      `select stripe_session_id from give_checkouts where idempotency_key = $1`, [attempts[0].idempotencyKey]);
    expect(stored).toHaveLength(1);
    expect(stored[0].stripe_session_id).toMatch(/^cs_/);
  });

  it('keeps one session when Stripe answers too late: the timed-out attempt and its retry carry the same key', async () => {
    const link = token({ stepNumber: 14 });
    const session = await open(link);
    const start = proxy.received.length;
    proxy.failNext({ slowMs: 2_500 }); // the client gives up at 2 s; stripe-mock did make a session for it
    const response = await post(link, session, { amount: '7500', frequency: 'once' });
    expect(response.statusCode).toBe(303);
    const attempts = proxy.received.slice(start).filter((r) => r.path === '/v1/checkout/sessions');
    expect(attempts.map((a) => a.fault)).toEqual(['slow', null]);
    expect(new Set(attempts.map((a) => a.idempotencyKey)).size).toBe(1);
    const stored = await api.fixtures.query<{ session_url: string }>('select session_url from give_checkouts where idempotency_key = $1', [attempts[0].idempotencyKey]);
    expect(stored).toEqual([{ session_url: response.headers.location }]);
  });

  it('keeps one session when Stripe fails past the retries: the donor sees "try again", and trying again reuses the key', async () => {
    const link = token({ stepNumber: 15 });
    const session = await open(link);
    const start = proxy.received.length;
    proxy.failNext('error500', 'error500', 'error500', 'error500'); // the first try and its three retries
    const failed = await post(link, session, { amount: '10000', frequency: 'once' });
    expect(failed.statusCode).toBe(502);
    expect(failed.body).toContain('Something went wrong');
    const again = await post(link, session, { amount: '10000', frequency: 'once' });
    expect(again.statusCode).toBe(303);
    const attempts = proxy.received.slice(start).filter((r) => r.path === '/v1/checkout/sessions');
    expect(attempts.map((a) => a.fault)).toEqual(['error500', 'error500', 'error500', 'error500', null]);
    expect(new Set(attempts.map((a) => a.idempotencyKey))).toEqual(new Set([expect.stringMatching(/:10000:usd:once$/)]));
    const stored = await api.fixtures.query<{ session_url: string }>('select session_url from give_checkouts where idempotency_key = $1', [attempts[0].idempotencyKey]);
    expect(stored).toEqual([{ session_url: again.headers.location }]);
  });

  it('starts a monthly gift as mode=subscription on a Price made once per amount and currency', async () => {
    const before = proxy.reachedServer().length;
    for (const donor of [donorId, newDonorId]) {
      const link = token({ donorId: donor, stepNumber: 13 });
      const response = await post(link, await open(link), { amount: 'custom', custom_amount: '15', frequency: 'monthly' });
      expect(response.statusCode).toBe(303);
    }
    const calls = proxy.reachedServer().slice(before);
    const prices = calls.filter((c) => c.path === '/v1/prices');
    expect(prices).toHaveLength(1);
    const price = form(prices[0].body);
    expect([price.get('unit_amount'), price.get('currency'), price.get('recurring[interval]')]).toEqual(['1500', 'usd', 'month']);
    const [{ stripe_price_id: priceId }] = await api.fixtures.query<{ stripe_price_id: string }>(
      'select stripe_price_id from give_prices where client_id = $1 and amount = 1500', [clientId]);
    const sessions = calls.filter((c) => c.path === '/v1/checkout/sessions').map((c) => form(c.body));
    expect(sessions.map((s) => [s.get('mode'), s.get('line_items[0][price]'), s.get('subscription_data[metadata][donor_id]')]))
      .toEqual([['subscription', priceId, donorId], ['subscription', priceId, newDonorId]]);
  });

  it('still takes a gift for the organisation, unattributed, from an expired link', async () => {
    const link = token({ expiresAt: Date.now() - 1000 });
    const session = await open(link);
    expect(session.page.statusCode).toBe(200);
    expect(session.page.body).toContain('This link from an earlier email has expired');
    expect([...session.page.body.matchAll(/name="amount" value="(\d+)"/g)].map((m) => m[1])).toEqual(['2500', '5000', '10000']);
    const before = sessionCalls().length;
    expect((await post(link, session, { amount: '2500' })).statusCode).toBe(303);
    const sent = form(sessionCalls()[before].body);
    expect([sent.get('metadata[client_id]'), sent.get('metadata[campaign_id]'), sent.get('metadata[donor_id]'), sent.get('metadata[step_number]')])
      .toEqual([clientId, '', '', '']);
  });

  it('opens a forged or altered link that names the client as its unattributed give form, and shows a neutral page for one that names nothing', async () => {
    const genuine = token();
    const forged = signGiveToken({ clientId, campaignId, stepNumber: 11, donorId, expiresAt: Date.now() + 3_600_000 }, 'not-the-secret-not-the-secret-not-the-secret');
    const altered = `${genuine.split('.')[0]}.${'A'.repeat(genuine.split('.')[1].length)}`;
    for (const link of [forged, altered]) {
      const page = await api.request({ url: `/give/${link}`, headers: HTML });
      expect([link, page.statusCode]).toEqual([link, 200]);
      expect(page.body).toContain('could not be checked');
      expect(page.body).toContain('<form');
      expect(page.body).toContain('Give to Harbour');
    }
    // It takes a gift for the organisation, attributed to nothing the link claims.
    const session = await open(forged);
    const before = sessionCalls().length;
    expect((await post(forged, session, { amount: '2500' })).statusCode).toBe(303);
    const sent = form(sessionCalls()[before].body);
    expect([sent.get('metadata[client_id]'), sent.get('metadata[campaign_id]'), sent.get('metadata[donor_id]'), sent.get('metadata[step_number]')])
      .toEqual([clientId, '', '', '']);

    const unknownClient = signGiveToken({ clientId: '00000000-0000-4000-8000-000000000000', campaignId, stepNumber: 11, donorId, expiresAt: Date.now() + 3_600_000 }, 'x'.repeat(40));
    for (const link of ['nonsense', `${genuine.slice(0, 12)}.${genuine.split('.')[1]}`, unknownClient]) {
      const page = await api.request({ url: `/give/${link}`, headers: HTML });
      expect([link, page.statusCode]).toEqual([link, 200]);
      expect(page.body).toContain('This link does not work');
      expect(page.body).not.toContain('<form');
      expect(page.body).not.toContain('Harbour');
    }
  });

  it('refuses a post without the page\'s CSRF token (403), and a bad amount with the form again (browser) or problem+json naming the field', async () => {
    const link = token();
    const session = await open(link);
    const before = sessionCalls().length;
    const noCookie = await post(link, { cookie: '', csrf: session.csrf }, { amount: '5000' }, {});
    expect(noCookie.statusCode).toBe(403);
    expect(noCookie.headers['content-type']).toMatch(/^application\/problem\+json/);
    const forgedCsrf = await post(link, { cookie: session.cookie, csrf: 'forged' }, { amount: '5000' });
    expect(forgedCsrf.statusCode).toBe(403);
    expect(forgedCsrf.body).toContain('This form has expired');

    const badHtml = await post(link, session, { amount: 'custom', custom_amount: '12.345' });
    expect(badHtml.statusCode).toBe(400);
    expect(badHtml.headers['content-type']).toMatch(/^text\/html/);
    expect(badHtml.body).toContain('role="alert"');
    expect(badHtml.body).toContain('value="12.345"');
    const badJson = await post(link, session, { amount: 'custom', custom_amount: 'lots' }, { accept: 'application/json' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json().errors).toEqual([{ field: 'body.custom_amount', message: expect.stringContaining('enter an amount') }]);
    // A typed amount with a suggested one still ticked: asked which, never charged the suggested one.
    const both = await post(link, session, { amount: '5500', custom_amount: '42' }, { accept: 'application/json' });
    expect(both.json().errors).toEqual([{ field: 'body.custom_amount', message: expect.stringContaining('choose "Another amount"') }]);
    const tooSmall = await post(link, session, { amount: '50' }, { accept: 'application/json' });
    expect(tooSmall.json().errors).toEqual([{ field: 'body.amount', message: 'the smallest gift is $1' }]);
    expect(sessionCalls().length).toBe(before);
  });

  it('limits requests per address', async () => {
    const limited = await startApi({ db: api.db, orm: api.orm, pageRateLimit: { max: 2, timeWindowMs: 60_000 } });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await limited.request({ url: `/give/${token()}` })).statusCode);
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await limited.close();
    }
  });
});
