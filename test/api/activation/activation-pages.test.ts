import { createStripe } from '../../../activities/payments/stripe';
import { FaultProxy } from '../../fakes/fault-proxy';
import { ACTIVATION_CONTENT, type ActivationClient, activationClient, agreementForm } from '../../support/activation';
import { type ApiHarness, type Response, STRIPE_MOCK_URL, startApi } from '../support';

/**
 * The client activation pages of issue 16 (items 2 and 3) over HTTP: the current versions in the client's
 * brand, views once per visitor and day, the same 404 for every kind of bad token, the per-address limit,
 * and the agreement's acceptance starting one Stripe Checkout Session (stripe-mock behind a recording proxy).
 */
describe('activation pages', () => {
  let api: ApiHarness;
  let proxy: FaultProxy;
  let a: ActivationClient;
  const HTML = { accept: 'text/html,application/xhtml+xml', 'user-agent': 'jest-visitor-1' };

  const get = (path: string, headers: Record<string, string> = HTML) => api.request({ url: path, headers });
  const post = (token: string, session: { cookie: string; fields: Record<string, string> }, fields: Record<string, string>, headers: Record<string, string> = HTML): Promise<Response> =>
    api.request({
      method: 'POST', url: `/activate/${token}/agreement`, payload: new URLSearchParams({ ...session.fields, ...fields }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session.cookie, ...headers },
    });
  const sessionCalls = () => proxy.reachedServer().filter((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions');
  const count = async (sql: string, params: unknown[]) => (await api.fixtures.query<{ n: number }>(`select count(*)::int as n from ${sql}`, params))[0].n;
  const withoutNonce = (body: string) => body.replace(/nonce="[^"]+"/g, '');

  beforeAll(async () => {
    proxy = await FaultProxy.start(STRIPE_MOCK_URL);
    api = await startApi({ stripe: createStripe({ secretKey: 'sk_test_123', apiBase: proxy.url, maxNetworkRetries: 2, timeoutMs: 2_000 }) });
    a = await activationClient(api.fixtures, 'Harbour <Food> Bank', { settings: { activation_amount: 75_000 } });
  });
  afterAll(async () => {
    await api?.close();
    await proxy?.stop();
  });

  it('serves the current activation version in the client\'s brand, escaped and accessible, and counts one view per visitor per day', async () => {
    const page = await get(`/activate/${a.token}`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<html lang="en">');
    expect(page.body).toContain('<h1>Raise more with &lt;Track15&gt;</h1>');
    expect(page.body).not.toContain('<Track15>');
    expect(page.body).toContain('Harbour &lt;Food&gt; Bank');
    expect(page.body).toContain('<li>Planning</li>');
    expect(page.body).toContain('<p class="price">$500</p>');
    expect(page.body).toContain(`<a class="button" href="/activate/${a.token}/agreement">Read the agreement</a>`);
    // The brand: its colour on buttons with white text (#00665C on #fff is 6.6:1, so headings take it too), its logo.
    expect(page.body).toContain('button, .button { color: #ffffff; background: #00665c; }');
    expect(page.body).toContain('h1, h2 { color: #00665c; }');
    expect(page.body).toContain('<img class="logo" src="https://cdn.example.org/logo.png" alt="Harbour &lt;Food&gt; Bank">');
    expect(page.headers['content-security-policy']).toMatch(/img-src 'self' https:/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'none'/);

    await get(`/activate/${a.token}`); // the same visitor again: still one view
    await get(`/activate/${a.token}`, { ...HTML, 'user-agent': 'jest-visitor-2' });
    const views = await api.fixtures.query<{ visitor_hash: string; view_day: string }>(
      `select visitor_hash, to_char(view_day, 'YYYY-MM-DD') as view_day from content_version_views where content_version_id = $1`, [a.versions.activation]);
    expect(views).toHaveLength(2);
    expect(views.every((v) => /^[0-9a-f]{64}$/.test(v.visitor_hash))).toBe(true);
    expect(views[0].view_day).toBe(new Date().toISOString().slice(0, 10));
  });

  it('serves whichever version is current, while versions are made current concurrently, and credits the view to it', async () => {
    const b = await activationClient(api.fixtures, 'Iterating Org');
    const variants = await Promise.all([2, 3, 4].map((n) => api.fixtures.contentVersion(b.clientId, 'activation', {
      ...ACTIVATION_CONTENT.activation, headline: `Version ${n}`,
    })));
    const [pages] = await Promise.all([
      Promise.all(Array.from({ length: 6 }, (_, i) => get(`/activate/${b.token}`, { ...HTML, 'user-agent': `iterating-${i}` }))),
      ...variants.map((id) => api.fixtures.query('select make_content_version_current($1)', [id])),
    ]);
    for (const page of pages) expect(page.body).toMatch(/<h1>(Raise more with &lt;Track15&gt;|Version [234])<\/h1>/);
    const current = await api.fixtures.query<{ id: string; headline: string }>(
      `select id, content->>'headline' as headline from content_versions where client_id = $1 and page_type = 'activation' and is_current`, [b.clientId]);
    expect(current).toHaveLength(1);
    const page = await get(`/activate/${b.token}`, { ...HTML, 'user-agent': 'after-the-change' });
    expect(page.body).toContain(`<h1>${current[0].headline}</h1>`);
    const views = await api.fixtures.query<{ n: number }>(
      'select count(*)::int as n from content_version_views where client_id = $1 and content_version_id = $2', [b.clientId, current[0].id]);
    expect(views[0].n).toBeGreaterThanOrEqual(1);
    expect(await count('content_version_views where client_id = $1', [b.clientId])).toBe(7);
  });

  it('answers every unknown, malformed or used-up token with the same 404 page, which names nothing', async () => {
    const paid = await activationClient(api.fixtures, 'Paid Org');
    await api.fixtures.query(`update clients set status = 'paid' where id = $1`, [paid.clientId]);
    const expired = await activationClient(api.fixtures, 'Expired Org');
    await api.fixtures.query('update clients set activation_expired_at = now() where id = $1', [expired.clientId]);
    const bare = await activationClient(api.fixtures, 'Unpublished Org');
    await api.fixtures.query(`update content_versions set is_current = false where client_id = $1 and page_type = 'activation'`, [bare.clientId]);

    const misses = ['G0000', 'g1234', 'G12345', 'abc', '%3Cscript%3E', paid.token, expired.token, bare.token];
    const pages = [];
    for (const token of misses) {
      for (const path of [`/activate/${token}`, `/activate/${token}/agreement`]) {
        const page = await get(path);
        expect([path, page.statusCode]).toEqual([path, 404]);
        expect(page.headers['content-type']).toMatch(/^text\/html/);
        pages.push(withoutNonce(page.body));
      }
    }
    expect(new Set(pages).size).toBe(1);
    expect(pages[0]).toContain('Page not found');
    for (const name of ['Paid Org', 'Expired Org', 'Unpublished Org', 'Harbour']) expect(pages[0]).not.toContain(name);
    // Other clients get the same as problem+json; a control character breaks the text rule of every field (400).
    const problem = await get('/activate/G0000', { accept: 'application/json' });
    expect([problem.statusCode, problem.headers['content-type']]).toEqual([404, expect.stringMatching(/^application\/problem\+json/)]);
    const said = (body: { status: number; title: string; detail: string }) => [body.status, body.title, body.detail];
    expect(said(problem.json())).toEqual(said((await get(`/activate/${paid.token}`, { accept: 'application/json' })).json()));
    expect((await get('/activate/G12%00')).statusCode).toBe(400);
    // A paid client's processing and confirmation pages are another matter: none was started here.
    expect((await get(`/activate/${paid.token}/confirmation`)).statusCode).toBe(404);
  });

  it('refuses the agreement unless it is accepted: the form again with the reason (400), nothing recorded', async () => {
    const page = await get(`/activate/${a.token}/agreement`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<label for="accept">I accept the agreement</label>');
    expect(page.body).toContain('role="region" aria-labelledby="agreement-heading" tabindex="0"');
    expect(page.body).toContain('You will pay $750 on Stripe');
    const session = agreementForm(page);
    expect(session.fields.agreement_version_id).toBe(a.versions.agreement);
    expect(session.fields.activation_version_id).toBe(a.versions.activation);

    const refused = await post(a.token, session, {});
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('role="alert"');
    expect(refused.body).toContain('aria-invalid="true"');
    const problem = await post(a.token, session, { accept: 'no' }, { accept: 'application/json' });
    expect(problem.statusCode).toBe(400);
    expect(problem.json().errors).toEqual([expect.objectContaining({ field: 'body.accept' })]);
    const foreign = await post(a.token, session, { accept: 'yes', agreement_version_id: a.versions.activation }, { accept: 'application/json' });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().errors).toEqual([expect.objectContaining({ field: 'body.agreement_version_id' })]);
    expect(await count('agreement_acceptances where client_id = $1', [a.clientId])).toBe(0);
    expect(await count('payments where client_id = $1', [a.clientId])).toBe(0);
    const [{ status }] = await api.fixtures.query<{ status: string }>('select status from clients where id = $1', [a.clientId]);
    expect(status).toBe('pending');
  });

  it('records the acceptance with its versions and starts one Checkout Session for the client\'s amount, however often the form is sent', async () => {
    const session = agreementForm(await get(`/activate/${a.token}/agreement`));
    const before = sessionCalls().length;
    const [first, second] = await Promise.all([post(a.token, session, { accept: 'yes' }), post(a.token, session, { accept: 'yes' })]);
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    const again = await post(a.token, session, { accept: 'yes' });
    expect(new Set([first, second, again].map((r) => r.headers.location)).size).toBe(1);

    const [acceptance, ...others] = await api.fixtures.query<{ id: string; content_version_id: string; activation_version_id: string; accepted_at: Date }>(
      'select id, content_version_id, activation_version_id, accepted_at from agreement_acceptances where client_id = $1', [a.clientId]);
    expect(others).toHaveLength(0);
    expect(acceptance).toEqual(expect.objectContaining({ content_version_id: a.versions.agreement, activation_version_id: a.versions.activation }));
    expect(Date.now() - acceptance.accepted_at.getTime()).toBeLessThan(60_000);
    const payments = await api.fixtures.query<{ id: string; amount: number; status: string; content_version_id: string; acceptance_id: string; idempotency_key: string; stripe_checkout_session_id: string }>(
      'select id, amount, status, content_version_id, acceptance_id, idempotency_key, stripe_checkout_session_id from payments where client_id = $1', [a.clientId]);
    expect(payments).toEqual([expect.objectContaining({
      amount: 75_000, status: 'pending', content_version_id: a.versions.agreement, acceptance_id: acceptance.id,
      idempotency_key: `activation:${a.clientId}:${acceptance.id}`, stripe_checkout_session_id: expect.stringMatching(/^cs_/),
    })]);
    const [{ status }] = await api.fixtures.query<{ status: string }>('select status from clients where id = $1', [a.clientId]);
    expect(status).toBe('active');

    const calls = sessionCalls().slice(before);
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(new Set(calls.map((c) => c.idempotencyKey))).toEqual(new Set([`activation:${a.clientId}:${acceptance.id}`]));
    const sent = new URLSearchParams(calls[0].body);
    expect(sent.get('mode')).toBe('payment');
    expect(sent.get('line_items[0][price_data][unit_amount]')).toBe('75000');
    expect(sent.get('line_items[0][price_data][currency]')).toBe('usd');
    for (const prefix of ['metadata', 'payment_intent_data[metadata]']) {
      expect(sent.get(`${prefix}[purpose]`)).toBe('activation');
      expect(sent.get(`${prefix}[client_id]`)).toBe(a.clientId);
      expect(sent.get(`${prefix}[content_version_id]`)).toBe(a.versions.agreement);
      expect(sent.get(`${prefix}[activation_version_id]`)).toBe(a.versions.activation);
      expect(sent.get(`${prefix}[acceptance_id]`)).toBe(acceptance.id);
      expect(sent.get(`${prefix}[payment_id]`)).toBe(payments[0].id);
    }
    expect(sent.get('success_url')).toMatch(new RegExp(`/activate/${a.token}/processing\\?session_id=\\{CHECKOUT_SESSION_ID\\}$`));
  });

  it('shows the processing page until the payment is recorded, then the confirmation page', async () => {
    const processing = await get(`/activate/${a.token}/processing`);
    expect(processing.statusCode).toBe(200);
    expect(processing.body).toContain('<h1>Confirming your payment</h1>');
    expect((await get(`/activate/${a.token}/confirmation`)).headers.location).toBe(`/activate/${a.token}/processing`);
    await api.fixtures.query(`update clients set status = 'paid' where id = $1`, [a.clientId]);
    expect((await get(`/activate/${a.token}/processing`)).headers.location).toBe(`/activate/${a.token}/confirmation`);
    const confirmation = await get(`/activate/${a.token}/confirmation`);
    expect(confirmation.statusCode).toBe(200);
    expect(confirmation.body).toContain('<h1>You are activated</h1>');
    // Used up: the activation and agreement pages are gone.
    expect((await get(`/activate/${a.token}`)).statusCode).toBe(404);
  });

  it('limits the activation pages together per address, valid token or not', async () => {
    const limited = await startApi({ db: api.db, orm: api.orm, activationRateLimit: { max: 3, timeWindowMs: 60_000 } });
    try {
      const fresh = await activationClient(limited.fixtures, 'Limited Org');
      const answers = [];
      for (const path of ['/activate/G0001', '/activate/G0002/agreement', `/activate/${fresh.token}`, `/activate/${fresh.token}/agreement`, '/activate/G0003']) {
        answers.push((await limited.request({ url: path, headers: HTML })).statusCode);
      }
      expect(answers).toEqual([404, 404, 200, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});
