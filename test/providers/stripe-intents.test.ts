import { createStripe } from '../../activities/payments/stripe';
import { type ApiHarness, STRIPE_MOCK_URL, startApi } from '../api/support';
import { FaultProxy } from '../fakes/fault-proxy';

/**
 * Online gifts start as Stripe PaymentIntents, created through a fault-injecting proxy in front of
 * stripe-mock: however many retries the faults cause, Stripe sees one idempotency key per donation
 * attempt, one payment is recorded, and the caller gets the same answer every time.
 */
describe('donation intents through a faulty network', () => {
  let proxy: FaultProxy;
  let api: ApiHarness;
  let client: { id: string; key: string };
  let donorId: string;
  let campaignId: string;

  const createIntent = (body: Record<string, unknown>) =>
    api.call(client.key, { method: 'POST', url: `/v1/clients/${client.id}/donations/intents`, payload: { donor_id: donorId, ...body } });
  const payments = () => api.fixtures.query<{ id: string; stripe_payment_intent_id: string | null; idempotency_key: string; amount: number; status: string }>(
    'select id, stripe_payment_intent_id, idempotency_key, amount, status from payments where client_id = $1 order by created_at', [client.id]);
  const createsFor = (key: string) => proxy.received.filter((r) => r.method === 'POST' && r.path === '/v1/payment_intents' && r.idempotencyKey === `donation:${client.id}:${key}`);

  beforeAll(async () => {
    proxy = await FaultProxy.start(STRIPE_MOCK_URL);
    // A short timeout so a slow answer counts as lost, and retries enough to outlast the injected faults.
    api = await startApi({ stripe: createStripe({ secretKey: 'sk_test_123', apiBase: proxy.url, timeoutMs: 800, maxNetworkRetries: 4 }) });
    client = await api.client('Gifts Org');
    [donorId] = await api.fixtures.donors(client.id, [{ email: 'giver@donors.test', first_name: 'Gia' }]);
    campaignId = await api.fixtures.track15Campaign(client.id);
  });
  afterAll(async () => {
    await api?.close();
    await proxy?.stop();
  });

  it('a reset, a 500 and a late answer still make one intent, one payment, one idempotency key', async () => {
    proxy.failNext('reset', 'error500', { slowMs: 2_000 });
    const response = await createIntent({ campaign_id: campaignId, amount: 25, idempotency_key: 'gift-attempt-0001' });
    expect(response.statusCode).toBe(201);
    const intent = response.json();
    expect(intent).toMatchObject({ amount: 25, currency: 'usd', status: 'pending', replayed: false, payment_intent_id: expect.stringMatching(/^pi_/) });

    const attempts = proxy.received.filter((r) => r.method === 'POST' && r.path === '/v1/payment_intents');
    expect(attempts.map((r) => r.fault)).toEqual(['reset', 'error500', 'slow', null]);
    expect(new Set(attempts.map((r) => r.idempotencyKey))).toEqual(new Set([`donation:${client.id}:gift-attempt-0001`]));
    expect(await payments()).toEqual([{
      id: intent.payment_id, stripe_payment_intent_id: intent.payment_intent_id,
      idempotency_key: `donation:${client.id}:gift-attempt-0001`, amount: 2500, status: 'pending',
    }]);

    // The caller retries (its own timeout, say): the same intent comes back and Stripe creates nothing.
    const again = await createIntent({ campaign_id: campaignId, amount: 25, idempotency_key: 'gift-attempt-0001' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ payment_id: intent.payment_id, payment_intent_id: intent.payment_intent_id, replayed: true });
    expect(createsFor('gift-attempt-0001')).toHaveLength(4);
    expect(await payments()).toHaveLength(1);
  }, 30_000);

  it('concurrent retries of one attempt answer with one intent', async () => {
    proxy.failNext({ slowMs: 1_500 });
    const answers = await Promise.all([1, 2, 3].map(() => createIntent({ amount: 10, idempotency_key: 'gift-attempt-0002' })));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 201]);
    const intentIds = new Set(answers.map((a) => a.json().payment_intent_id));
    expect(intentIds.size).toBe(1);
    const [stored] = (await payments()).filter((p) => p.idempotency_key.endsWith(':gift-attempt-0002'));
    expect(intentIds).toEqual(new Set([stored.stripe_payment_intent_id]));
    expect((await payments()).filter((p) => p.idempotency_key.endsWith(':gift-attempt-0002'))).toHaveLength(1);
    expect(new Set(createsFor('gift-attempt-0002').map((r) => r.idempotencyKey)).size).toBe(1);
  }, 30_000);

  it('an outage that outlasts the retries is a 502 to retry; the retry completes the same payment', async () => {
    proxy.failNext(...Array.from({ length: 5 }, () => 'error500' as const));
    const failed = await createIntent({ amount: 40, idempotency_key: 'gift-attempt-0003' });
    expect(failed.statusCode).toBe(502);
    expect(failed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(failed.json().detail).toMatch(/same idempotency_key/);

    const retried = await createIntent({ amount: 40, idempotency_key: 'gift-attempt-0003' });
    expect(retried.statusCode).toBe(200);
    const rows = (await payments()).filter((p) => p.idempotency_key.endsWith(':gift-attempt-0003'));
    expect(rows).toEqual([expect.objectContaining({ id: retried.json().payment_id, stripe_payment_intent_id: retried.json().payment_intent_id })]);
    expect(new Set(createsFor('gift-attempt-0003').map((r) => r.idempotencyKey)).size).toBe(1);
  }, 30_000);

  it('refuses a key reused for a different gift, naming the field, and records nothing', async () => {
    const before = await payments();
    const reused = await createIntent({ amount: 99, idempotency_key: 'gift-attempt-0001' });
    expect(reused.statusCode).toBe(409);
    expect(reused.json().errors).toEqual([{ field: 'body.idempotency_key', message: 'already used for a different donation' }]);
    expect(await payments()).toEqual(before);
  });

  it('names the bad field of an invalid request and records nothing', async () => {
    const before = await payments();
    const bad = await createIntent({ amount: -5, idempotency_key: 'short' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.amount', 'body.idempotency_key']);
    expect(await payments()).toEqual(before);
  });
});
