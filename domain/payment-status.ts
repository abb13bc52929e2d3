/**
 * A payment's status as Stripe events arrive, in any order and any number of times. Statuses only move
 * forward: a late payment_failed never undoes a success, and a refund is final. A failure before a
 * success is an earlier attempt of the same intent, so success still wins.
 */
export const PAYMENT_STATUSES = ['pending', 'failed', 'succeeded', 'refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export function advancePayment(current: PaymentStatus, next: PaymentStatus): PaymentStatus {
  return PAYMENT_STATUSES.indexOf(next) > PAYMENT_STATUSES.indexOf(current) ? next : current;
}

/** The Stripe events the product records, and the payment status each one means. */
export const STRIPE_EVENT_STATUS = {
  'payment_intent.succeeded': 'succeeded',
  'payment_intent.payment_failed': 'failed',
  'charge.refunded': 'refunded',
} as const satisfies Record<string, PaymentStatus>;

export type RecordedStripeEvent = keyof typeof STRIPE_EVENT_STATUS;

export function isRecordedStripeEvent(type: string): type is RecordedStripeEvent {
  return type in STRIPE_EVENT_STATUS;
}

/** A gift exists once the money moved: a refunded payment had succeeded first, even if that event is late. */
export function donationStatusFor(payment: PaymentStatus): 'succeeded' | 'refunded' | null {
  return payment === 'succeeded' || payment === 'refunded' ? payment : null;
}

