import { type ApiHarness, databaseFingerprint, insertKey, startApi } from './support';

/**
 * Money has a currency (issue 10, item 4): amounts cross the API in major units with each currency's
 * own decimals (Stripe's list), Stripe gets minor units, and each client's gifts are in its reporting
 * currency, so nothing ever adds yen to dollars.
 */
describe('money at the API', () => {
  let api: ApiHarness;
  const clients: Record<string, { id: string; key: string; donorId: string; body: Record<string, unknown> }> = {};

  // Units of each currency per US dollar, for the RFM tiers (required unless the client reports in USD).
  const RFM_TIER_RATES: Record<string, number> = { JPY: 150, kwd: 0.31, isk: 138 };
  const newClient = async (name: string, reportingCurrency?: string) => {
    const response = await api.call(api.operatorKey, {
      method: 'POST', url: '/v1/clients',
      payload: { name, ...(reportingCurrency ? { reporting_currency: reportingCurrency, rfm_tier_rate: RFM_TIER_RATES[reportingCurrency] } : {}) },
    });
    expect(response.statusCode).toBe(201);
    const { id } = response.json();
    const [donorId] = await api.fixtures.donors(id, [{ email: `${name.toLowerCase().replace(/\W/g, '')}@donors.test` }]);
    return { id, key: await insertKey(api.fixtures, id), donorId, body: response.json() };
  };
  const gift = (name: string, body: Record<string, unknown>) => api.call(clients[name].key, {
    method: 'POST', url: `/v1/clients/${clients[name].id}/donations`, payload: { donor_id: clients[name].donorId, ...body },
  });
  let attempt = 0;
  const intent = (name: string, body: Record<string, unknown>) => api.call(clients[name].key, {
    method: 'POST', url: `/v1/clients/${clients[name].id}/donations/intents`,
    payload: { donor_id: clients[name].donorId, idempotency_key: `money-test-${++attempt}`, ...body },
  });
  const paymentAmount = async (paymentId: string) =>
    (await api.fixtures.query<{ amount: number; currency: string }>('select amount, currency from payments where id = $1', [paymentId]))[0];
  const expectRefused = async (response: { statusCode: number; json(): { errors: { field: string; message: string }[] } }, field: string, message: RegExp) => {
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([{ field, message: expect.stringMatching(message) }]);
  };

  beforeAll(async () => {
    api = await startApi();
    for (const [name, currency] of [['Dollars', undefined], ['Yen', 'JPY'], ['Dinars', 'kwd'], ['Kronur', 'isk']] as const) {
      const created = await newClient(name, currency);
      expect(created.body.reporting_currency).toBe(currency?.toLowerCase() ?? 'usd');
      clients[name] = created;
    }
  });
  afterAll(async () => {
    await api?.close();
  });

  it('a client reports in an ISO 4217 currency; anything else is refused naming reporting_currency', async () => {
    for (const bad of ['zzz', 'XAU', 'us', 'dollars', 'xts']) {
      const response = await api.call(api.operatorKey, { method: 'POST', url: '/v1/clients', payload: { name: 'Bad', reporting_currency: bad } });
      await expectRefused(response, 'body.reporting_currency', /ISO 4217/);
    }
    const read = await api.call(clients.Yen.key, { method: 'GET', url: `/v1/clients/${clients.Yen.id}` });
    expect(read.json()).toMatchObject({ reporting_currency: 'jpy' });
  });

  it('a client reporting in another currency than USD states its RFM tier rate, else 400 naming rfm_tier_rate', async () => {
    const before = await databaseFingerprint(api.fixtures);
    const response = await api.call(api.operatorKey, { method: 'POST', url: '/v1/clients', payload: { name: 'No rate', reporting_currency: 'jpy' } });
    await expectRefused(response, 'body.rfm_tier_rate', /how many JPY one US dollar is worth/);
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
    expect(clients.Yen.body).toMatchObject({ rfm_tier_rate: 150 });
    expect(clients.Dollars.body).toMatchObject({ rfm_tier_rate: null });
  });

  it('a ¥5,000 gift scores as about $33 on the RFM monetary tiers, not as $5,000; ¥160,000 (about $1,067) reaches the $1,000 tier', async () => {
    const monetary = async (donorId: string) =>
      (await api.fixtures.query<{ m: number }>('select rfm_monetary_score as m from donors where id = $1', [donorId]))[0].m;
    const recalculate = () => api.call(clients.Yen.key, { method: 'POST', url: `/v1/clients/${clients.Yen.id}/rfm/recalculate` });
    const [donorId] = await api.fixtures.donors(clients.Yen.id, [{ email: 'tiered@donors.test' }]);
    const give = (amount: number) => api.call(clients.Yen.key, {
      method: 'POST', url: `/v1/clients/${clients.Yen.id}/donations`, payload: { donor_id: donorId, amount },
    });
    expect((await give(5000)).statusCode).toBe(201);
    expect((await recalculate()).statusCode).toBe(200);
    expect(await monetary(donorId)).toBe(1);
    expect((await give(155_000)).statusCode).toBe(201);
    expect((await recalculate()).statusCode).toBe(200);
    expect(await monetary(donorId)).toBe(5);
  });

  it('¥5,000 asks Stripe for 5000 yen (not 500,000) and answers 5000', async () => {
    const response = await intent('Yen', { amount: 5000 });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ amount: 5000, currency: 'jpy' });
    expect(await paymentAmount(response.json().payment_id)).toEqual({ amount: 5000, currency: 'jpy' });
  });

  it('three-decimal and two-decimal currencies convert with their own exponent', async () => {
    const dinars = await intent('Dinars', { amount: 1.23, currency: 'KWD' });
    expect(dinars.statusCode).toBe(201);
    expect(dinars.json()).toMatchObject({ amount: 1.23, currency: 'kwd' });
    expect(await paymentAmount(dinars.json().payment_id)).toEqual({ amount: 1230, currency: 'kwd' });

    const dollars = await intent('Dollars', { amount: 0.29 });
    expect(await paymentAmount(dollars.json().payment_id)).toEqual({ amount: 29, currency: 'usd' });

    const kronur = await intent('Kronur', { amount: 5 });
    expect(await paymentAmount(kronur.json().payment_id)).toEqual({ amount: 500, currency: 'isk' });
  });

  it('an offline gift keeps its currency\'s decimals: 1.234 KWD, 5000 JPY, 50.10 USD', async () => {
    for (const [name, amount, currency, stored] of [['Dinars', 1.234, 'kwd', '1.234'], ['Yen', 5000, 'jpy', '5000'], ['Dollars', 50.1, 'usd', '50.10']] as const) {
      const response = await gift(name, { amount });
      expect(response.statusCode).toBe(201);
      expect(response.json()).toMatchObject({ amount, currency });
      const [row] = await api.fixtures.query<{ amount: string }>('select amount from donations where id = $1', [response.json().id]);
      expect(row.amount).toBe(stored);
    }
  });

  it('refuses amounts finer than the currency, and Stripe charges finer than its increments, naming amount and writing nothing', async () => {
    const before = await databaseFingerprint(api.fixtures);
    await expectRefused(await intent('Yen', { amount: 5000.5 }), 'body.amount', /JPY amounts have no decimals/);
    await expectRefused(await gift('Yen', { amount: 5000.5 }), 'body.amount', /JPY amounts have no decimals/);
    await expectRefused(await gift('Dollars', { amount: 50.001 }), 'body.amount', /at most 2 decimals/);
    await expectRefused(await gift('Dinars', { amount: 1.2345 }), 'body.amount', /KWD amounts have at most 3 decimals/);
    // Stripe's special cases: KWD charges end in 0, ISK charges are whole krónur.
    await expectRefused(await intent('Dinars', { amount: 1.234 }), 'body.amount', /steps of 0.01/);
    await expectRefused(await intent('Kronur', { amount: 5.5 }), 'body.amount', /steps of 1/);
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
  });

  it('refuses a gift in another currency than the client reports in, and codes that are not currencies, naming currency', async () => {
    const before = await databaseFingerprint(api.fixtures);
    await expectRefused(await gift('Dollars', { amount: 5000, currency: 'JPY' }), 'body.currency', /reports in USD: a gift in JPY is refused/);
    await expectRefused(await intent('Dollars', { amount: 5000, currency: 'jpy' }), 'body.currency', /reports in USD/);
    await expectRefused(await gift('Yen', { amount: 50, currency: 'usd' }), 'body.currency', /reports in JPY/);
    for (const currency of ['zzz', 'xau', 'u$d']) {
      await expectRefused(await gift('Dollars', { amount: 5, currency }), 'body.currency', /ISO 4217/);
    }
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
  });

  it('the database refuses a gift in another currency whatever writes it', async () => {
    await expect(api.fixtures.query(`insert into donations (client_id, donor_id, amount, currency) values ($1, $2, 5000, 'jpy')`,
      [clients.Dollars.id, clients.Dollars.donorId])).rejects.toThrow(/differs from the client's reporting currency usd/);
  });
});

/** Dates are plausible (issue 10, item 6): one rule (api/schemas/dates.ts) for every past instant a caller sends. */
describe('plausible dates', () => {
  let api: ApiHarness;
  let client: { id: string; key: string };
  let donorId: string;

  beforeAll(async () => {
    api = await startApi();
    client = await api.client('Dates Org');
    [donorId] = await api.fixtures.donors(client.id, [{ email: 'dated@donors.test' }]);
  });
  afterAll(async () => {
    await api?.close();
  });

  const gift = (donatedAt: string) => api.call(client.key, {
    method: 'POST', url: `/v1/clients/${client.id}/donations`, payload: { donor_id: donorId, amount: 10, donated_at: donatedAt },
  });
  const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

  it.each([
    ['2062-01-01T00:00:00Z', /must not be in the future/],
    [inMinutes(10), /must not be in the future/],
    ['1899-12-31T23:59:59Z', /must not be before 1900/],
    ['0202-01-01T00:00:00Z', /must not be before 1900/],
  ])('a gift dated %s is refused naming donated_at, writing nothing', async (donatedAt, message) => {
    const before = await databaseFingerprint(api.fixtures);
    const response = await gift(donatedAt);
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([{ field: 'body.donated_at', message: expect.stringMatching(message) }]);
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
  });

  it('accepts the past and a few minutes of clock skew', async () => {
    for (const donatedAt of [inMinutes(3), '2024-02-29T12:00:00+09:00', '1995-06-01T00:00:00Z']) {
      const response = await gift(donatedAt);
      expect(response.statusCode).toBe(201);
      expect(Date.parse(response.json().donated_at)).toBe(Date.parse(donatedAt));
    }
  });

  it('an RFM as_of in the future is refused naming as_of', async () => {
    const response = await api.call(client.key, {
      method: 'POST', url: `/v1/clients/${client.id}/rfm/recalculate`, payload: { as_of: '2062-01-01T00:00:00Z' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([{ field: 'body.as_of', message: expect.stringMatching(/must not be in the future/) }]);
  });
});
