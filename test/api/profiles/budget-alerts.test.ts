import { type ApiHarness, databaseFingerprint, startApi } from '../support';

/** Issue 15 item 7 through the API: where alerts go (and the signing secret), and each fired alert with its attempts. */
describe('budget alert settings and fired alerts', () => {
  let api: ApiHarness;
  let client: { id: string; key: string };
  const call = (method: string, url: string, payload?: unknown) => api.call(client.key, { method, url: `/v1/clients/${client.id}${url}`, payload });

  beforeAll(async () => {
    api = await startApi();
    client = await api.client('Alerts Org');
  });
  afterAll(async () => { await api.close(); });

  it('sets where alerts go, makes the signing secret once, keeps it on changes and rolls it on request', async () => {
    expect((await call('GET', '/budget-alert-settings')).statusCode).toBe(404);
    const created = await call('PUT', '/budget-alert-settings', { email: 'finance@alerts.test', webhook_url: 'https://hooks.alerts.test/budget' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ email: 'finance@alerts.test', webhook_url: 'https://hooks.alerts.test/budget', updated_by: expect.any(String) });
    const secret = created.json().signing_secret as string;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const changed = await call('PUT', '/budget-alert-settings', { email: null, webhook_url: 'https://93.184.215.14:8443/hook' });
    expect([changed.statusCode, changed.json().email, changed.json().signing_secret]).toEqual([200, null, secret]);
    const rolled = await call('POST', '/budget-alert-settings/roll-secret');
    expect(rolled.statusCode).toBe(200);
    expect(rolled.json().signing_secret).not.toBe(secret);
    expect((await call('GET', '/budget-alert-settings')).json().signing_secret).toBe(rolled.json().signing_secret);
  });

  it.each<[Record<string, unknown>, string]>([
    [{ email: 'finance@alerts.test', webhook_url: 'ftp://hooks.alerts.test/budget' }, 'body.webhook_url'],
    [{ email: 'not an address', webhook_url: null }, 'body.email'],
    [{ email: null }, 'body.webhook_url'],
    // Server-side request forgery: the default refuses plain http, credentials and addresses inside the network.
    ...['http://hooks.alerts.test/budget', 'https://user:secret@hooks.alerts.test/budget', 'https://127.0.0.1/hook', 'https://10.0.0.1/hook',
      'https://[::1]:8443/hook', 'https://169.254.169.254/latest/meta-data/', 'https://[fd00::1]/hook', 'https://2130706433/hook']
      .map((url): [Record<string, unknown>, string] => [{ email: null, webhook_url: url }, 'body.webhook_url']),
  ])('refuses bad settings with 400 naming the field, changing nothing: %j', async (body, field) => {
    const before = await databaseFingerprint(api.fixtures);
    const response = await call('PUT', '/budget-alert-settings', body);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
  });

  it('takes http and private addresses when OUTBOUND_WEBHOOKS_ALLOW_PRIVATE is set, credentials never', async () => {
    const local = await startApi({ db: api.db, allowPrivateWebhooks: true });
    try {
      const put = (webhook_url: string) => local.call(client.key, { method: 'PUT', url: `/v1/clients/${client.id}/budget-alert-settings`, payload: { email: null, webhook_url } });
      const taken = await put('http://127.0.0.1:9/hook');
      expect([taken.statusCode, taken.json().webhook_url]).toEqual([200, 'http://127.0.0.1:9/hook']);
      const refused = await put('http://user:secret@127.0.0.1:9/hook');
      expect([refused.statusCode, refused.json().errors]).toEqual([400, [{ field: 'body.webhook_url', message: 'must not carry a user name or password' }]]);
    } finally {
      await local.close();
    }
  });

  it('lists a budget\'s fired alerts with each channel\'s state and attempts, and reads one', async () => {
    const { budgetId } = await api.fixtures.profileSet(client.id, 'Alerted');
    const { alertId } = await api.fixtures.budgetAlert(client.id, budgetId, 'alerted');
    const list = await call('GET', `/budgets/${budgetId}/alerts?limit=10`);
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({
      next_offset: null,
      items: [{
        id: alertId, budget_id: budgetId, period_key: 'LIFETIME', threshold_percent: 80, percentage_spent: 81.5, amount_spent: 81.5,
        fired_at: expect.any(String), handed_at: expect.any(String),
        email: { status: 'delivered', attempts: [] },
        webhook: {
          status: 'pending',
          attempts: [{
            attempt: 1, target: 'https://alerted.hooks.test/alerts', started_at: expect.any(String), finished_at: expect.any(String),
            outcome: 'failed', http_status: 500, error: 'answered 500',
          }],
        },
      }],
    });
    const one = await call('GET', `/budget-alerts/${alertId}`);
    expect([one.statusCode, one.json()]).toEqual([200, list.json().items[0]]);
    expect((await call('GET', '/budget-alerts/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect((await call('GET', '/budgets/00000000-0000-4000-8000-000000000000/alerts')).statusCode).toBe(404);
  });
});
