import type Stripe from 'stripe';
import type { StripeEventInput } from '../../../activities/payments/stripe-events';
import { isRecordedStripeEvent } from '../../../domain/payment-status';
import { stripeEventWorkflow } from '../../../workflows/provider-events';
import { type StripeEventStart, startWith } from './stripe-purpose';

/** The part of a PaymentIntent or charge event the product records, or null for events it does not act on. */
export function stripeEventInput(event: Stripe.Event): StripeEventInput | null {
  if (!isRecordedStripeEvent(event.type)) return null;
  const occurredAt = new Date(event.created * 1000).toISOString();
  if (event.type === 'charge.refunded') {
    const charge = event.data.object as Stripe.Charge;
    const intentId = typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id;
    // A partial refund leaves the gift standing; only a full refund takes it out of RFM and analytics.
    if (!intentId || charge.amount_refunded < charge.amount) return null;
    return {
      eventId: event.id, type: event.type, occurredAt, chargedAt: Number.isInteger(charge.created) ? new Date(charge.created * 1000).toISOString() : occurredAt, paymentIntentId: intentId,
      amount: charge.amount, currency: charge.currency, metadata: charge.metadata ?? {}, failureReason: null,
    };
  }
  const intent = event.data.object as Stripe.PaymentIntent;
  return {
    eventId: event.id, type: event.type, occurredAt, chargedAt: occurredAt, paymentIntentId: intent.id, amount: intent.amount, currency: intent.currency,
    metadata: intent.metadata ?? {}, failureReason: intent.last_payment_error?.message ?? null,
  };
}

/**
 * Purpose `payment` (and every event whose object names no purpose): the PaymentIntents the API creates
 * (POST /v1/clients/{id}/payment-intents), and any charge refund, which is found by its intent in
 * `payments` whatever created it (a refunded charge of a subscription invoice carries no metadata).
 */
export function readPaymentEvent(event: Stripe.Event): StripeEventStart | null {
  const input = stripeEventInput(event);
  return input ? startWith(stripeEventWorkflow, input) : null;
}
