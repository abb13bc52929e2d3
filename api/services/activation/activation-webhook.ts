import type Stripe from 'stripe';
import { activationStripeEventWorkflow } from '../../../workflows/activation/activation';
import { readPaymentEvent, stripeEventInput } from '../payments/payment-events';
import { type StripeEventStart, startWith } from '../payments/stripe-purpose';

/**
 * Purpose `activation` (issue 16 item 3): the events of an activation payment's PaymentIntent, which
 * carries the metadata the activation page set on its Checkout Session (api/services/activation/activation-pages.ts).
 * payment_intent.succeeded and payment_intent.payment_failed record the payment against its content version
 * and move the client (workflows/activation/activation.ts); a refund of its charge is the `payment` purpose's, which
 * finds the payment by its intent. Registered in api/services/payments/stripe-dispatch.ts.
 */
export function readActivationEvent(event: Stripe.Event): StripeEventStart | null {
  if (event.type === 'charge.refunded') return readPaymentEvent(event);
  const input = stripeEventInput(event);
  return input ? startWith(activationStripeEventWorkflow, input) : null;
}
