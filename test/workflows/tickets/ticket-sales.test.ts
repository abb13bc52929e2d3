import { randomBytes, randomUUID } from 'node:crypto';
import { createStripe } from '../../../activities/payments/stripe';
import { type ApiHarness, STRIPE_MOCK_URL, STRIPE_WEBHOOK_SECRET, databaseFingerprint, startApi } from '../../api/support';
import { FaultProxy } from '../../fakes/fault-proxy';
import { type CampaignHarness, startCampaignHarness } from '../../support/campaign-harness';
import { shuffled, stripeEvent, stripeSignature } from '../../support/provider-signing';

/**
 * Issue 17 items 2-5 with the real pieces: PostgreSQL, Temporal (workflow `ticket-order-<id>` and its
 * durable timer), stripe-mock behind the API and the activities, Stripe webhooks signed with the SDK's
 * test helper (replayed and shuffled), and the SendGrid sink receiving the transactional mail.
 */
describe('ticket sales', () => {
  let h: CampaignHarness;
  let api: ApiHarness;
  /** The same API with a two-second hold, for expiry. */
  let shortHold: ApiHarness;
  /** The same API with Stripe behind a proxy that counts Checkout Sessions asked for and can fail them. */
  let proxied: ApiHarness;
  let stripeProxy: FaultProxy;
  let client: { id: string; key: string };

  beforeAll(async () => {
    h = await startCampaignHarness();
    const temporal = { client: h.temporal.client, taskQueue: h.temporal.taskQueue };
    api = await startApi({ db: h.db, orm: h.orm, temporal });
    shortHold = await startApi({ db: h.db, orm: h.orm, temporal, ticketHoldSeconds: 2 });
    stripeProxy = await FaultProxy.start(STRIPE_MOCK_URL);
    proxied = await startApi({ db: h.db, orm: h.orm, temporal, stripe: createStripe({ secretKey: 'sk_test_123', apiBase: stripeProxy.url, maxNetworkRetries: 1 }) });
    client = await api.client('Gala Org');
  });
  afterAll(async () => {
    await shortHold?.close();
    await proxied?.close();
    await stripeProxy?.stop();
    await api?.close();
    await h?.close();
  });

  const call = (method: string, url: string, payload?: unknown, via = api) => via.call(client.key, { method, url: `/v1/clients/${client.id}${url}`, payload });

  const onSale = async (types: Record<string, unknown>[]) => {
    const event = (await call('POST', '/events', { name: `Gala ${randomBytes(3).toString('hex')}`, starts_at: '2027-05-01T19:00:00Z', status: 'published' })).json();
    const ids: string[] = [];
    for (const type of types) {
      const response = await call('POST', `/events/${event.id}/ticket-types`, { currency: 'usd', ...type });
      expect(response.statusCode).toBe(201);
      ids.push(response.json().id);
    }
    return { eventId: event.id as string, typeIds: ids };
  };

  let buyers = 0;
  const buy = (eventId: string, items: { ticket_type_id: string; quantity: number }[], via = api) => call('POST', `/events/${eventId}/orders`, {
    buyer: { email: `buyer-${++buyers}@donors.test`, first_name: 'Buyer', last_name: String(buyers) },
    items, success_url: 'https://gala.test/thanks', cancel_url: 'https://gala.test/tickets', idempotency_key: randomUUID(),
  }, via);

  /** The events Stripe sends once the buyer paid at Checkout: the session's completion and its intent's success, both with the order's metadata. */
  const paymentEvents = (order: { id: string; amount_total: number }, eventId: string) => {
    const intent = `pi_${randomBytes(8).toString('hex')}`;
    const amount = Math.round(order.amount_total * 100);
    const metadata = { purpose: 'ticket_order', client_id: client.id, event_id: eventId, order_id: order.id };
    return {
      intent, amount,
      events: [
        stripeEvent('checkout.session.completed', {
          id: `cs_${randomBytes(8).toString('hex')}`, object: 'checkout.session', payment_status: 'paid', payment_intent: intent, amount_total: amount, currency: 'usd', metadata,
        }),
        stripeEvent('payment_intent.succeeded', { id: intent, object: 'payment_intent', amount, amount_received: amount, currency: 'usd', status: 'succeeded', metadata }),
      ],
    };
  };
  /** charge.refunded as Stripe sends it: the charge, carrying its intent's metadata, with the cumulative amount refunded. */
  const refundedEvent = (intent: string, amount: number, amountRefunded: number, metadata: Record<string, string> = { purpose: 'ticket_order' }) =>
    stripeEvent('charge.refunded', {
      id: `ch_${randomBytes(8).toString('hex')}`, object: 'charge', payment_intent: intent, amount, amount_refunded: amountRefunded, currency: 'usd', metadata,
    });

  /** Delivers each event signed, every one twice, in a shuffled order; waits until each one's workflow has finished. */
  const deliver = async (events: { id: string }[], seed = 17) => {
    for (const event of shuffled([...events, ...events], seed)) {
      const payload = JSON.stringify(event);
      const response = await api.request({
        method: 'POST', url: '/webhooks/stripe', payload,
        headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature(payload, STRIPE_WEBHOOK_SECRET) },
      });
      expect(response.statusCode).toBe(200);
    }
    return Promise.all(events.map((event) => h.temporal.client.workflow.getHandle(`stripe-event-${event.id}`).result()));
  };

  const counters = async (typeId: string) => (await h.fixtures.query<{ held: number; sold: number }>('select held, sold from ticket_types where id = $1', [typeId]))[0];
  const mailsTo = (email: string) => h.sink.deliveries().filter((delivery) => delivery.to === email);

  /** 50 buyers at once for the last 10 of 100 seats; asserts exactly 10 holds and 40 sold-out problems. */
  const contend = async () => {
    const { eventId, typeIds: [typeId] } = await onSale([{ name: 'General', price: 40, capacity: 100 }]);
    await h.fixtures.query('update ticket_types set sold = 90 where id = $1', [typeId]);
    const responses = await Promise.all([...Array(50)].map(() => buy(eventId, [{ ticket_type_id: typeId, quantity: 1 }])));
    expect(responses.filter((response) => response.statusCode === 201)).toHaveLength(10);
    const refused = responses.filter((response) => response.statusCode !== 201);
    expect(refused).toHaveLength(40);
    for (const response of refused) {
      expect(response.statusCode).toBe(409);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ type: 'urn:track15:problem:sold-out', reasons: ['sold out'] });
      expect(response.json().detail).toMatch(/sold out/);
    }
    expect(await counters(typeId)).toEqual({ held: 10, sold: 90 });
    const [{ pending, orders }] = await h.fixtures.query<{ pending: number; orders: number }>(
      `select count(*) filter (where status = 'pending')::int as pending, count(distinct order_id)::int as orders from event_tickets where ticket_type_id = $1`, [typeId]);
    expect({ pending, orders }).toEqual({ pending: 10, orders: 10 });
    return { eventId, typeId, sold: responses.filter((response) => response.statusCode === 201).map((response) => response.json()) };
  };

  it('sells exactly the last 10 seats to 50 concurrent buyers, every time: 10 held, 40 told "sold out"', async () => {
    // Three rounds: the outcome does not depend on how the requests happened to interleave.
    await contend();
    await contend();
    const { eventId, typeId, sold } = await contend();

    // All ten pay; every webhook arrives twice, shuffled: each order is paid once and its buyer gets one receipt.
    const payments = sold.map((order) => paymentEvents(order, eventId));
    await deliver(payments.flatMap((payment) => payment.events));
    expect(await counters(typeId)).toEqual({ held: 0, sold: 100 });
    for (const order of sold) {
      expect(await h.temporal.client.workflow.getHandle(`ticket-order-${order.id}`).result()).toBe('paid');
      const [{ email }] = await h.fixtures.query<{ email: string }>('select email from donors where id = $1', [order.donor_id]);
      const [ticket] = await h.fixtures.query<{ ticket_number: string; check_in_code: string; status: string }>(
        'select ticket_number, check_in_code, status from event_tickets where order_id = $1', [order.id]);
      expect(ticket.status).toBe('paid');
      const receipts = mailsTo(email);
      expect(receipts).toHaveLength(1);
      const message = h.sink.messageOf(receipts[0]);
      expect(message.subject).toMatch(/^Your tickets for Gala/);
      for (const part of [message.text!, message.html!]) {
        expect(part).toContain(ticket.ticket_number);
        expect(part).toContain(ticket.check_in_code);
        expect(part).toContain('General');
      }
    }
    // The purchases are payments in the client's books, not gifts.
    const [{ payments: booked, gifts }] = await h.fixtures.query<{ payments: number; gifts: number }>(
      `select (select count(*)::int from payments where client_id = $1 and status = 'succeeded') as payments,
              (select count(*)::int from donations where client_id = $1) as gifts`, [client.id]);
    expect({ booked, gifts }).toEqual({ booked: 10, gifts: 0 });
    const summary = (await call('GET', `/events/${eventId}/summary`)).json();
    expect(summary.ticket_types[0]).toMatchObject({ sold: 100, held: 0, remaining: 0, revenue: 400, revenue_minor: 40000 });
  }, 240_000);

  /** Checkout Sessions Stripe was asked for through the proxy, with their idempotency keys. */
  const sessionCalls = () => stripeProxy.reachedServer().filter((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions');
  const keyedPurchase = (typeId: string, quantity = 2) => ({
    buyer: { email: 'twice@donors.test', first_name: 'Tess' }, items: [{ ticket_type_id: typeId, quantity }],
    success_url: 'https://gala.test/thanks', cancel_url: 'https://gala.test/tickets', idempotency_key: randomUUID(),
  });

  it('makes one order per idempotency key: ten at once end with one hold and one session, a repeat answers it, another purchase under the key is refused', async () => {
    const { eventId, typeIds: [typeId] } = await onSale([{ name: 'Balcony', price: 40, capacity: 20, max_per_order: 4 }]);
    const purchase = keyedPurchase(typeId);
    const post = (payload: unknown) => call('POST', `/events/${eventId}/orders`, payload, proxied);

    // A double click and a client's retries, all at once: one of them makes the order, the others answer it.
    const asked = sessionCalls().length;
    const answers = await Promise.all([...Array(10)].map(() => post(purchase)));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const order = answers.find((answer) => answer.statusCode === 201)!.json();
    expect(order).toMatchObject({ status: 'held', idempotency_key: purchase.idempotency_key, amount_total: 80 });
    expect(order.checkout_url).toMatch(/^https?:\/\//);
    for (const answer of answers) {
      expect(answer.json()).toMatchObject({ id: order.id, checkout_url: order.checkout_url });
      expect(answer.headers.location).toBe(`/v1/clients/${client.id}/ticket-orders/${order.id}`);
    }
    expect(await counters(typeId)).toEqual({ held: 2, sold: 0 });
    const [stored] = await h.fixtures.query<{ orders: number; tickets: number }>(
      `select count(distinct o.id)::int as orders, count(t.id)::int as tickets
         from ticket_orders o join event_tickets t on t.order_id = o.id where o.event_id = $1`, [eventId]);
    expect(stored).toEqual({ orders: 1, tickets: 2 });
    // Stripe was asked only under the order's key: however many asked, Stripe makes one session for it.
    const keys = sessionCalls().slice(asked).map((request) => request.idempotencyKey);
    expect(keys.length).toBeGreaterThanOrEqual(1);
    expect(new Set(keys)).toEqual(new Set([`ticket-order:${order.id}`]));
    expect(await h.temporal.client.workflow.getHandle(`ticket-order-${order.id}`).describe()).toMatchObject({ status: { name: 'RUNNING' } });

    // Once answered, a repeat (items and email written differently, same purchase) answers the stored order without asking Stripe.
    const settled = sessionCalls().length;
    const again = await post({ ...purchase, buyer: { ...purchase.buyer, email: 'TWICE@donors.test' } });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(order);
    expect(sessionCalls()).toHaveLength(settled);

    // The key with a different purchase (or another event): 409 naming the key, and nothing changes.
    const other = await onSale([{ name: 'Stalls', price: 40, capacity: 20 }]);
    const unchanged = await databaseFingerprint(h.fixtures);
    const refusals: [string, unknown][] = [
      [`/events/${eventId}/orders`, { ...purchase, items: [{ ticket_type_id: typeId, quantity: 3 }] }],
      [`/events/${eventId}/orders`, { ...purchase, buyer: { email: 'someone-else@donors.test' } }],
      [`/events/${eventId}/orders`, { ...purchase, success_url: 'https://gala.test/elsewhere' }],
      [`/events/${other.eventId}/orders`, { ...purchase, items: [{ ticket_type_id: other.typeIds[0], quantity: 2 }] }],
    ];
    for (const [url, payload] of refusals) {
      const refused = await call('POST', url, payload, proxied);
      expect([url, refused.statusCode]).toEqual([url, 409]);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.json().errors).toEqual([{ field: 'body.idempotency_key', message: 'already used for a different purchase' }]);
    }
    expect(await databaseFingerprint(h.fixtures)).toBe(unchanged);
    expect(sessionCalls()).toHaveLength(settled);

    // Keys are per client: another client's order under the same key is its own.
    const neighbour = await api.client('Neighbour Gala Org');
    const theirs = await api.call(neighbour.key, { method: 'POST', url: `/v1/clients/${neighbour.id}/events`, payload: { name: 'Their gala', starts_at: '2027-05-01T19:00:00Z', status: 'published' } });
    const theirType = await api.call(neighbour.key, { method: 'POST', url: `/v1/clients/${neighbour.id}/events/${theirs.json().id}/ticket-types`, payload: { name: 'Seat', price: 40, currency: 'usd' } });
    const theirOrder = await api.call(neighbour.key, {
      method: 'POST', url: `/v1/clients/${neighbour.id}/events/${theirs.json().id}/orders`, payload: { ...purchase, items: [{ ticket_type_id: theirType.json().id, quantity: 2 }] },
    });
    expect(theirOrder.statusCode).toBe(201);
    expect(theirOrder.json().id).not.toBe(order.id);
  }, 60_000);

  it('frees the key of an attempt Stripe failed: its seats go back and the same key buys afresh', async () => {
    const { eventId, typeIds: [typeId] } = await onSale([{ name: 'Box', price: 60, capacity: 2, max_per_order: 2 }]);
    const purchase = keyedPurchase(typeId);
    const sent = stripeProxy.received.length;
    stripeProxy.failNext('error500', 'error500');
    const failed = await call('POST', `/events/${eventId}/orders`, purchase, proxied);
    expect(failed.statusCode).toBe(502);
    expect(failed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await counters(typeId)).toEqual({ held: 0, sold: 0 });
    const [abandoned] = await h.fixtures.query<{ id: string; status: string; idempotency_key: string | null }>(
      'select id, status, idempotency_key from ticket_orders where event_id = $1', [eventId]);
    expect(abandoned).toMatchObject({ status: 'expired', idempotency_key: null });

    const retried = await call('POST', `/events/${eventId}/orders`, purchase, proxied);
    expect(retried.statusCode).toBe(201);
    expect(retried.json()).toMatchObject({ status: 'held', idempotency_key: purchase.idempotency_key });
    expect(retried.json().id).not.toBe(abandoned.id);
    expect(await counters(typeId)).toEqual({ held: 2, sold: 0 });
    // Stripe was asked twice (the SDK's retry) under the failed order's key, then once under the new order's.
    expect(stripeProxy.received.slice(sent).map((request) => [request.path, request.fault, request.idempotencyKey])).toEqual([
      ['/v1/checkout/sessions', 'error500', `ticket-order:${abandoned.id}`],
      ['/v1/checkout/sessions', 'error500', `ticket-order:${abandoned.id}`],
      ['/v1/checkout/sessions', null, `ticket-order:${retried.json().id}`],
    ]);
  }, 60_000);

  it('releases a reservation when its hold runs out, and refunds a payment that arrives after, telling the buyer why', async () => {
    const { eventId, typeIds: [typeId] } = await onSale([{ name: 'Dinner', price: 75, capacity: 2, max_per_order: 2 }]);
    const response = await buy(eventId, [{ ticket_type_id: typeId, quantity: 2 }], shortHold);
    expect(response.statusCode).toBe(201);
    const order = response.json();
    expect(await counters(typeId)).toEqual({ held: 2, sold: 0 });
    // Sold out while held…
    expect((await buy(eventId, [{ ticket_type_id: typeId, quantity: 1 }])).statusCode).toBe(409);
    // …and on sale again once the two-second hold ran out unpaid.
    expect(await h.temporal.client.workflow.getHandle(`ticket-order-${order.id}`).result()).toBe('expired');
    expect(await counters(typeId)).toEqual({ held: 0, sold: 0 });
    expect((await call('GET', `/ticket-orders/${order.id}`)).json()).toMatchObject({ status: 'expired', tickets: [{ status: 'cancelled' }, { status: 'cancelled' }] });

    // The buyer pays in the still-open Checkout page after all: refunded automatically, once, and told why.
    const payment = paymentEvents(order, eventId);
    const outcomes = await deliver(payment.events, 3);
    // Both events (session completed, intent succeeded) report the payment late, the first one only refunding and mailing: once each.
    expect(outcomes.map((outcome) => ('result' in outcome ? outcome.result : null)).sort()).toEqual(['already_late', 'late']);
    const [late] = await h.fixtures.query<{ status: string; late_refund_id: string | null; late_payment_at: Date | null }>(
      'select status, late_refund_id, late_payment_at from ticket_orders where id = $1', [order.id]);
    expect(late.status).toBe('expired');
    expect(late.late_payment_at).not.toBeNull();
    expect(late.late_refund_id).toMatch(/^re_/);
    expect(await counters(typeId)).toEqual({ held: 0, sold: 0 });
    const [{ email }] = await h.fixtures.query<{ email: string }>('select email from donors where id = $1', [order.donor_id]);
    const mails = mailsTo(email);
    expect(mails).toHaveLength(1);
    const message = h.sink.messageOf(mails[0]);
    expect(message.subject).toMatch(/was refunded/);
    expect(message.text).toMatch(/after your reservation had been released/);
    // Stripe's charge.refunded closes it: the payment is refunded in the books.
    await deliver([refundedEvent(payment.intent, payment.amount, payment.amount)]);
    const [books] = await h.fixtures.query<{ status: string }>('select p.status from payments p join ticket_orders o on o.payment_id = p.id where o.id = $1', [order.id]);
    expect(books.status).toBe('refunded');
    const [{ refunded }] = await h.fixtures.query<{ refunded: Date | null }>('select late_refunded_at as refunded from ticket_orders where id = $1', [order.id]);
    expect(refunded).not.toBeNull();
  }, 60_000);

  it('refunds one ticket of an order: Stripe is asked once, and the ticket is refunded when charge.refunded arrives', async () => {
    const { eventId, typeIds: [typeId] } = await onSale([{ name: 'Gala seat', price: 250, donation_amount: 100, capacity: 10 }]);
    const order = (await buy(eventId, [{ ticket_type_id: typeId, quantity: 2 }])).json();
    const payment = paymentEvents(order, eventId);
    await deliver(payment.events);
    // The gift part of each gala seat is a gift of the donor's (RFM), outside any campaign; the rest is not.
    const gifts = await h.fixtures.query<{ amount: string; status: string; campaign_id: string | null }>(
      'select amount, status, campaign_id from donations where donor_id = $1 order by id', [order.donor_id]);
    expect(gifts).toEqual([{ amount: '100.00', status: 'succeeded', campaign_id: null }, { amount: '100.00', status: 'succeeded', campaign_id: null }]);
    const [scored] = await h.fixtures.query<{ f: number | null }>('select rfm_frequency_score as f from donors where id = $1', [order.donor_id]);
    expect(scored.f).not.toBeNull();

    const [first, second] = (await call('GET', `/ticket-orders/${order.id}`)).json().tickets;
    const refund = await call('POST', `/tickets/${first.id}/refund`);
    expect(refund.statusCode).toBe(202);
    expect(refund.json()).toMatchObject({ refund_id: expect.stringMatching(/^re_/), ticket: { status: 'paid', refund_requested_at: expect.any(String) } });
    // Asked again (a retry): the same refund, no second one.
    expect((await call('POST', `/tickets/${first.id}/refund`)).json().refund_id).toBe(refund.json().refund_id);
    // Not yet refunded: Stripe has not said so. A partial charge.refunded for one seat refunds that seat only.
    await deliver([refundedEvent(payment.intent, payment.amount, 25000)]);
    const tickets = (await call('GET', `/ticket-orders/${order.id}`)).json().tickets;
    expect(tickets.find((t: { id: string }) => t.id === first.id).status).toBe('refunded');
    expect(tickets.find((t: { id: string }) => t.id === second.id).status).toBe('paid');
    expect(await counters(typeId)).toEqual({ held: 0, sold: 1 });
    const giftStatuses = await h.fixtures.query<{ status: string }>('select status from donations where donor_id = $1 order by status', [order.donor_id]);
    expect(giftStatuses.map((g) => g.status)).toEqual(['refunded', 'succeeded']);
    // A refunded ticket is refused at the door; the other checks in once.
    const refused = await call('POST', '/tickets/check-in', { ticket_number: first.ticket_number });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().reasons[0]).toMatch(/refunded/);
    expect((await call('POST', '/tickets/check-in', { ticket_number: second.ticket_number })).json().already_checked_in).toBe(false);
    expect((await call('POST', '/tickets/check-in', { ticket_number: second.ticket_number })).json().already_checked_in).toBe(true);
    // A checked-in ticket is not refunded one by one.
    expect((await call('POST', `/tickets/${second.id}/refund`)).statusCode).toBe(409);
  }, 60_000);

  it('refuses purchases outside the sales window, above the per-order limit, and for draft events', async () => {
    const { eventId, typeIds: [closed, limited] } = await onSale([
      { name: 'Early bird', price: 20, sales_end_at: '2020-01-01T00:00:00Z' },
      { name: 'Table', price: 500, max_per_order: 2 },
    ]);
    const early = await buy(eventId, [{ ticket_type_id: closed, quantity: 1 }]);
    expect(early.statusCode).toBe(409);
    expect(early.json().reasons).toEqual(['outside sales window']);
    const many = await buy(eventId, [{ ticket_type_id: limited, quantity: 3 }]);
    expect(many.statusCode).toBe(400);
    expect(many.json().errors[0].field).toBe('body.items.0.quantity');
    await call('PATCH', `/events/${eventId}`, { status: 'draft' });
    expect((await buy(eventId, [{ ticket_type_id: limited, quantity: 1 }])).statusCode).toBe(409);
    expect(await counters(limited)).toEqual({ held: 0, sold: 0 });
  });

  it('cancels an event: held orders released, paid tickets refunded, door closed, a later payment refunded; cancelling again starts nothing new', async () => {
    const { eventId, typeIds: [typeId] } = await onSale([{ name: 'Lunch', price: 15 }]);
    const paid = (await buy(eventId, [{ ticket_type_id: typeId, quantity: 1 }])).json();
    const payment = paymentEvents(paid, eventId);
    await deliver(payment.events);
    const held = (await buy(eventId, [{ ticket_type_id: typeId, quantity: 1 }])).json();
    const cancel = await call('POST', `/events/${eventId}/cancel`, { reason: 'The chef is ill.' });
    expect(cancel.statusCode).toBe(202);
    const workflow = h.temporal.client.workflow.getHandle(cancel.json().workflow_id);
    expect(await workflow.result()).toEqual({ released: 1, refunded: 1, notified: 1 });
    const again = await call('POST', `/events/${eventId}/cancel`, { reason: 'Another reason' });
    expect(again.statusCode).toBe(202);
    expect((await call('GET', `/events/${eventId}`)).json()).toMatchObject({ status: 'cancelled', cancellation_reason: 'The chef is ill.' });
    expect((await workflow.describe()).runId).toBe((await h.temporal.client.workflow.getHandle(cancel.json().workflow_id).describe()).runId);
    expect((await call('PATCH', `/events/${eventId}`, { status: 'published' })).statusCode).toBe(409);
    // The paid ticket waits for Stripe's refund; it is not valid at the door meanwhile.
    const ticket = (await call('GET', `/ticket-orders/${paid.id}`)).json().tickets[0];
    expect(ticket.refund_requested_at).not.toBeNull();
    const door = await call('POST', '/tickets/check-in', { ticket_number: ticket.ticket_number });
    expect(door.statusCode).toBe(409);
    expect(door.json().reasons).toEqual(['its event is cancelled']);
    expect((await call('GET', `/ticket-orders/${held.id}`)).json().status).toBe('cancelled');
    // The buyer of the released order pays anyway: refunded at once, and told why.
    const late = paymentEvents(held, eventId);
    expect((await deliver(late.events)).map((outcome) => ('result' in outcome ? outcome.result : null)).sort()).toEqual(['already_late', 'late']);
    const [{ late_refund_id: refundId }] = await h.fixtures.query<{ late_refund_id: string | null }>('select late_refund_id from ticket_orders where id = $1', [held.id]);
    expect(refundId).toMatch(/^re_/);
    const kinds = h.sink.deliveries().filter((d) => [paid.id, held.id].includes(d.customArgs.ticket_order_id)).map((d) => d.customArgs.mail_kind).sort();
    expect(kinds).toEqual(['cancellation', 'late_refund', 'receipt']);
  });

  it('keeps ticket payments out of the gift handling, even for a refund event that names no purpose', async () => {
    const { eventId, typeIds: [typeId] } = await onSale([{ name: 'Concert', price: 30 }]);
    const order = (await buy(eventId, [{ ticket_type_id: typeId, quantity: 1 }])).json();
    const payment = paymentEvents(order, eventId);
    await deliver(payment.events);
    const [outcome] = await deliver([refundedEvent(payment.intent, payment.amount, payment.amount, {})]);
    expect(outcome).toMatchObject({ applied: false, ignored: expect.stringMatching(/not caused by the product/) });
    const [{ gifts }] = await h.fixtures.query<{ gifts: number }>('select count(*)::int as gifts from donations where donor_id = $1', [order.donor_id]);
    expect(gifts).toBe(0);
    expect((await call('GET', `/ticket-orders/${order.id}`)).json().tickets[0].status).toBe('paid');
  });
});
