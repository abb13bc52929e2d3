import type { MikroORM } from '@mikro-orm/postgresql';
import type Stripe from 'stripe';
import { withClient } from '../../domain/db/tenancy';
import { TICKET_ORDER_PURPOSE } from '../../domain/tickets/ticket-workflows';

export interface RefundDeps { orm: MikroORM; stripe: Stripe }

export type TicketRefund = { kind: 'requested'; refundId: string } | { kind: 'refused'; reason: string };

/**
 * Asks Stripe to refund one ticket's price (issue 17 item 5), at most once: the request is claimed on the
 * ticket (`refund_requested_at`) before Stripe is called, and Stripe is called with the idempotency key
 * `ticket-refund:<ticket id>`, so a retried activity, a repeated API call or a worker killed mid-call
 * makes one refund. The ticket becomes `refunded` only when Stripe's charge.refunded arrives
 * (activities/tickets/ticket-stripe-events.ts). `checkedIn: true` also refunds a ticket already used (an
 * event cancelled after doors opened); otherwise only a paid ticket is refundable, else `refused` with
 * the reason. Stripe's errors propagate (the API answers 502, the workflow retries).
 */
export async function refundTicket(deps: RefundDeps, clientId: string, ticketId: string, options: { checkedIn: boolean }): Promise<TicketRefund> {
  const claim = await withClient(deps.orm.em, clientId, async (em) => {
    const [ticket] = await em.execute<{
      status: string; unit_amount: number; order_id: string | null; stripe_refund_id: string | null; refund_requested_at: Date | null; intent: string | null;
    }[]>(
      `select t.status, t.unit_amount, t.order_id, t.stripe_refund_id, t.refund_requested_at, o.stripe_payment_intent_id as intent
         from event_tickets t left join ticket_orders o on o.id = t.order_id where t.id = ? for update of t`, [ticketId]);
    if (!ticket) return { kind: 'refused' as const, reason: 'no such ticket' };
    const refundable = ticket.status === 'paid' || (options.checkedIn && ticket.status === 'checked_in');
    if (!refundable) return { kind: 'refused' as const, reason: ticket.status === 'checked_in' ? 'already checked in' : `the ticket is ${ticket.status}` };
    if (!ticket.intent || ticket.unit_amount === 0) return { kind: 'refused' as const, reason: 'nothing was charged for it' };
    if (ticket.stripe_refund_id) return { kind: 'requested' as const, refundId: ticket.stripe_refund_id };
    if (!ticket.refund_requested_at) await em.execute('update event_tickets set refund_requested_at = now() where id = ?', [ticketId]);
    return { kind: 'claimed' as const, intent: ticket.intent, amount: ticket.unit_amount, orderId: ticket.order_id };
  });
  if (claim.kind !== 'claimed') return claim;
  const refund = await deps.stripe.refunds.create({
    payment_intent: claim.intent, amount: claim.amount,
    metadata: { purpose: TICKET_ORDER_PURPOSE, client_id: clientId, order_id: claim.orderId ?? '', ticket_id: ticketId },
  }, { idempotencyKey: `ticket-refund:${ticketId}` });
  await withClient(deps.orm.em, clientId, (em) => em.execute(
    'update event_tickets set stripe_refund_id = coalesce(stripe_refund_id, ?) where id = ?', [refund.id, ticketId]));
  return { kind: 'requested', refundId: refund.id };
}

/**
 * Refunds the whole payment of an order that was paid after its tickets were released (issue 17 item 2):
 * once per order (idempotency key `ticket-order-late:<order id>`), the refund id kept on the order.
 * Answers the refund id, or null when the order has no late payment.
 */
export async function refundLatePayment(deps: RefundDeps, clientId: string, orderId: string): Promise<string | null> {
  const order = await withClient(deps.orm.em, clientId, async (em) => {
    const [row] = await em.execute<{ intent: string | null; status: string; late_payment_at: Date | null; late_refund_id: string | null }[]>(
      'select stripe_payment_intent_id as intent, status, late_payment_at, late_refund_id from ticket_orders where id = ?', [orderId]);
    return row;
  });
  if (!order?.intent || !order.late_payment_at) return null;
  if (order.late_refund_id) return order.late_refund_id;
  const refund = await deps.stripe.refunds.create({
    payment_intent: order.intent,
    metadata: { purpose: TICKET_ORDER_PURPOSE, client_id: clientId, order_id: orderId, reason: 'paid after the reservation was released' },
  }, { idempotencyKey: `ticket-order-late:${orderId}` });
  await withClient(deps.orm.em, clientId, (em) => em.execute(
    'update ticket_orders set late_refund_id = coalesce(late_refund_id, ?) where id = ?', [refund.id, orderId]));
  return refund.id;
}
