import { type ApiHarness, startApi } from '../support';

/* eslint-disable @typescript-eslint/no-explicit-any -- tests read the shapes they asked for */

/** Online payments can be read, each with its money and the gift it recorded; a gift shows its payment. */
describe('payments and the gifts they record', () => {
  let api: ApiHarness;
  let client: { id: string; key: string };
  let donors: string[];
  const get = (url: string) => api.call(client.key, { url: `/v1/clients/${client.id}${url}` });

  beforeAll(async () => {
    api = await startApi();
    client = await api.client('Payments');
    donors = await api.fixtures.donors(client.id, [{ email: 'payer@donors.test' }, { email: 'other@donors.test' }]);
  });
  afterAll(async () => { await api.close(); });

  it('lists and reads payments with status, money in major and minor units, and the linked gift both ways', async () => {
    const paid = await api.fixtures.payment(client.id, donors[0], 5025);
    const failed = await api.fixtures.payment(client.id, donors[0], 1000, { status: 'failed' });
    const yen = await api.fixtures.payment(client.id, donors[1], 5000, { status: 'pending', currency: 'jpy' });
    const dinar = await api.fixtures.payment(client.id, donors[1], 1230, { status: 'pending', currency: 'kwd' });

    const one = await get(`/payments/${paid.paymentId}`);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual({
      id: paid.paymentId, client_id: client.id, donor_id: donors[0], campaign_id: null, status: 'succeeded',
      amount: 50.25, amount_minor: 5025, currency: 'usd', stripe_payment_intent_id: expect.stringMatching(/^pi_/), failure_reason: null,
      donation: { id: paid.donationId, status: 'succeeded' }, created_at: expect.any(String), updated_at: expect.any(String),
    });
    // Each currency's exponent, as Stripe publishes it: zero decimals for JPY, three for KWD.
    expect((await get(`/payments/${yen.paymentId}`)).json()).toMatchObject({ amount: 5000, amount_minor: 5000, currency: 'jpy', donation: null });
    expect((await get(`/payments/${dinar.paymentId}`)).json()).toMatchObject({ amount: 1.23, amount_minor: 1230, currency: 'kwd' });
    expect((await get(`/payments/${failed.paymentId}`)).json()).toMatchObject({ status: 'failed', failure_reason: 'card_declined', donation: null });

    const gift = await get(`/donations/${paid.donationId}`);
    expect(gift.json()).toMatchObject({ id: paid.donationId, amount: 50.25, currency: 'usd', source: 'stripe', payment: { id: paid.paymentId, status: 'succeeded' } });

    const ids = async (query: string) => (await get(`/payments?${query}`)).json().items.map((p: any) => p.id).sort();
    expect(await ids('')).toEqual([paid.paymentId, failed.paymentId, yen.paymentId, dinar.paymentId].sort());
    expect(await ids('status=pending')).toEqual([yen.paymentId, dinar.paymentId].sort());
    expect(await ids(`donor_id=${donors[0]}`)).toEqual([paid.paymentId, failed.paymentId].sort());
    expect(await ids(`donor_id=${donors[1]}&status=succeeded`)).toEqual([]);

    const first = (await get('/payments?limit=3')).json();
    const rest = (await get(`/payments?limit=3&offset=${first.next_offset}`)).json();
    expect([first.items.length, first.next_offset, rest.items.length, rest.next_offset]).toEqual([3, 3, 1, null]);
    expect(new Set([...first.items, ...rest.items].map((p: any) => p.id)).size).toBe(4);
    // Newest first.
    const created = [...first.items, ...rest.items].map((p: any) => Date.parse(p.created_at));
    expect(created).toEqual([...created].sort((a, b) => b - a));
  });

  it('shows an offline gift without a payment, and answers 404 for a payment or gift that is not the client\'s', async () => {
    const offline = await api.call(client.key, { method: 'POST', url: `/v1/clients/${client.id}/donations`, payload: { donor_id: donors[1], amount: 20 } });
    expect(offline.json()).toMatchObject({ source: 'offline', payment: null });
    expect((await get(`/donations/${offline.json().id}`)).json()).toMatchObject({ id: offline.json().id, payment: null });
    expect((await get(`/donations?donor_id=${donors[1]}`)).json().items).toEqual([expect.objectContaining({ payment: null })]);

    const stranger = await api.client('Someone else');
    const [theirDonor] = await api.fixtures.donors(stranger.id, [{ email: 'theirs@donors.test' }]);
    const theirs = await api.fixtures.payment(stranger.id, theirDonor, 700);
    for (const url of [`/payments/${theirs.paymentId}`, `/donations/${theirs.donationId}`]) {
      const response = await get(url);
      expect([url, response.statusCode, response.headers['content-type']]).toEqual([url, 404, expect.stringMatching(/^application\/problem\+json/)]);
    }
  });

  it('shows a payment started through the API as pending, with the amount it asked Stripe for', async () => {
    const intent = await api.call(client.key, {
      method: 'POST', url: `/v1/clients/${client.id}/donations/intents`,
      payload: { donor_id: donors[1], amount: 12.5, idempotency_key: `read-back-${Date.now()}` },
    });
    expect(intent.statusCode).toBe(201);
    const payment = (await get(`/payments/${intent.json().payment_id}`)).json();
    expect(payment).toMatchObject({
      id: intent.json().payment_id, status: 'pending', amount: 12.5, amount_minor: 1250, currency: 'usd',
      stripe_payment_intent_id: intent.json().payment_intent_id, donor_id: donors[1], donation: null,
    });
  });
});
