import { randomBytes } from 'node:crypto';
import { createStripe } from '../../activities/payments/stripe';
import { signGiveToken } from '../../domain/giving/give-token';
import { FaultProxy } from '../fakes/fault-proxy';
import type { SinkDelivery } from '../fakes/sendgrid-sink';
import { type ApiHarness, STRIPE_MOCK_URL, STRIPE_WEBHOOK_SECRET, startApi } from '../api/support';
import { type CampaignHarness, PUBLIC_BASE_URL, UNSUBSCRIBE_SECRET, eventually, startCampaignHarness } from '../support/campaign-harness';
import { shuffled, stripeEvent, stripeSignature } from '../support/provider-signing';

const id = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;

/**
 * Issue 11 items 2, 3 and 5: the give page's Checkout Session (stripe-mock, behind a recording proxy),
 * then Stripe's signed webhooks, delivered three times, shuffled, record each gift once with its
 * campaign, step and donor; each gift gets one receipt email (the sink records it) with a number that
 * is gapless per client and year; a monthly gift gives one gift per paid invoice and is cancelled from
 * the manage link in its receipt; a refund voids the receipt and sends nothing, even one that Stripe
 * delivers before the month's invoice.paid, whose payment the product finds at Stripe when the event
 * does not include it.
 */
describe('gifts from the give page, through Stripe\'s webhooks', () => {
  let h: CampaignHarness;
  let api: ApiHarness;
  let proxy: FaultProxy;
  let client: { id: string; key: string };
  let campaignId: string;
  let donorId: string;
  const HTML = { accept: 'text/html' };

  const giveLink = (stepNumber: number, donor = donorId) => signGiveToken({
    clientId: client.id, campaignId, stepNumber, donorId: donor, expiresAt: Date.now() + 3_600_000,
  }, UNSUBSCRIBE_SECRET);
  /** Opens a public page and posts its form with its CSRF cookie and token, as a browser would. */
  const submit = async (path: string, fields: Record<string, string>) => {
    const page = await api.request({ url: path, headers: HTML });
    const cookie = (page.headers['set-cookie'] ?? '').split(';')[0];
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    return api.request({
      method: 'POST', url: path.split('?')[0], payload: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...HTML },
    });
  };
  /** Gives through a give link: the metadata the product sent Stripe for the session, read back from the proxy. */
  const give = async (link: string, amount: number, frequency: 'once' | 'monthly') => {
    const before = proxy.reachedServer().length;
    const answer = await submit(`/give/${link}`, { amount: String(amount), frequency });
    expect(answer.statusCode).toBe(303);
    const call = proxy.reachedServer().slice(before).find((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions')!;
    const sent = new URLSearchParams(call.body);
    const prefix = frequency === 'once' ? 'payment_intent_data[metadata]' : 'subscription_data[metadata]';
    const metadata = Object.fromEntries([...sent.entries()].flatMap(([key, value]) => {
      const match = /^metadata\[(\w+)\]$/.exec(key);
      return match ? [[match[1], value]] : [];
    }));
    expect(sent.get(`${prefix}[purpose]`)).toBe('gift');
    expect(metadata).toMatchObject({ purpose: 'gift', client_id: client.id });
    return { metadata, sent, idempotencyKey: call.idempotencyKey };
  };
  const deliver = (event: object) => {
    const payload = JSON.stringify(event);
    return api.request({
      method: 'POST', url: '/webhooks/stripe', payload,
      headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature(payload, STRIPE_WEBHOOK_SECRET) },
    });
  };
  const applied = (event: { id: string }) => h.temporal.client.workflow.getHandle(`stripe-event-${event.id}`).result();
  /** Each event three times, the whole lot shuffled; every delivery is answered 200 and every event applied. */
  const deliverThriceShuffled = async (events: { id: string }[], seed: number) => {
    const answers = [];
    for (const event of shuffled([...events, ...events, ...events], seed)) {
      const answer = await deliver(event);
      expect(answer.statusCode).toBe(200);
      answers.push(answer.json());
    }
    await Promise.all(events.map(applied));
    return answers;
  };
  const receiptsTo = (email: string) => h.sink.deliveries().filter((d) => d.to === email && d.customArgs.receipt_id);
  const receiptRows = () => api.fixtures.query<{ id: string; number: number; year: number; amount: number; voided_at: Date | null; email_status: string; email_skip_reason: string | null; recurring_gift_id: string | null; donation_id: string }>(
    'select id, number, year, amount, voided_at, email_status, email_skip_reason, recurring_gift_id, donation_id from receipts where client_id = $1 order by number', [client.id]);

  const sessionCompleted = (metadata: Record<string, string>, fields: Record<string, unknown>) => stripeEvent('checkout.session.completed', {
    id: id('cs_test'), object: 'checkout.session', metadata, currency: 'usd',
    customer_details: { email: 'giver@donors.test', name: 'Ada Giver' }, ...fields,
  });
  const invoicePaid = (metadata: Record<string, string>, subscription: string, invoice: string, intent: string, periodStart: number) => stripeEvent('invoice.paid', {
    id: invoice, object: 'invoice', status: 'paid', amount_paid: 2000, amount_due: 2000, currency: 'usd', customer_email: 'giver@donors.test',
    billing_reason: 'subscription_cycle', metadata: {},
    parent: { type: 'subscription_details', quote_details: null, subscription_details: { subscription, metadata } },
    lines: { object: 'list', data: [{ object: 'line_item', amount: 2000, currency: 'usd', metadata, period: { start: periodStart, end: periodStart + 30 * 86_400 } }] },
    payments: { object: 'list', data: [{ object: 'invoice_payment', payment: { type: 'payment_intent', payment_intent: intent } }] },
    status_transitions: { paid_at: periodStart },
  });

  beforeAll(async () => {
    // Refunds that come before their invoice.paid wait for it: a few seconds here (days in production).
    h = await startCampaignHarness({ unknownRefundWaitsMs: [500, 1000, 2000, 4000, 8000] });
    proxy = await FaultProxy.start(STRIPE_MOCK_URL);
    api = await startApi({
      db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue: h.temporal.taskQueue },
      stripe: createStripe({ secretKey: 'sk_test_123', apiBase: proxy.url }),
    });
    client = await api.client('Harbour Food Bank');
    campaignId = await api.fixtures.track15Campaign(client.id);
    [donorId] = await api.fixtures.donors(client.id, [{ email: 'giver@donors.test', first_name: 'Ada' }]);
    // A marketing unsubscribe never stops a receipt (transactional mail).
    await api.fixtures.unsubscribe(client.id, donorId, 'marketing');
  });
  afterAll(async () => {
    await api?.close();
    await proxy?.stop();
    await h?.close();
  });

  it('a one-time gift: session and intent events, three times each, shuffled, make one gift of the step, one receipt, one email', async () => {
    const { metadata, sent } = await give(giveLink(11), 5000, 'once');
    expect([sent.get('mode'), sent.get('line_items[0][price_data][unit_amount]'), sent.get('line_items[0][price_data][currency]')]).toEqual(['payment', '5000', 'usd']);
    const intent = id('pi');
    const events = [
      sessionCompleted(metadata, { mode: 'payment', payment_status: 'paid', status: 'complete', payment_intent: intent, amount_total: 5000 }),
      stripeEvent('payment_intent.succeeded', { id: intent, object: 'payment_intent', status: 'succeeded', amount: 5000, amount_received: 5000, currency: 'usd', metadata }),
    ];
    const answers = await deliverThriceShuffled(events, 7);
    expect(answers.filter((a) => !a.duplicate)).toHaveLength(2);

    const donations = await api.fixtures.query('select donor_id, campaign_id, step_number, amount, status, source from donations where stripe_payment_intent_id = $1', [intent]);
    expect(donations).toEqual([{ donor_id: donorId, campaign_id: campaignId, step_number: 11, amount: '50.00', status: 'succeeded', source: 'stripe' }]);
    const [receipt] = await receiptRows();
    expect(receipt).toMatchObject({ number: 1, year: new Date().getUTCFullYear(), amount: 5000, voided_at: null, recurring_gift_id: null });
    const mails = await eventually(async () => {
      const found = receiptsTo('giver@donors.test');
      return found.length > 0 ? found : undefined;
    });
    expect(mails).toHaveLength(1);
    const message = h.sink.messageOf(mails[0]);
    const number = `${receipt.year}-000001`;
    expect(mails[0].subject).toBe(`Your receipt ${number} from Harbour Food Bank`);
    for (const part of [number, '$50 USD', 'Harbour Food Bank', new Date().toLocaleDateString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' })]) {
      expect(message.text).toContain(part);
    }
    expect(message.text).not.toContain('/manage/');
    // No unsubscribe group: the marketing opt-out does not apply to receipts.
    expect(h.sink.mails().find((mail) => mail.body.custom_args?.receipt_id === receipt.id)?.body.asm).toBeUndefined();
    await eventually(async () => ((await receiptRows())[0].email_status === 'sent' ? true : undefined));

    const report = await api.call(client.key, { url: `/v1/clients/${client.id}/campaigns/${campaignId}/analytics` });
    expect(report.json().steps).toEqual([{ step_number: 11, conversions: 1, gifts: 1, revenue: 50 }]);
  });

  it('a monthly gift: each paid invoice is one gift (a replayed invoice is not), the manage link cancels it at Stripe, a deletion ends another', async () => {
    const { metadata, sent } = await give(giveLink(12), 2000, 'monthly');
    expect(sent.get('mode')).toBe('subscription');
    expect(sent.get('line_items[0][price]')).toBeTruthy();
    const subscription = id('sub');
    const [firstIntent, secondIntent] = [id('pi'), id('pi')];
    const month = 30 * 86_400;
    const start = Math.floor(Date.now() / 1000) - 3600;
    const firstInvoice = invoicePaid(metadata, subscription, id('in'), firstIntent, start);
    // Stripe sends the same invoice again under a new event id (a replay): still one gift.
    const replay = { ...firstInvoice, id: id('evt') };
    const events = [
      sessionCompleted(metadata, { mode: 'subscription', payment_status: 'paid', status: 'complete', subscription, payment_intent: null, amount_total: 2000 }),
      firstInvoice, replay, invoicePaid(metadata, subscription, id('in'), secondIntent, start - month),
    ];
    await deliverThriceShuffled(events, 11);

    const [gift] = await api.fixtures.query<{ id: string; status: string; donor_id: string; campaign_id: string; step_number: number; amount: number }>(
      'select id, status, donor_id, campaign_id, step_number, amount from recurring_gifts where stripe_subscription_id = $1', [subscription]);
    expect(gift).toMatchObject({ status: 'active', donor_id: donorId, campaign_id: campaignId, step_number: 12, amount: 2000 });
    const months = await api.fixtures.query('select amount, step_number, stripe_invoice_id is not null as invoiced from donations where recurring_gift_id = $1', [gift.id]);
    expect(months).toEqual([{ amount: '20.00', step_number: 12, invoiced: true }, { amount: '20.00', step_number: 12, invoiced: true }]);
    const receipts = (await receiptRows()).filter((r) => r.recurring_gift_id === gift.id);
    expect(receipts.map((r) => r.number)).toEqual([2, 3]);

    const mails = await eventually(async () => {
      const found = receiptsTo('giver@donors.test').filter((d) => receipts.some((r) => r.id === d.customArgs.receipt_id));
      return found.length === 2 ? found : undefined;
    });
    const manageUrl = (delivery: SinkDelivery) => /(http\S+\/manage\/[\w.-]+)/.exec(h.sink.messageOf(delivery).text ?? '')?.[1];
    expect(mails.map(manageUrl).every((url) => url?.startsWith(`${PUBLIC_BASE_URL}/manage/`))).toBe(true);

    // The manage page asks first (a GET changes nothing), then cancels at Stripe on the confirmation.
    const path = new URL(manageUrl(mails[0])!).pathname;
    const page = await api.request({ url: path, headers: HTML });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('$20');
    const before = proxy.reachedServer().length;
    const confirmed = await submit(`${path}?step=confirm`, { confirm: 'yes' });
    expect(confirmed.statusCode).toBe(200);
    const cancels = proxy.reachedServer().slice(before).filter((r) => r.method === 'DELETE');
    expect(cancels.map((r) => [r.path, r.idempotencyKey])).toEqual([[`/v1/subscriptions/${subscription}`, `cancel-monthly-gift:${gift.id}`]]);
    const [after] = await api.fixtures.query<{ status: string }>('select status from recurring_gifts where id = $1', [gift.id]);
    expect(after.status).toBe('cancelled');
    // Stripe's deletion event that follows finds it cancelled; a late invoice of it does not revive it.
    await deliverThriceShuffled([stripeEvent('customer.subscription.deleted', {
      id: subscription, object: 'subscription', status: 'canceled', metadata, currency: 'usd', canceled_at: Math.floor(Date.now() / 1000),
      ended_at: Math.floor(Date.now() / 1000), items: { object: 'list', data: [{ price: { unit_amount: 2000, currency: 'usd' }, quantity: 1 }] },
    })], 3);
    expect((await api.fixtures.query('select status from recurring_gifts where id = $1', [gift.id]))[0]).toEqual({ status: 'cancelled' });

    // Another monthly gift ended by Stripe alone (cancelled in the Dashboard, or failed payments).
    const other = id('sub');
    const ended = Math.floor(Date.now() / 1000);
    await deliverThriceShuffled([
      sessionCompleted(metadata, { mode: 'subscription', payment_status: 'paid', status: 'complete', subscription: other, payment_intent: null, amount_total: 2000 }),
      stripeEvent('customer.subscription.deleted', {
        id: other, object: 'subscription', status: 'canceled', metadata, currency: 'usd', canceled_at: ended, ended_at: ended,
        items: { object: 'list', data: [{ price: { unit_amount: 2000, currency: 'usd' }, quantity: 1 }] },
      }),
    ], 5);
    const [otherGift] = await api.fixtures.query<{ status: string; cancelled_at: Date }>('select status, cancelled_at from recurring_gifts where stripe_subscription_id = $1', [other]);
    expect(otherGift).toEqual({ status: 'cancelled', cancelled_at: new Date(ended * 1000) });
  });

  it('a refund voids the gift\'s receipt (visible in the API) and sends nothing new', async () => {
    const [receipt] = await receiptRows();
    const [{ intent }] = await api.fixtures.query<{ intent: string }>('select stripe_payment_intent_id as intent from donations where id = $1', [receipt.donation_id]);
    const mailsBefore = h.sink.deliveries().length;
    await deliverThriceShuffled([stripeEvent('charge.refunded', {
      id: id('ch'), object: 'charge', payment_intent: intent, amount: 5000, amount_refunded: 5000, refunded: true, currency: 'usd',
      metadata: { purpose: 'gift', client_id: client.id }, created: Math.floor(Date.now() / 1000) - 60,
    })], 2);
    const read = await api.call(client.key, { url: `/v1/clients/${client.id}/receipts/${receipt.id}` });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ number: 1, receipt_number: `${receipt.year}-000001`, amount: 50, amount_minor: 5000, currency: 'usd', void: true, voided_at: expect.any(String), email_status: 'sent' });
    const [donation] = await api.fixtures.query('select status from donations where id = $1', [receipt.donation_id]);
    expect(donation).toEqual({ status: 'refunded' });

    // A month of a monthly gift: its charge carries no metadata; the refund finds the gift by its intent.
    const monthly = (await receiptRows()).find((r) => r.recurring_gift_id !== null)!;
    const [{ intent: monthIntent }] = await api.fixtures.query<{ intent: string }>('select stripe_payment_intent_id as intent from donations where id = $1', [monthly.donation_id]);
    await deliverThriceShuffled([stripeEvent('charge.refunded', {
      id: id('ch'), object: 'charge', payment_intent: monthIntent, amount: 2000, amount_refunded: 2000, refunded: true, currency: 'usd', metadata: {},
    })], 4);
    const list = await api.call(client.key, { url: `/v1/clients/${client.id}/receipts?limit=50` });
    expect(list.json().items.filter((r: { void: boolean }) => r.void).map((r: { number: number }) => r.number)).toEqual([monthly.number, 1]);
    expect(h.sink.deliveries().length).toBe(mailsBefore);
  });

  it('receipt numbers stay gapless and unique under concurrent gifts; opt-outs and suppressed addresses get none', async () => {
    const donors = await api.fixtures.donors(client.id, Array.from({ length: 12 }, (_, i) => ({ email: `many${i}@donors.test` })));
    await api.fixtures.unsubscribe(client.id, donors[0], 'all');
    await api.fixtures.query(`insert into notification_preferences (client_id, donor_id, category, email_enabled) values ($1, $2, 'transactional', false)`, [client.id, donors[1]]);
    await api.fixtures.query('update donors set email_suppressed_at = now() where id = $1', [donors[2]]);
    const events = donors.map((donor, i) => {
      const metadata = { purpose: 'gift', client_id: client.id, campaign_id: campaignId, step_number: '13', donor_id: donor, give_checkout_id: '' };
      return sessionCompleted(metadata, { mode: 'payment', payment_status: 'paid', payment_intent: id('pi'), amount_total: 1000 + i * 100 });
    });
    const before = (await receiptRows()).length;
    await Promise.all(events.map(async (event) => expect((await deliver(event)).statusCode).toBe(200)));
    await Promise.all(events.map(applied));
    const numbers = (await receiptRows()).map((r) => r.number);
    expect(numbers).toEqual(Array.from({ length: before + donors.length }, (_, i) => i + 1));

    const settled = await eventually(async () => {
      const rows = await api.fixtures.query<{ donor_id: string; email_status: string; email_skip_reason: string | null }>(
        `select donor_id, email_status, email_skip_reason from receipts where donor_id = any($1)`, [donors]);
      return rows.every((r) => r.email_status === 'sent' || r.email_status === 'skipped') ? rows : undefined;
    });
    const reason = (donor: string) => settled.find((r) => r.donor_id === donor)?.email_skip_reason;
    expect([reason(donors[0]), reason(donors[1]), reason(donors[2])]).toEqual(['opted_out', 'opted_out', 'suppressed']);
    expect(settled.filter((r) => r.email_status === 'sent')).toHaveLength(donors.length - 3);
    for (const [i, donor] of donors.entries()) {
      expect([donor, receiptsTo(`many${i}@donors.test`).length]).toEqual([donor, i < 3 ? 0 : 1]);
    }
  });
  const monthRefund = (intent: string) => stripeEvent('charge.refunded', {
    id: id('ch'), object: 'charge', payment_intent: intent, amount: 2000, amount_refunded: 2000, refunded: true, currency: 'usd', metadata: {},
  });
  const monthOf = (invoice: string) => api.fixtures.query<{ id: string; status: string; intent: string | null; refunded_at: Date | null }>(
    'select id, status, stripe_payment_intent_id as intent, refunded_at from donations where stripe_invoice_id = $1', [invoice]);

  it('a month\'s refund that Stripe delivers before its invoice.paid (and again, shuffled) waits for it: one refunded gift, its receipt void', async () => {
    const { metadata } = await give(giveLink(14), 2000, 'monthly');
    const [subscription, intent, invoice] = [id('sub'), id('pi'), id('in')];
    const refund = monthRefund(intent);
    expect((await deliver(refund)).statusCode).toBe(200);
    // Its intent is unknown: the refund is neither applied nor ignored, but waits on a durable timer.
    const handle = h.temporal.client.workflow.getHandle(`stripe-event-${refund.id}`);
    await eventually(async () => ((await handle.fetchHistory()).events?.some((e) => e.timerStartedEventAttributes) ? true : undefined));
    expect(await api.fixtures.query('select outcome from processed_webhook_events where event_id = $1', [refund.id])).toEqual([]);

    const paid = invoicePaid(metadata, subscription, invoice, intent, Math.floor(Date.now() / 1000) - 600);
    const started = sessionCompleted(metadata, { mode: 'subscription', payment_status: 'paid', status: 'complete', subscription, payment_intent: null, amount_total: 2000 });
    await deliverThriceShuffled([refund, paid, started], 13);

    const months = await monthOf(invoice);
    expect(months).toEqual([{ id: expect.any(String), status: 'refunded', intent, refunded_at: expect.any(Date) }]);
    expect(await handle.result()).toMatchObject({ applied: true, ignored: null, paymentStatus: 'refunded', donationId: months[0].id });
    const receipts = (await receiptRows()).filter((r) => r.donation_id === months[0].id);
    expect(receipts).toEqual([expect.objectContaining({ amount: 2000, voided_at: expect.any(Date) })]);
    expect(await api.fixtures.query('select outcome, ignored_reason from processed_webhook_events where event_id = $1', [refund.id]))
      .toEqual([{ outcome: expect.not.stringMatching(/ignored/), ignored_reason: null }]);
  });

  it('an invoice.paid without `payments` still links the month to its PaymentIntent, asked of Stripe, so its refund finds it', async () => {
    const { metadata } = await give(giveLink(15), 2000, 'monthly');
    const [subscription, invoice] = [id('sub'), id('in')];
    const paid = invoicePaid(metadata, subscription, invoice, 'unused', Math.floor(Date.now() / 1000) - 600);
    delete (paid.data as { object: Record<string, unknown> }).object.payments;
    await deliverThriceShuffled([paid], 17);
    // stripe-mock answers GET /v1/invoice_payments with its fixture: one invoice payment of this intent.
    const stripeMockIntent = 'pi_1PgafyB7WZ01zgkWSjxsAJo3';
    const [month] = await monthOf(invoice);
    expect(month).toMatchObject({ status: 'succeeded', intent: stripeMockIntent });
    expect(await api.fixtures.query('select status from payments where stripe_payment_intent_id = $1', [stripeMockIntent])).toEqual([{ status: 'succeeded' }]);

    const refund = monthRefund(stripeMockIntent);
    await deliverThriceShuffled([refund], 19);
    expect(await monthOf(invoice)).toEqual([expect.objectContaining({ status: 'refunded' })]);
    // Found at once, without waiting: one attempt.
    const history = await h.temporal.client.workflow.getHandle(`stripe-event-${refund.id}`).fetchHistory();
    expect(history.events?.filter((e) => e.timerStartedEventAttributes)).toEqual([]);
  });
});
