import type Stripe from 'stripe';
import { type Accepted, type Dispatch, ONCE, startOnce } from '../provider-events';
import { readActivationEvent } from '../activation/activation-webhook';
import { readGiftEvent } from '../giving/gift-events';
import { readTicketOrderEvent } from '../events/ticket-webhook';
import { readPaymentEvent } from './payment-events';
import type { StripePurposeReader } from './stripe-purpose';

/**
 * Every purpose the product gives its Stripe objects, and the module that reads its events. Events whose
 * object names no purpose are `payment`'s (the API's own PaymentIntents predate purposes, and a charge of
 * a subscription invoice carries no metadata at all).
 */
const STRIPE_PURPOSES: Record<string, StripePurposeReader> = {
  payment: readPaymentEvent,
  ticket_order: readTicketOrderEvent,
  activation: readActivationEvent,
  gift: readGiftEvent,
};

/**
 * The purpose an event's object names in `metadata.purpose`, or null when it names none. An invoice
 * carries its subscription's metadata under parent.subscription_details (API 2025-03-31 and later,
 * the version of the SDK in package.json), and each subscription line carries it too.
 */
export function purposeOf(event: Stripe.Event): string | null {
  const object = event.data.object as { object?: string; metadata?: Stripe.Metadata | null };
  if (object.object === 'invoice') {
    const invoice = object as Stripe.Invoice;
    return invoice.parent?.subscription_details?.metadata?.purpose
      ?? invoice.lines?.data?.find((line) => line.metadata?.purpose)?.metadata.purpose
      ?? null;
  }
  return object.metadata?.purpose ?? null;
}

/**
 * The one dispatch point for verified Stripe events (POST /webhooks/stripe). Each object the product
 * creates at Stripe names its purpose in `metadata.purpose` ('gift', 'activation', 'ticket_order', ...),
 * and the purpose's reader turns the event into a workflow start. The workflow id is derived from the
 * event id, so a redelivery (in any order, any number of times) joins or is refused by Temporal, and the
 * applying activity records the event id with its effects for the time after Temporal's retention.
 * Events of a purpose the product does not know (another integration on the same account) and types a
 * purpose does not read are acknowledged as ignored.
 *
 * To add a purpose (one line here plus your own module):
 * 1. When you create the Checkout Session / PaymentIntent / subscription, set
 *    `metadata: { purpose: '<name>', client_id, ... }` on it, and on `payment_intent_data.metadata` or
 *    `subscription_data.metadata` so the PaymentIntent, charge, subscription and invoice events carry it.
 * 2. In your capability's module (e.g. api/services/tickets/ticket-events.ts) export a
 *    `StripePurposeReader` (./stripe-purpose.ts): for each event type you act on,
 *    `return startWith(yourWorkflow, smallInput)`;
 *    return null for the others. Read event shapes from the SDK's types (Stripe.Checkout.Session...).
 * 3. Add `<name>: yourReader,` to STRIPE_PURPOSES above, export the workflow from workflows/index.ts,
 *    and make its activity idempotent on the event id (processed_webhook_events, as activities/payments/stripe-events.ts).
 * A refund (charge.refunded) is usually best left to `payment`, which finds the intent in `payments`.
 */
export async function dispatchStripeEvent(deps: Dispatch, event: Stripe.Event): Promise<Accepted> {
  const reader = STRIPE_PURPOSES[purposeOf(event) ?? 'payment'];
  const start = reader?.(event) ?? null;
  if (!start) return { received: true, duplicate: false, ignored: 1 };
  const duplicate = await startOnce(() => deps.temporal.workflow.start(start.workflow, {
    workflowId: `stripe-event-${event.id}`, taskQueue: deps.taskQueue, args: [start.input], ...ONCE,
  }));
  return { received: true, duplicate, ignored: 0 };
}
