import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type ApiHarness, STRIPE_MOCK_URL, STRIPE_WEBHOOK_SECRET, startApi } from '../../api/support';
import { FaultProxy } from '../../fakes/fault-proxy';
import { type CampaignHarness, eventually, startCampaignHarness } from '../../support/campaign-harness';
import { workerMetricsEnv } from '../../support/ports';
import { stripeEvent, stripeSignature } from '../../support/provider-signing';
import { TEMPORAL_ADDRESS } from '../../support/temporal';

/**
 * Issue 17 item 5: cancelling an event refunds every paid ticket through a workflow. The worker process
 * is killed with SIGKILL while Stripe (stripe-mock behind a slow proxy) holds refund requests, and started
 * again: every ticket is refunded under its own idempotency key (never a second key for a ticket), every
 * buyer is emailed exactly once, and charge.refunded then marks the tickets refunded.
 */
describe('an event cancelled while its worker is killed', () => {
  let h: CampaignHarness;
  let api: ApiHarness;
  let stripe: FaultProxy;
  let metricsEnv: Record<string, string>;
  let worker: ChildProcess | null = null;
  const taskQueue = `cancel-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    h = await startCampaignHarness();
    stripe = await FaultProxy.start(STRIPE_MOCK_URL);
    metricsEnv = await workerMetricsEnv();
    api = await startApi({ db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue } });
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await api?.close();
    await stripe?.stop();
    await h?.close();
  });

  // `node --import tsx` runs the worker in this very process, so SIGKILL reaches the worker itself.
  const startWorker = (): ChildProcess => spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../../../workflows/worker.ts')], {
    env: {
      ...process.env, ...metricsEnv, DATABASE_URL: h.db.appUrl, TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE: taskQueue, SENDGRID_BASE_URL: h.sink.url,
      STRIPE_API_BASE: stripe.url, UNSUBSCRIBE_SIGNING_SECRET: 'cancel-test-secret-cancel-test-secret-123', LOG_LEVEL: 'silent',
    },
    stdio: 'ignore',
  });

  it('refunds every paid ticket once and emails each buyer once across the crash', async () => {
    const client = await api.client('Cancelled Gala Org');
    const call = (method: string, url: string, payload?: unknown) => api.call(client.key, { method, url: `/v1/clients/${client.id}${url}`, payload });
    const event = (await call('POST', '/events', { name: 'Harbour Gala', starts_at: '2027-06-01T19:00:00Z', status: 'published' })).json();
    const type = (await call('POST', `/events/${event.id}/ticket-types`, { name: 'Seat', price: 120, currency: 'usd', capacity: 50 })).json();
    worker = startWorker();

    // Eight buyers with two seats each; the first buys a second order too; one more order is never paid.
    const [repeatDonor] = await h.fixtures.donors(client.id, [{ email: 'repeat@donors.test', first_name: 'Rita' }]);
    const buyers = [{ donor_id: repeatDonor }, ...[...Array(7)].map((_, i) => ({ buyer: { email: `guest-${i}@donors.test` } })), { donor_id: repeatDonor }];
    const orders: { id: string; intent: string }[] = [];
    for (const buyer of buyers) {
      const response = await call('POST', `/events/${event.id}/orders`, {
        ...buyer, items: [{ ticket_type_id: type.id, quantity: 2 }], success_url: 'https://gala.test/ok', cancel_url: 'https://gala.test/no', idempotency_key: randomUUID(),
      });
      expect(response.statusCode).toBe(201);
      orders.push({ id: response.json().id, intent: `pi_${randomBytes(8).toString('hex')}` });
    }
    const unpaid = (await call('POST', `/events/${event.id}/orders`, {
      buyer: { email: 'late@donors.test' }, items: [{ ticket_type_id: type.id, quantity: 1 }], success_url: 'https://gala.test/ok', cancel_url: 'https://gala.test/no', idempotency_key: randomUUID(),
    })).json();
    const deliver = async (body: { id: string }) => {
      const payload = JSON.stringify(body);
      const response = await api.request({
        method: 'POST', url: '/webhooks/stripe', payload,
        headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature(payload, STRIPE_WEBHOOK_SECRET) },
      });
      expect(response.statusCode).toBe(200);
      return h.temporal.client.workflow.getHandle(`stripe-event-${body.id}`).result();
    };
    for (const order of orders) {
      await deliver(stripeEvent('checkout.session.completed', {
        id: `cs_${randomBytes(6).toString('hex')}`, object: 'checkout.session', payment_status: 'paid', payment_intent: order.intent, amount_total: 24000,
        currency: 'usd', metadata: { purpose: 'ticket_order', client_id: client.id, order_id: order.id },
      }));
    }
    await eventually(async () => (h.sink.deliveries().length >= orders.length ? true : undefined), 60_000, 'the receipts');
    const receipts = h.sink.deliveries().length;

    // Every refund Stripe is asked for now answers only after 1.5 s: the kill lands while some are in flight.
    stripe.failNext(...[...Array(18)].map(() => ({ slowMs: 1_500 })));
    const cancel = await call('POST', `/events/${event.id}/cancel`, { reason: 'The harbour is flooded.' });
    expect(cancel.statusCode).toBe(202);
    expect(cancel.json().workflow_id).toBe(`event-cancellation-${event.id}`);
    // Sales stop at once.
    expect((await call('POST', `/events/${event.id}/orders`, { buyer: { email: 'after@donors.test' }, items: [{ ticket_type_id: type.id, quantity: 1 }], success_url: 'https://gala.test/ok', cancel_url: 'https://gala.test/no', idempotency_key: randomUUID() })).statusCode).toBe(409);
    const refunds = () => stripe.received.filter((request) => request.method === 'POST' && request.path.startsWith('/v1/refunds'));
    await eventually(async () => (refunds().length >= 3 ? true : undefined), 60_000, 'refunds in flight');
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker!.once('exit', resolve));
    const [{ done }] = await h.fixtures.query<{ done: number }>(
      `select count(*)::int as done from event_tickets where event_id = $1 and stripe_refund_id is not null`, [event.id]);
    expect(done).toBeLessThan(18);
    worker = startWorker();

    const result = await h.temporal.client.workflow.getHandle(`event-cancellation-${event.id}`).result();
    expect(result).toEqual({ released: 1, refunded: 18, notified: 8 });
    // One idempotency key per paid ticket, whatever was retried after the kill: Stripe makes one refund each.
    const tickets = await h.fixtures.query<{ id: string; stripe_refund_id: string | null; refund_requested_at: Date | null }>(
      `select id, stripe_refund_id, refund_requested_at from event_tickets where event_id = $1 and payment_id is not null`, [event.id]);
    expect(tickets).toHaveLength(18);
    expect(tickets.every((ticket) => ticket.stripe_refund_id !== null && ticket.refund_requested_at !== null)).toBe(true);
    expect(new Set(refunds().map((request) => request.idempotencyKey))).toEqual(new Set(tickets.map((ticket) => `ticket-refund:${ticket.id}`)));
    const [released] = await h.fixtures.query<{ status: string }>('select status from ticket_orders where id = $1', [unpaid.id]);
    expect(released.status).toBe('cancelled');
    // Each buyer is told once, with every ticket of theirs.
    const cancellations = h.sink.deliveries().slice(receipts).filter((delivery) => delivery.customArgs.mail_kind === 'cancellation');
    expect(cancellations.map((delivery) => delivery.to).sort()).toEqual(['repeat@donors.test', ...[...Array(7)].map((_, i) => `guest-${i}@donors.test`)].sort());
    const rita = h.sink.messageOf(cancellations.find((delivery) => delivery.to === 'repeat@donors.test')!);
    expect(rita.text).toContain('The harbour is flooded.');
    expect(rita.text).toContain('480.00 USD');

    // Stripe confirms each refund: the tickets are refunded and the seats free.
    for (const order of orders) {
      await deliver(stripeEvent('charge.refunded', {
        id: `ch_${randomBytes(6).toString('hex')}`, object: 'charge', payment_intent: order.intent, amount: 24000, amount_refunded: 24000, currency: 'usd',
        metadata: { purpose: 'ticket_order', client_id: client.id, order_id: order.id },
      }));
    }
    const summary = (await call('GET', `/events/${event.id}/summary`)).json();
    expect(summary).toMatchObject({ status: 'cancelled', ticket_types: [{ sold: 0, held: 0, refunded: 18, revenue: 0 }] });
  }, 240_000);
});
