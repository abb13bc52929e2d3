import { pageTypeStats } from '../../api/services/activation/version-stats';
import { withClient } from '../../domain/db/tenancy';
import { activationWorkflowId } from '../../workflows/activation/activation-definitions';
import { startClientActivation } from '../../workflows/activation/activation-lifecycle';
import { type ApiHarness, STRIPE_WEBHOOK_SECRET, startApi } from '../api/support';
import { type ActivationClient, activationClient, agreementForm } from '../support/activation';
import { type CampaignHarness, eventually, startCampaignHarness } from '../support/campaign-harness';
import { shuffled, stripeEvent, stripeSignature } from '../support/provider-signing';

/**
 * The activation payment's webhook (issue 16 item 3) with the real pieces: the page starts the Checkout
 * Session on stripe-mock, signed Stripe events go through POST /webhooks/stripe to the Stripe event
 * workflow on a worker, which records the payment against its content version and moves the client
 * pending -> active -> paid (or failed), replayed and out of order alike.
 */
describe('activation payments', () => {
  let h: CampaignHarness;
  let api: ApiHarness;
  const HTML = { accept: 'text/html', 'user-agent': 'jest-payer' };

  /** Opens the agreement page and accepts it, as the client would: the payment row the page stored, and the events Stripe would send for it. */
  const accept = async (a: ActivationClient) => {
    const page = await api.request({ url: `/activate/${a.token}/agreement`, headers: HTML });
    const form = agreementForm(page);
    const response = await api.request({
      method: 'POST', url: `/activate/${a.token}/agreement`, payload: new URLSearchParams({ ...form.fields, accept: 'yes' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie, ...HTML },
    });
    expect(response.statusCode).toBe(303);
    const [payment] = await api.fixtures.query<{ id: string; acceptance_id: string; amount: number }>(
      'select id, acceptance_id, amount from payments where client_id = $1 order by created_at desc limit 1', [a.clientId]);
    const intent = {
      id: `pi_${payment.id.replace(/-/g, '').slice(0, 24)}`, object: 'payment_intent', amount: payment.amount, currency: 'usd',
      metadata: { purpose: 'activation', client_id: a.clientId, payment_id: payment.id, acceptance_id: payment.acceptance_id,
        content_version_id: a.versions.agreement, activation_version_id: a.versions.activation },
    };
    return {
      payment,
      succeeded: () => stripeEvent('payment_intent.succeeded', { ...intent, status: 'succeeded' }),
      failed: () => stripeEvent('payment_intent.payment_failed', { ...intent, status: 'requires_payment_method', last_payment_error: { message: 'Your card was declined.' } }),
    };
  };
  const deliver = async (events: { id: string }[]) => {
    for (const event of events) {
      const payload = JSON.stringify(event);
      const response = await api.request({
        method: 'POST', url: '/webhooks/stripe', payload,
        headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature(payload, STRIPE_WEBHOOK_SECRET) },
      });
      expect(response.statusCode).toBe(200);
    }
    await Promise.all(events.map((event) => h.temporal.client.workflow.getHandle(`stripe-event-${event.id}`).result()));
  };
  const state = async (a: ActivationClient) => {
    const [client] = await api.fixtures.query<{ status: string }>('select status from clients where id = $1', [a.clientId]);
    const payments = await api.fixtures.query<{ status: string; content_version_id: string; failure_reason: string | null }>(
      'select status, content_version_id, failure_reason from payments where client_id = $1', [a.clientId]);
    return { status: client.status, payments };
  };

  beforeAll(async () => {
    h = await startCampaignHarness();
    api = await startApi({ db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue: h.temporal.taskQueue } });
  });
  afterAll(async () => {
    await api?.close();
    await h?.close();
  });

  it('records one succeeded payment against the agreement version, the client paid, whatever the order and however often the events come', async () => {
    const a = await activationClient(api.fixtures, 'Replay Org');
    const { payment, succeeded, failed } = await accept(a);
    expect((await state(a)).status).toBe('active');
    const success = succeeded();
    // The success, a late failure of an earlier attempt, and the success redelivered twice, shuffled.
    await deliver(shuffled([success, failed(), success, success], 7));
    // (A decline before the success is an earlier attempt of the same intent: its reason is kept, the success stands.)
    expect(await state(a)).toEqual({ status: 'paid', payments: [expect.objectContaining({ status: 'succeeded', content_version_id: a.versions.agreement })] });
    const [{ n }] = await api.fixtures.query<{ n: number }>(`select count(*)::int as n from processed_webhook_events where client_id = $1`, [a.clientId]);
    expect(n).toBe(2);
    // Which version converts: the payment counts for the agreement accepted and the activation version shown before it.
    const stats = await withClient(h.orm.em, a.clientId, async (em) => [
      ...await pageTypeStats(em, 'activation', { limit: 10, offset: 0 }), ...await pageTypeStats(em, 'agreement', { limit: 10, offset: 0 })]);
    expect(Object.fromEntries(stats.map((s) => [s.version_id, [s.acceptances, s.payments]]))).toEqual({
      [a.versions.activation]: [1, 1], [a.versions.agreement]: [1, 1] });
    expect(payment.amount).toBe(50_000);
  });

  it('marks a failed payment failed; the client may accept again and pay, and paid is final', async () => {
    const a = await activationClient(api.fixtures, 'Retry Org');
    const first = await accept(a);
    await deliver([first.failed()]);
    expect(await state(a)).toEqual({ status: 'failed', payments: [expect.objectContaining({ status: 'failed', failure_reason: 'Your card was declined.' })] });
    const back = await api.request({ url: `/activate/${a.token}/processing`, headers: HTML });
    expect([back.statusCode, back.headers.location]).toEqual([303, `/activate/${a.token}/agreement`]);
    const second = await accept(a);
    expect((await state(a)).status).toBe('active');
    await deliver([second.succeeded()]);
    await deliver([first.failed()]); // a new failure event of the first attempt, after the success
    const after = await state(a);
    expect(after.status).toBe('paid');
    expect(after.payments.map((p) => p.status).sort()).toEqual(['failed', 'succeeded']);
  });

  it('tells the client\'s activation workflow, which ends paid', async () => {
    const a = await activationClient(api.fixtures, 'Workflow Org');
    await startClientActivation({ temporal: h.temporal.client, taskQueue: h.temporal.taskQueue }, a.clientId, 'Workflow Org');
    const handle = h.temporal.client.workflow.getHandle(activationWorkflowId(a.clientId));
    const { succeeded } = await accept(a);
    await eventually(async () => ((await handle.query<{ status: string }>('activationProgress')).status === 'active' ? true : undefined), 10_000, 'status active');
    await deliver([succeeded()]);
    const result = await handle.result() as { status: string; reminded: boolean };
    expect(result).toEqual(expect.objectContaining({ status: 'paid', reminded: false }));
    const described = await handle.describe();
    expect(described.typedSearchAttributes.getAll().map((pair) => [pair.key.name, pair.value])).toEqual(
      expect.arrayContaining([['ClientId', a.clientId], ['ActivationStatus', 'paid']]));
  });
});
