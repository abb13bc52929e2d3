import { randomUUID } from 'node:crypto';
import { campaignAnalytics } from '../../activities/campaigns/campaign-completion';
import { type StripeEventInput, applyStripeEvent } from '../../activities/payments/stripe-events';
import { withClient } from '../../domain/db/tenancy';
import { type ApiHarness, STRIPE_WEBHOOK_SECRET, databaseFingerprint, startApi } from '../api/support';
import { type CampaignHarness, eventually, startCampaignHarness } from '../support/campaign-harness';
import { SendGridSigner, shuffled, stripeEvent, stripeSignature } from '../support/provider-signing';

/**
 * Stripe's webhook records payments and gifts through Temporal activities: signature checked on the
 * raw body, each event applied once however often and in whatever order it arrives.
 */
describe('Stripe webhook', () => {
  const signer = new SendGridSigner();
  let h: CampaignHarness;
  let api: ApiHarness;
  let client: { id: string; key: string };
  let donorId: string;
  let campaignId: string;
  let attempt = 0;

  /** A PaymentIntent created through the API (stripe-mock behind it), with the metadata Stripe would echo in events. */
  const newIntent = async (amount: number) => {
    const response = await api.call(client.key, {
      method: 'POST', url: `/v1/clients/${client.id}/donations/intents`,
      payload: { donor_id: donorId, campaign_id: campaignId, amount, idempotency_key: `webhook-test-${++attempt}` },
    });
    expect(response.statusCode).toBe(201);
    const { payment_id: paymentId, payment_intent_id: intentId } = response.json();
    const intent = {
      id: intentId, object: 'payment_intent', amount: Math.round(amount * 100), currency: 'usd',
      metadata: { client_id: client.id, donor_id: donorId, campaign_id: campaignId, payment_id: paymentId },
    };
    return {
      paymentId, intentId,
      succeeded: () => stripeEvent('payment_intent.succeeded', { ...intent, status: 'succeeded' }),
      failed: () => stripeEvent('payment_intent.payment_failed', { ...intent, status: 'requires_payment_method', last_payment_error: { message: 'Your card was declined.' } }),
      refunded: () => stripeEvent('charge.refunded', {
        id: `ch_${intentId}`, object: 'charge', payment_intent: intentId, amount: intent.amount, amount_refunded: intent.amount, currency: 'usd', metadata: {},
      }),
    };
  };
  const deliver = (event: object, signature?: string) => {
    const payload = JSON.stringify(event);
    return api.request({
      method: 'POST', url: '/webhooks/stripe', payload,
      headers: { 'content-type': 'application/json', 'stripe-signature': signature ?? stripeSignature(payload, STRIPE_WEBHOOK_SECRET) },
    });
  };
  const applied = (event: { id: string }) => api.app.temporal.workflow.getHandle(`stripe-event-${event.id}`).result();
  const deliverAndApply = async (events: { id: string }[]) => {
    for (const event of events) expect((await deliver(event)).statusCode).toBe(200);
    await Promise.all(events.map(applied));
  };
  const payment = async (paymentId: string) => {
    const [row] = await api.fixtures.query<{ status: string; failure_reason: string | null }>('select status, failure_reason from payments where id = $1', [paymentId]);
    return row;
  };
  const donationsOf = (intentId: string) => api.fixtures.query<{ amount: string; status: string; source: string; campaign_id: string; refunded_at: Date | null }>(
    'select amount, status, source, campaign_id, refunded_at from donations where stripe_payment_intent_id = $1', [intentId]);
  const scores = async () => {
    const [row] = await api.fixtures.query<{ f: number | null; segment: string | null }>('select rfm_frequency_score as f, rfm_segment as segment from donors where id = $1', [donorId]);
    return row;
  };

  beforeAll(async () => {
    h = await startCampaignHarness();
    api = await startApi({ db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue: h.temporal.taskQueue }, sendgridPublicKey: signer.publicKey });
    client = await api.client('Webhook Org');
    [donorId] = await api.fixtures.donors(client.id, [{ email: 'online@donors.test' }]);
    campaignId = await api.fixtures.track15Campaign(client.id);
  });
  afterAll(async () => {
    await api?.close();
    await h?.close();
  });

  it('records a succeeded gift once, attributed to its campaign, and rescores the donor', async () => {
    const gift = await newIntent(25);
    const event = gift.succeeded();
    const first = await deliver(event);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ received: true, duplicate: false, ignored: 0 });
    await applied(event);
    expect(await payment(gift.paymentId)).toEqual({ status: 'succeeded', failure_reason: null });
    expect(await donationsOf(gift.intentId)).toEqual([{ amount: '25.00', status: 'succeeded', source: 'stripe', campaign_id: campaignId, refunded_at: null }]);
    expect(await scores()).toEqual({ f: 1, segment: expect.any(String) });

    const again = await deliver(event);
    expect(again.json()).toEqual({ received: true, duplicate: true, ignored: 0 });
    expect(await donationsOf(gift.intentId)).toHaveLength(1);
  });

  it('records a failed payment with Stripe\'s reason and no gift', async () => {
    const gift = await newIntent(12.5);
    await deliverAndApply([gift.failed()]);
    expect(await payment(gift.paymentId)).toEqual({ status: 'failed', failure_reason: 'Your card was declined.' });
    expect(await donationsOf(gift.intentId)).toEqual([]);
  });

  it('a full refund marks the gift refunded and takes it out of RFM and the campaign\'s analytics', async () => {
    const [{ intent }] = await api.fixtures.query<{ intent: string }>(
      `select stripe_payment_intent_id as intent from donations where donor_id = $1 and status = 'succeeded'`, [donorId]);
    await api.fixtures.query(`insert into campaign_recipients (campaign_id, donor_id, client_id, recipient_group) values ($1, $2, $3, 'test')`, [campaignId, donorId, client.id]);
    const testGroup = async () => (await withClient(h.orm.em, client.id, (em) => campaignAnalytics(em, campaignId))).test;
    expect(await testGroup()).toMatchObject({ recipients: 1, conversions: 1, revenue: 25 });
    const refund = stripeEvent('charge.refunded', { id: 'ch_refund', object: 'charge', payment_intent: intent, amount: 2500, amount_refunded: 2500, currency: 'usd', metadata: {} });
    await deliverAndApply([refund]);
    expect(await donationsOf(intent)).toEqual([expect.objectContaining({ status: 'refunded', refunded_at: expect.any(Date) })]);
    expect(await scores()).toEqual({ f: null, segment: null });
    expect(await testGroup()).toMatchObject({ recipients: 1, conversions: 0, revenue: 0 });
  });

  it('the same events delivered three times, shuffled, end exactly as after one delivery', async () => {
    const [a, b, c] = [await newIntent(10), await newIntent(20), await newIntent(30)];
    // A succeeds (and a stale failure arrives late); B fails, then succeeds; C succeeds, then is refunded.
    const events = [a.succeeded(), a.failed(), b.failed(), b.succeeded(), c.succeeded(), c.refunded()];
    const state = async () => ({
      payments: await api.fixtures.query('select id, status, stripe_payment_intent_id from payments where id = any($1) order by id', [[a.paymentId, b.paymentId, c.paymentId]]),
      donations: await api.fixtures.query('select stripe_payment_intent_id, amount, status from donations where stripe_payment_intent_id = any($1) order by 1', [[a.intentId, b.intentId, c.intentId]]),
      recorded: await api.fixtures.query('select count(*)::int as n from processed_webhook_events where event_id = any($1)', [events.map((e) => e.id)]),
    });
    await deliverAndApply(shuffled(events, 1));
    const once = await state();
    expect(once.payments.map((p) => p.status)).toEqual([a, b, c].sort((x, y) => x.paymentId.localeCompare(y.paymentId))
      .map((gift) => (gift === c ? 'refunded' : 'succeeded')));
    expect(once.donations).toHaveLength(3);
    expect(Object.fromEntries(once.donations.map((d) => [d.stripe_payment_intent_id, [d.amount, d.status]]))).toEqual({
      [a.intentId]: ['10.00', 'succeeded'], [b.intentId]: ['20.00', 'succeeded'], [c.intentId]: ['30.00', 'refunded'],
    });
    expect(once.recorded).toEqual([{ n: 6 }]);

    for (const seed of [2, 3]) {
      for (const event of shuffled(events, seed)) expect((await deliver(event)).json()).toMatchObject({ duplicate: true });
    }
    expect(await state()).toEqual(once);
  });

  it('an event Temporal no longer remembers is still applied only once (the database records its id)', async () => {
    const gift = await newIntent(7);
    const event = gift.succeeded() as unknown as { id: string; created: number };
    const input: StripeEventInput = {
      eventId: event.id, type: 'payment_intent.succeeded', occurredAt: new Date().toISOString(), paymentIntentId: gift.intentId,
      amount: 700, currency: 'usd', metadata: { client_id: client.id, payment_id: gift.paymentId }, failureReason: null,
    };
    expect(await applyStripeEvent(h.activityDeps, input)).toMatchObject({ applied: true, paymentStatus: 'succeeded' });
    expect(await applyStripeEvent(h.activityDeps, input)).toEqual({ applied: false, ignored: null, paymentStatus: null, donationId: null });
    expect(await donationsOf(gift.intentId)).toHaveLength(1);
  });

  it('a refund that overtakes its success leaves the gift dated at the charge, with refunded_at set', async () => {
    const gift = await newIntent(40);
    const chargedAt = Math.floor(Date.now() / 1000) - 3_600;
    const refund = stripeEvent('charge.refunded', {
      id: `ch_${gift.intentId}`, object: 'charge', created: chargedAt, payment_intent: gift.intentId, amount: 4000, amount_refunded: 4000, currency: 'usd', metadata: {},
    });
    await deliverAndApply([refund, gift.succeeded()]);
    const [row] = await api.fixtures.query<{ status: string; donated_at: Date; refunded_at: Date | null }>(
      'select status, donated_at, refunded_at from donations where stripe_payment_intent_id = $1', [gift.intentId]);
    expect(row.status).toBe('refunded');
    expect(row.donated_at.getTime()).toBe(chargedAt * 1000);
    expect(row.refunded_at?.getTime()).toBeGreaterThan(chargedAt * 1000);
    expect(await payment(gift.paymentId)).toEqual({ status: 'refunded', failure_reason: null });
  });

  it('events the product did not cause, of every type it handles, are acknowledged and recorded as ignored (a refund without metadata after its waits)', async () => {
    const before = await api.fixtures.query('select count(*)::int as payments from payments');
    const foreignIntent = { id: 'pi_other_integration', object: 'payment_intent', amount: 9900, currency: 'usd' };
    const events = [
      stripeEvent('payment_intent.succeeded', { ...foreignIntent, status: 'succeeded', metadata: { order_id: '1234' } }),
      stripeEvent('payment_intent.payment_failed', { ...foreignIntent, status: 'requires_payment_method', metadata: {}, last_payment_error: { message: 'declined' } }),
      stripeEvent('charge.refunded', { id: 'ch_other', object: 'charge', payment_intent: 'pi_other_integration', amount: 9900, amount_refunded: 9900, currency: 'usd', metadata: {} }),
      // Another integration's own "client_id" is not one of the product's clients.
      stripeEvent('payment_intent.succeeded', { ...foreignIntent, id: 'pi_other_2', status: 'succeeded', metadata: { client_id: 'cus_42' } }),
      stripeEvent('payment_intent.succeeded', { ...foreignIntent, id: 'pi_other_3', status: 'succeeded', metadata: { client_id: '5b0c6c52-3c1e-4d7e-9d6e-6a1f4f0d8a11' } }),
    ];
    for (const event of events) {
      const response = await deliver(event);
      expect(response.statusCode).toBe(200);
      const handle = api.app.temporal.workflow.getHandle(`stripe-event-${event.id}`);
      expect(await handle.result()).toEqual({ applied: false, ignored: expect.stringMatching(/not caused by the product/), paymentStatus: null, donationId: null });
      // Done on the first attempt: nothing was retried. A refund without metadata first waits for its
      // payment (the harness's three short waits), in case its invoice.paid comes later.
      const history = await handle.fetchHistory();
      expect(history.events?.filter((e) => e.activityTaskScheduledEventAttributes).length).toBe(event.type === 'charge.refunded' ? 4 : 1);
      expect(history.events?.find((e) => e.activityTaskStartedEventAttributes)?.activityTaskStartedEventAttributes?.attempt).toBe(1);
    }
    const recorded = await api.fixtures.query<{ outcome: string; client_id: string | null }>(
      'select outcome, client_id from processed_webhook_events where event_id = any($1)', [events.map((event) => event.id)]);
    expect(recorded).toEqual(events.map(() => ({ outcome: 'ignored', client_id: null })));
    expect(await api.fixtures.query('select count(*)::int as payments from payments')).toEqual(before);
    expect((await deliver(events[0])).json()).toMatchObject({ duplicate: true });
  });

  it('refuses forged, altered, unsigned and stale requests with 400, writing nothing', async () => {
    const gift = await newIntent(50);
    const event = gift.succeeded();
    const payload = JSON.stringify(event);
    const before = await databaseFingerprint(api.fixtures);
    const refusals = [
      await deliver(event, stripeSignature(payload, 'whsec_not_the_secret')),
      await deliver({ ...event, id: 'evt_altered' }, stripeSignature(payload, STRIPE_WEBHOOK_SECRET)),
      await deliver(event, stripeSignature(payload, STRIPE_WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 600)),
      await api.request({ method: 'POST', url: '/webhooks/stripe', payload, headers: { 'content-type': 'application/json' } }),
    ];
    for (const refusal of refusals) {
      expect(refusal.statusCode).toBe(400);
      expect(refusal.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refusal.json().errors[0].field).toBe('header.stripe-signature');
    }
    await expect(api.app.temporal.workflow.getHandle(`stripe-event-${event.id}`).describe()).rejects.toThrow(/not found/i);
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
  });

  it('Stripe and SendGrid events received while the worker is down are applied once it is back', async () => {
    const gift = await newIntent(15);
    const event = gift.succeeded();
    // A fresh event id: the batch's workflow id is a digest of its event ids, and Temporal may outlive one run.
    const sgEventId = `while-down-${randomUUID()}`;
    const unsubscribe = JSON.stringify([{
      email: 'online@donors.test', timestamp: Math.floor(Date.now() / 1000), event: 'unsubscribe', sg_event_id: sgEventId, client_id: client.id, donor_id: donorId,
    }]);
    const optedOut = async () => (await api.fixtures.query('select 1 from notification_preferences where donor_id = $1 and unsubscribed_at is not null', [donorId])).length;
    const sendgrid = () => api.request({ method: 'POST', url: '/webhooks/sendgrid', payload: unsubscribe, headers: signer.headers(unsubscribe) });
    await h.temporal.stopWorker();
    expect((await deliver(event)).json()).toEqual({ received: true, duplicate: false, ignored: 0 });
    expect((await deliver(event)).json()).toEqual({ received: true, duplicate: true, ignored: 0 });
    expect((await sendgrid()).json()).toEqual({ received: true, duplicate: false, ignored: 0, malformed: 0 });
    expect((await sendgrid()).json()).toEqual({ received: true, duplicate: true, ignored: 0, malformed: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await donationsOf(gift.intentId)).toEqual([]);
    expect(await optedOut()).toBe(0);

    await h.temporal.startWorker();
    await applied(event);
    expect(await donationsOf(gift.intentId)).toEqual([expect.objectContaining({ amount: '15.00', status: 'succeeded' })]);
    expect(await payment(gift.paymentId)).toEqual({ status: 'succeeded', failure_reason: null });
    await eventually(async () => ((await optedOut()) === 1 ? true : undefined), 15_000, 'the queued SendGrid batch');
    const [{ n }] = await api.fixtures.query<{ n: number }>(`select count(*)::int as n from processed_webhook_events where event_id = $1`, [sgEventId]);
    expect(n).toBe(1);
  });
});
