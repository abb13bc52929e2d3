import type Stripe from 'stripe';
import type { GiftAttribution, GiftEventInput } from '../../../activities/giving/gift-events';
import { giftEventWorkflow } from '../../../workflows/gift-events';
import { readPaymentEvent } from '../payments/payment-events';
import { type StripeEventStart, startWith } from '../payments/stripe-purpose';

const iso = (seconds: number | null | undefined, fallback: string) => (Number.isInteger(seconds) ? new Date(seconds! * 1000).toISOString() : fallback);
const idOf = (value: string | { id: string } | null | undefined) => (typeof value === 'string' ? value : value?.id ?? null);

/** The give link's metadata (api/services/giving/checkout.ts) as the activity reads it; '' means unattributed. */
function attributionOf(metadata: Stripe.Metadata | null | undefined, email: string | null | undefined, name: string | null | undefined): GiftAttribution {
  const step = Number(metadata?.step_number);
  return {
    clientId: metadata?.client_id ?? '',
    campaignId: metadata?.campaign_id || null,
    stepNumber: Number.isInteger(step) && step > 0 ? step : null,
    donorId: metadata?.donor_id || null,
    email: email || null,
    name: name || null,
  };
}

/**
 * Purpose `gift` (the give page's Checkout Sessions, their PaymentIntents and subscriptions): which
 * events record a gift, read with the shapes of the API version the SDK pins (Stripe API reference:
 * Checkout Session, PaymentIntent, Invoice with parent.subscription_details, Subscription):
 * - checkout.session.completed: mode=payment and payment_status=paid is a one-time gift of
 *   `payment_intent` (amount_total); an unpaid one (a delayed method) waits for payment_intent.succeeded.
 *   mode=subscription starts a monthly gift of `subscription`;
 * - payment_intent.succeeded: a one-time gift (amount_received);
 * - invoice.paid: one month of a monthly gift (amount_paid; the intent from `payments` when Stripe
 *   includes it, else the activity asks Stripe for it, so a refund of that month finds it); a zero
 *   invoice is no gift;
 * - customer.subscription.deleted: the monthly gift ends;
 * - charge.refunded: a payment's refund (readPaymentEvent), found by its intent.
 */
export function readGiftEvent(event: Stripe.Event): StripeEventStart | null {
  const occurredAt = new Date(event.created * 1000).toISOString();
  const base = { eventId: event.id, occurredAt };
  const start = (input: GiftEventInput) => startWith(giftEventWorkflow, input);
  switch (event.type) {
    case 'checkout.session.completed': {
      const session = event.data.object;
      const attribution = attributionOf(session.metadata, session.customer_details?.email ?? session.customer_email, session.customer_details?.name);
      const money = { amount: session.amount_total ?? 0, currency: session.currency ?? '' };
      if (session.mode === 'subscription') {
        const subscriptionId = idOf(session.subscription);
        return subscriptionId ? start({ ...base, attribution, kind: 'monthly_started', subscriptionId, ...money }) : null;
      }
      const paymentIntentId = idOf(session.payment_intent);
      if (session.mode !== 'payment' || session.payment_status !== 'paid' || !paymentIntentId || money.amount <= 0) return null;
      return start({ ...base, attribution, kind: 'one_time', paymentIntentId, chargedAt: occurredAt, ...money });
    }
    case 'payment_intent.succeeded': {
      const intent = event.data.object;
      const attribution = attributionOf(intent.metadata, intent.receipt_email, null);
      return start({ ...base, attribution, kind: 'one_time', paymentIntentId: intent.id, chargedAt: occurredAt, amount: intent.amount_received || intent.amount, currency: intent.currency });
    }
    case 'invoice.paid': {
      const invoice = event.data.object;
      const details = invoice.parent?.subscription_details;
      const subscriptionId = idOf(details?.subscription);
      if (!invoice.id || !subscriptionId || invoice.amount_paid <= 0) return null;
      const metadata = details?.metadata ?? invoice.lines?.data?.find((line) => line.metadata?.purpose)?.metadata;
      const paymentIntentId = idOf(invoice.payments?.data?.find((payment) => payment.payment.payment_intent)?.payment.payment_intent);
      return start({
        ...base, attribution: attributionOf(metadata, invoice.customer_email, invoice.customer_name), kind: 'monthly_paid',
        invoiceId: invoice.id, subscriptionId, paymentIntentId, paidAt: iso(invoice.status_transitions?.paid_at, occurredAt),
        amount: invoice.amount_paid, currency: invoice.currency,
      });
    }
    case 'customer.subscription.deleted': {
      const subscription = event.data.object;
      const item = subscription.items?.data?.[0];
      return start({
        ...base, attribution: attributionOf(subscription.metadata, null, null), kind: 'monthly_ended', subscriptionId: subscription.id,
        endedAt: iso(subscription.ended_at ?? subscription.canceled_at, occurredAt),
        amount: (item?.price?.unit_amount ?? 0) * (item?.quantity ?? 1), currency: subscription.currency,
      });
    }
    case 'charge.refunded':
      return readPaymentEvent(event);
    default:
      return null;
  }
}
