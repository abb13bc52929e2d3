import { reportingCurrency } from '../../domain/db/reporting-currency';
import { toDecimalString } from '../../domain/money';
import { recalculateRfm } from '../rfm-recalculation';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Releases a held order: `expired` when its hold ran out (or it could not be started), `cancelled` when
 * its event was cancelled. Only a held order changes (the row lock and the status condition make the
 * release and a payment arriving at the same moment exclusive: exactly one of them wins). Its pending
 * tickets become cancelled and their seats go back to the ticket types' `held` counters.
 * Answers the order's status afterwards: the given one when released now, else what it already was.
 */
export async function releaseTicketOrder(em: EntityManager, orderId: string, as: 'expired' | 'cancelled'): Promise<string> {
  const [released] = await em.execute<{ id: string }[]>(
    `update ticket_orders set status = ?, released_at = now() where id = ? and status = 'held' returning id`, [as, orderId]);
  if (!released) {
    const [order] = await em.execute<{ status: string }[]>('select status from ticket_orders where id = ?', [orderId]);
    return order?.status ?? 'missing';
  }
  await em.execute(
    `with released as (
       update event_tickets set status = 'cancelled', cancelled_at = now() where order_id = ? and status = 'pending' returning ticket_type_id)
     update ticket_types t set held = t.held - r.n
       from (select ticket_type_id, count(*)::int as n from released group by ticket_type_id) r where t.id = r.ticket_type_id`,
    [orderId]);
  return as;
}

/**
 * The outcome of a payment for an order: newly paid, paid before, late (the order was released: refund it
 * and tell the buyer), or late and recorded before (its first confirmation's workflow refunds and mails).
 */
export type PaymentOutcome = 'paid' | 'already_paid' | 'late' | 'already_late';

/**
 * Records Stripe's confirmation that an order was paid. A held order becomes paid: its tickets paid, their
 * seats moved from `held` to `sold`, the payment entered in the client's books (`payments`, status
 * succeeded) and, for each ticket whose type marks a gift part, that part recorded as a gift (the only
 * part of a ticket that counts in RFM; it belongs to no campaign). A released order is `late`: the
 * payment is booked and the caller refunds it. Idempotent: a second confirmation answers `already_paid`
 * or `already_late`, so only the first one's caller refunds and mails (both of Stripe's events for one
 * payment, session completed and intent succeeded, would otherwise mail the buyer twice at once).
 */
export async function recordOrderPayment(
  em: EntityManager, clientId: string, orderId: string, payment: { paymentIntentId: string; amount: number; currency: string; paidAt: string },
): Promise<PaymentOutcome> {
  const [order] = await em.execute<{ status: string; donor_id: string | null; payment_id: string | null }[]>(
    'select status, donor_id, payment_id from ticket_orders where id = ? for update', [orderId]);
  if (!order) throw new Error(`ticket order ${orderId} not found`);
  if (order.payment_id) return order.status === 'paid' ? 'already_paid' : 'already_late';
  // The intent is kept on the order, not on the payment: the gift handling (activities/payments/stripe-events.ts)
  // finds payments by intent, and a ticket purchase must never become a gift there.
  const [booked] = await em.execute<{ id: string }[]>(
    `insert into payments (client_id, donor_id, idempotency_key, amount, currency, status)
     values (?, ?, ?, ?, ?, 'succeeded')
     on conflict (idempotency_key) do update set status = payments.status returning id`,
    [clientId, order.donor_id, `ticket-order:${orderId}`, payment.amount, payment.currency]);
  if (order.status !== 'held') {
    await em.execute('update ticket_orders set payment_id = ?, stripe_payment_intent_id = ?, late_payment_at = ? where id = ?',
      [booked.id, payment.paymentIntentId, payment.paidAt, orderId]);
    return 'late';
  }
  await em.execute(`update ticket_orders set status = 'paid', paid_at = ?, payment_id = ?, stripe_payment_intent_id = ? where id = ?`,
    [payment.paidAt, booked.id, payment.paymentIntentId, orderId]);
  await em.execute(
    `with paid as (
       update event_tickets set status = 'paid', payment_id = ?, purchase_date = ? where order_id = ? and status = 'pending' returning ticket_type_id)
     update ticket_types t set held = t.held - r.n, sold = t.sold + r.n
       from (select ticket_type_id, count(*)::int as n from paid group by ticket_type_id) r where t.id = r.ticket_type_id`,
    [booked.id, payment.paidAt, orderId]);
  if (order.donor_id) await recordGiftParts(em, clientId, orderId, order.donor_id, booked.id, payment.paidAt);
  return 'paid';
}

/**
 * One gift per ticket with a gift part, in major units as donations keep them, linked to the ticket; the
 * donor is rescored. Only in the client's reporting currency (as every gift: RFM never adds currencies);
 * a gift part in another currency stays part of the payment only.
 */
async function recordGiftParts(em: EntityManager, clientId: string, orderId: string, donorId: string, paymentId: string, paidAt: string): Promise<void> {
  const reporting = await reportingCurrency(em, clientId);
  const tickets = await em.execute<{ id: string; donation_amount: number; currency: string }[]>(
    'select id, donation_amount, currency from event_tickets where order_id = ? and donation_amount > 0 and currency = ?', [orderId, reporting ?? '']);
  for (const ticket of tickets) {
    const [gift] = await em.execute<{ id: string }[]>(
      `insert into donations (client_id, donor_id, amount, currency, status, source, donated_at, payment_id)
       values (?, ?, ?::numeric, ?, 'succeeded', 'stripe', ?, ?) returning id`,
      [clientId, donorId, toDecimalString(ticket.donation_amount, ticket.currency), ticket.currency, paidAt, paymentId]);
    await em.execute('update event_tickets set donation_id = ? where id = ?', [gift.id, ticket.id]);
  }
  if (tickets.length > 0) await recalculateRfm(em, clientId, new Date(), donorId);
}
