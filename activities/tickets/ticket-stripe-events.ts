import type { EntityManager } from '@mikro-orm/postgresql';
import { asOperator, isUuid, withClient } from '../../domain/db/tenancy';
import { recalculateRfm } from '../rfm-recalculation';
import type { ActivityDeps } from '..';
import { type PaymentOutcome, recordOrderPayment } from './order-state';

/**
 * The part of a verified Stripe event of a ticket order (metadata purpose `ticket_order`) the product
 * records; small enough for workflow history. Built by api/services/provider-events.ts.
 */
export interface TicketStripeEventInput {
  eventId: string;
  /** checkout.session.completed (paid) and payment_intent.succeeded both confirm payment; charge.refunded records refunds. */
  type: 'checkout.session.completed' | 'payment_intent.succeeded' | 'charge.refunded';
  occurredAt: string;
  paymentIntentId: string;
  /** Minor units of `currency`: the amount charged. */
  amount: number;
  /** charge.refunded: minor units refunded so far on the charge (cumulative, as Stripe reports it). */
  amountRefunded: number;
  currency: string;
  /** The session's or intent's metadata (client_id, order_id…); charges carry none of their own. */
  metadata: Record<string, string>;
}

export type TicketEventOutcome =
  | { applied: false; ignored: string | null }
  | { applied: true; clientId: string; orderId: string; result: PaymentOutcome | 'refunds_recorded' };

/**
 * Issue 17: applies one Stripe event of a ticket order exactly once (its id recorded with its effects in
 * one transaction; statuses only move forward, so replays and any order of arrival end the same):
 * - a payment confirmation marks a held order paid (order-state.ts), or reports a payment that came after
 *   the order was released (`late`), which the calling workflow refunds;
 * - charge.refunded marks refunded, oldest request first, the tickets whose refunds were asked of Stripe,
 *   as far as the charge's cumulative amount_refunded covers them (so a partial refund of one ticket of an
 *   order refunds that ticket only); their seats return to the type, their gift parts are refunded too;
 *   the payment is refunded once the whole charge is.
 */
export async function applyTicketStripeEvent(deps: Pick<ActivityDeps, 'orm'>, event: TicketStripeEventInput): Promise<TicketEventOutcome> {
  const order = await orderOfEvent(deps, event);
  if (!order) {
    const reason = 'no ticket order of the product matches its metadata or payment intent';
    await asOperator(deps.orm.em, (em) => em.execute(
      `insert into processed_webhook_events (provider, event_id, client_id, outcome, ignored_reason) values ('stripe', ?, null, 'ignored', ?) on conflict do nothing`,
      [event.eventId, reason]));
    return { applied: false, ignored: reason };
  }
  return withClient(deps.orm.em, order.clientId, async (em) => {
    const [fresh] = await em.execute<{ event_id: string }[]>(
      `insert into processed_webhook_events (provider, event_id, client_id) values ('stripe', ?, ?) on conflict do nothing returning event_id`,
      [event.eventId, order.clientId]);
    if (!fresh) return { applied: false as const, ignored: null };
    if (event.type === 'charge.refunded') {
      await recordRefunds(em, order.clientId, order.orderId, event);
      return { applied: true as const, clientId: order.clientId, orderId: order.orderId, result: 'refunds_recorded' as const };
    }
    const result = await recordOrderPayment(em, order.clientId, order.orderId,
      { paymentIntentId: event.paymentIntentId, amount: event.amount, currency: event.currency, paidAt: event.occurredAt });
    return { applied: true as const, clientId: order.clientId, orderId: order.orderId, result };
  });
}

/** The order an event is about: the one its metadata names, else the one holding its payment intent. */
async function orderOfEvent(deps: Pick<ActivityDeps, 'orm'>, event: TicketStripeEventInput): Promise<{ clientId: string; orderId: string } | null> {
  const named = isUuid(event.metadata.order_id) ? event.metadata.order_id : null;
  const [row] = await asOperator(deps.orm.em, (em) => em.execute<{ client_id: string; id: string }[]>(
    'select client_id, id from ticket_orders where id = ?::uuid or stripe_payment_intent_id = ? order by (id = ?::uuid) desc limit 1',
    [named, event.paymentIntentId, named]));
  return row ? { clientId: row.client_id, orderId: row.id } : null;
}

async function recordRefunds(em: EntityManager, clientId: string, orderId: string, event: TicketStripeEventInput): Promise<void> {
  const [order] = await em.execute<{ late_payment_at: Date | null; payment_id: string | null; donor_id: string | null }[]>(
    'select late_payment_at, payment_id, donor_id from ticket_orders where id = ? for update', [orderId]);
  const whole = event.amountRefunded >= event.amount;
  if (whole && order.payment_id) await em.execute(`update payments set status = 'refunded' where id = ?`, [order.payment_id]);
  if (order.late_payment_at) {
    if (whole) await em.execute('update ticket_orders set late_refunded_at = coalesce(late_refunded_at, ?) where id = ?', [event.occurredAt, orderId]);
    return;
  }
  // Tickets already refunded use up part of the cumulative amount; the requests after them are covered in order.
  const requested = await em.execute<{ id: string; status: string; unit_amount: number; ticket_type_id: string | null; donation_id: string | null }[]>(
    `select id, status, unit_amount, ticket_type_id, donation_id from event_tickets
      where order_id = ? and refund_requested_at is not null and status in ('paid', 'checked_in', 'refunded')
      order by (status = 'refunded') desc, refund_requested_at, id for update`, [orderId]);
  let budget = event.amountRefunded;
  const covered: typeof requested = [];
  for (const ticket of requested) {
    if (ticket.unit_amount > budget) break;
    budget -= ticket.unit_amount;
    if (ticket.status !== 'refunded') covered.push(ticket);
  }
  if (covered.length === 0) return;
  await em.execute(`update event_tickets set status = 'refunded', refunded_at = ? where id in (select json_array_elements_text(?::json)::uuid)`, [event.occurredAt, JSON.stringify(covered.map((t) => t.id))]);
  await em.execute(
    `update ticket_types t set sold = t.sold - r.n
       from (select ticket_type_id, count(*)::int as n from event_tickets where id in (select json_array_elements_text(?::json)::uuid) group by ticket_type_id) r where t.id = r.ticket_type_id`,
    [JSON.stringify(covered.map((t) => t.id))]);
  const gifts = covered.flatMap((t) => (t.donation_id ? [t.donation_id] : []));
  if (gifts.length > 0) {
    await em.execute(`update donations set status = 'refunded', refunded_at = ? where id in (select json_array_elements_text(?::json)::uuid)`, [event.occurredAt, JSON.stringify(gifts)]);
    if (order.donor_id) await recalculateRfm(em, clientId, new Date(), order.donor_id);
  }
}
