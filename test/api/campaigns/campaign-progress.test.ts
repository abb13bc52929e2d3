import { isDeepStrictEqual } from 'node:util';
import { type ApiHarness, STRIPE_WEBHOOK_SECRET, insertKey, startApi } from '../support';
import { progressSql } from '../../../api/services/campaigns/campaign-progress';
import { type CampaignHarness, startCampaignHarness } from '../../support/campaign-harness';
import { stripeEvent, stripeSignature } from '../../support/provider-signing';

/**
 * Campaign progress (issue 11 item 4): the campaign view, the campaign list and the status show what
 * the campaign raised against its goal, in the client's currency and the API's major units. The gifts
 * arrive the product's own ways: offline gifts through the API, online ones through a PaymentIntent and
 * Stripe's signed webhooks (applied by the worker), a refund through charge.refunded.
 */
describe('campaign progress', () => {
  let h: CampaignHarness;
  let api: ApiHarness;
  let attempt = 0;

  /** A client made through the API (reporting currency and RFM rate), its key and three donors. */
  const newClient = async (name: string, currency?: { code: string; rate: number }) => {
    const response = await api.call(api.operatorKey, {
      method: 'POST', url: '/v1/clients',
      payload: { name, ...(currency ? { reporting_currency: currency.code, rfm_tier_rate: currency.rate } : {}) },
    });
    expect(response.statusCode).toBe(201);
    const { id } = response.json() as { id: string };
    const donors = await api.fixtures.donors(id, ['a', 'b', 'c'].map((who) => ({ email: `${who}-${id.slice(0, 8)}@donors.test` })));
    return { id, key: await insertKey(api.fixtures, id), donors };
  };
  type TestClient = Awaited<ReturnType<typeof newClient>>;

  const newCampaign = async (client: TestClient, goal?: number) => {
    const response = await api.call(client.key, {
      method: 'POST', url: `/v1/clients/${client.id}/campaigns`, payload: { name: `Campaign ${++attempt}`, ...(goal ? { goal_amount: goal } : {}) },
    });
    expect(response.statusCode).toBe(201);
    return (response.json() as { id: string }).id;
  };
  const offlineGift = async (client: TestClient, body: Record<string, unknown>) => {
    const response = await api.call(client.key, { method: 'POST', url: `/v1/clients/${client.id}/donations`, payload: body });
    expect(response.statusCode).toBe(201);
  };
  const deliver = async (event: { id: string }) => {
    const payload = JSON.stringify(event);
    const response = await api.request({
      method: 'POST', url: '/webhooks/stripe', payload,
      headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature(payload, STRIPE_WEBHOOK_SECRET) },
    });
    expect(response.statusCode).toBe(200);
    await api.app.temporal.workflow.getHandle(`stripe-event-${event.id}`).result();
  };
  /** A gift paid online: a PaymentIntent through the API, then Stripe's payment_intent.succeeded (and charge.refunded when asked). */
  const onlineGift = async (client: TestClient, donorId: string, campaignId: string, amount: number, refunded = false) => {
    const response = await api.call(client.key, {
      method: 'POST', url: `/v1/clients/${client.id}/donations/intents`,
      payload: { donor_id: donorId, campaign_id: campaignId, amount, idempotency_key: `progress-${++attempt}` },
    });
    expect(response.statusCode).toBe(201);
    const { payment_id: paymentId, payment_intent_id: intentId } = response.json() as { payment_id: string; payment_intent_id: string };
    const intent = {
      id: intentId, object: 'payment_intent', amount: Math.round(amount * 100), currency: 'usd',
      metadata: { client_id: client.id, donor_id: donorId, campaign_id: campaignId, payment_id: paymentId },
    };
    await deliver(stripeEvent('payment_intent.succeeded', { ...intent, status: 'succeeded' }));
    if (refunded) {
      await deliver(stripeEvent('charge.refunded', {
        id: `ch_${intentId}`, object: 'charge', payment_intent: intentId, amount: intent.amount, amount_refunded: intent.amount, currency: 'usd', metadata: {},
      }));
    }
  };
  /** A monthly gift started from the campaign, as the checkout webhook records it (Stripe subscription). */
  const monthlyGift = (client: TestClient, donorId: string, campaignId: string, status: 'active' | 'cancelled') => api.fixtures.query(
    `insert into recurring_gifts (client_id, donor_id, campaign_id, step_number, stripe_subscription_id, amount, currency, status)
     values ($1, $2, $3, 12, $4, 1500, 'usd', $5)`, [client.id, donorId, campaignId, `sub_progress_${++attempt}`, status]);

  const progressOf = async (client: TestClient, campaignId: string) => {
    const [view, list] = await Promise.all([
      api.call(client.key, { url: `/v1/clients/${client.id}/campaigns/${campaignId}` }),
      api.call(client.key, { url: `/v1/clients/${client.id}/campaigns?limit=100` }),
    ]);
    expect([view.statusCode, list.statusCode]).toEqual([200, 200]);
    const listed = (list.json() as { items: { id: string; progress: unknown }[] }).items.find((c) => c.id === campaignId)!;
    // The three say the same; the status's database side may be up to a second old (STORED_FRESH_MS).
    expect(listed.progress).toEqual(view.json().progress);
    const statusProgress = async () => {
      const status = await api.call(client.key, { url: `/v1/clients/${client.id}/campaigns/${campaignId}/status` });
      expect(status.statusCode).toBe(200);
      return status.json().progress as unknown;
    };
    let progress = await statusProgress();
    for (const deadline = Date.now() + 3_000; !isDeepStrictEqual(progress, view.json().progress) && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      progress = await statusProgress();
    }
    expect(progress).toEqual(view.json().progress);
    return view.json().progress as Record<string, unknown>;
  };

  beforeAll(async () => {
    h = await startCampaignHarness();
    api = await startApi({ db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue: h.temporal.taskQueue } });
  });
  afterAll(async () => {
    await api?.close();
    await h?.close();
  });

  it('counts the succeeded gifts attributed to the campaign, not pending, refunded or other campaigns\' ones, in USD major units', async () => {
    const client = await newClient('Progress Dollars');
    const [a, b, c] = client.donors;
    const campaignId = await newCampaign(client, 2000);
    const otherCampaign = await newCampaign(client);

    expect(await progressOf(client, campaignId)).toEqual({
      currency: 'usd', goal_amount: 2000, raised: 0, share_of_goal: 0, gifts: 0, donors: 0, average_gift: null, monthly_donors_started: 0,
    });

    await offlineGift(client, { donor_id: a, campaign_id: campaignId, amount: 100 });
    await offlineGift(client, { donor_id: a, campaign_id: campaignId, amount: 50.25 });
    await offlineGift(client, { donor_id: b, campaign_id: campaignId, amount: 30, status: 'pending' }); // not yet money
    await offlineGift(client, { donor_id: b, campaign_id: otherCampaign, amount: 500 });                // another campaign's
    await offlineGift(client, { donor_id: c, amount: 20 });                                              // nobody's campaign
    await onlineGift(client, b, campaignId, 75);
    await onlineGift(client, c, campaignId, 40, true); // refunded: counts for nothing
    await monthlyGift(client, a, campaignId, 'active');
    await monthlyGift(client, c, campaignId, 'cancelled'); // started here, cancelled since: still started
    await monthlyGift(client, b, otherCampaign, 'active');

    // 100 + 50.25 + 75 = 225.25 from donors a and b in three gifts: average 75.0833 → 75.08; 225.25 / 2000 = 0.1126.
    expect(await progressOf(client, campaignId)).toEqual({
      currency: 'usd', goal_amount: 2000, raised: 225.25, share_of_goal: 0.1126, gifts: 3, donors: 2, average_gift: 75.08, monthly_donors_started: 2,
    });
    expect(await progressOf(client, otherCampaign)).toEqual({
      currency: 'usd', goal_amount: null, raised: 500, share_of_goal: null, gifts: 1, donors: 1, average_gift: 500, monthly_donors_started: 1,
    });
    // The refunded gift is recorded, and refunded: the sum left it out, it did not miss it.
    const [{ n }] = await api.fixtures.query<{ n: number }>(
      `select count(*)::int as n from donations where campaign_id = $1 and status = 'refunded'`, [campaignId]);
    expect(n).toBe(1);
  }, 60_000);

  it('states a zero-decimal client\'s progress in whole yen, and a three-decimal one\'s in dinars to the fils', async () => {
    const yen = await newClient('Progress Yen', { code: 'jpy', rate: 150 });
    const yenCampaign = await newCampaign(yen, 100_000);
    await offlineGift(yen, { donor_id: yen.donors[0], campaign_id: yenCampaign, amount: 5000 });
    await offlineGift(yen, { donor_id: yen.donors[1], campaign_id: yenCampaign, amount: 3001 });
    expect(await progressOf(yen, yenCampaign)).toEqual({
      currency: 'jpy', goal_amount: 100_000, raised: 8001, share_of_goal: 0.08, gifts: 2, donors: 2, average_gift: 4001, monthly_donors_started: 0,
    });

    const dinars = await newClient('Progress Dinars', { code: 'kwd', rate: 0.31 });
    const kwdCampaign = await newCampaign(dinars, 100);
    for (const amount of [1.234, 2.5, 0.011]) await offlineGift(dinars, { donor_id: dinars.donors[0], campaign_id: kwdCampaign, amount });
    // 3.745 KWD in three gifts: 1.24833… → 1.248.
    expect(await progressOf(dinars, kwdCampaign)).toMatchObject({ currency: 'kwd', raised: 3.745, gifts: 3, donors: 1, average_gift: 1.248 });
  }, 30_000);

  it('reads only the campaign\'s own gifts, through the index, however many gifts the client has', async () => {
    const client = await newClient('Progress Plan');
    const [campaignId, busyCampaign] = [await newCampaign(client), await newCampaign(client)];
    await offlineGift(client, { donor_id: client.donors[0], campaign_id: campaignId, amount: 10 });
    await api.fixtures.query(
      `insert into donations (client_id, donor_id, campaign_id, amount, currency)
       select $1, $2, $3, 1 + i % 100, 'usd' from generate_series(1, 20000) i`, [client.id, client.donors[1], busyCampaign]);
    await api.fixtures.query('vacuum analyze donations');
    const plan = (await api.fixtures.query<{ 'QUERY PLAN': string }>(
      `explain select ${progressSql('c')} from campaigns c where c.id = $1`, [campaignId])).map((row) => row['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Index Only Scan using idx_donations_campaign_succeeded on donations/);
    expect(plan).not.toMatch(/Seq Scan on donations/);
    expect(await progressOf(client, campaignId)).toMatchObject({ raised: 10, gifts: 1 });
  }, 30_000);
});
