import type Stripe from 'stripe';
import type { TicketStripeEventInput } from '../../../activities/tickets/ticket-stripe-events';
import { ticketStripeEventWorkflow } from '../../../workflows/tickets/ticket-stripe-event';
import { type StripeEventStart, startWith } from '../payments/stripe-purpose';

/**
 * Purpose `ticket_order` (issue 17): the Stripe events of a ticket order's Checkout Session, its
 * PaymentIntent and the charge it made (each carries the metadata set when the API created the session,
 * api/services/events/ticket-orders.ts). Paid sessions and succeeded intents confirm payment; a refund of
 * the charge records refunded tickets; the rest (a failed attempt: the hold runs on and the buyer may try
 * again in the session) is left alone. Registered in api/services/payments/stripe-dispatch.ts.
 */
export function readTicketOrderEvent(event: Stripe.Event): StripeEventStart | null {
  const input = ticketStripeEventInput(event);
  return input ? startWith(ticketStripeEventWorkflow, input) : null;
}

/** The part of an event workflows/tickets/ticket-stripe-event.ts records, or null for one it does not act on. */
export function ticketStripeEventInput(event: Stripe.Event): TicketStripeEventInput | null {
  const common = { eventId: event.id, occurredAt: new Date(event.created * 1000).toISOString() };
  if (event.type === 'checkout.session.completed') {
    const session = event.data.object;
    const intent = typeof session.payment_intent === 'string' ? session.payment_intent : session.payment_intent?.id;
    if (session.payment_status !== 'paid' || !intent) return null;
    return { ...common, type: event.type, paymentIntentId: intent, amount: session.amount_total ?? 0, amountRefunded: 0, currency: session.currency ?? 'usd', metadata: session.metadata ?? {} };
  }
  if (event.type === 'payment_intent.succeeded') {
    const intent = event.data.object;
    return { ...common, type: event.type, paymentIntentId: intent.id, amount: intent.amount_received || intent.amount, amountRefunded: 0, currency: intent.currency, metadata: intent.metadata };
  }
  if (event.type === 'charge.refunded') {
    const charge = event.data.object;
    const intent = typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id;
    if (!intent) return null;
    return { ...common, type: event.type, paymentIntentId: intent, amount: charge.amount, amountRefunded: charge.amount_refunded, currency: charge.currency, metadata: charge.metadata ?? {} };
  }
  return null;
}
