import { z } from 'zod';
import { ClientParams, choice, idempotencyKey, page, pagination, timestamp, uuid } from './common';
import { giftCurrency, majorAmount } from './money';

export const DonationIntentCreate = z.strictObject({
  donor_id: uuid,
  campaign_id: uuid.nullish().describe('The campaign the gift is attributed to'),
  amount: majorAmount,
  currency: giftCurrency,
  idempotency_key: idempotencyKey('PaymentIntent'),
});

export const DonationIntent = z.object({
  payment_id: uuid,
  payment_intent_id: z.string().describe('The Stripe PaymentIntent'),
  client_secret: z.string().nullable().describe('For Stripe.js to confirm the payment in the donor\'s browser'),
  status: z.string().describe('The payment\'s status here (see GET …/payments/{paymentId}); it changes as Stripe\'s webhooks arrive'),
  amount: z.number().describe('In major units'),
  currency: z.string(),
  replayed: z.boolean().describe('True when this idempotency_key was seen before (a retry of the same attempt)'),
});

/** payments.status (migration Activation); Stripe's webhooks move it forward only (domain/payment-status.ts). */
const PAYMENT_STATUS_MEANINGS = {
  pending: 'the PaymentIntent exists; Stripe has not confirmed the money',
  succeeded: 'Stripe confirmed the charge: the gift is recorded (see donation)',
  failed: 'the last attempt failed (failure_reason says why); the donor may still try again with the same intent',
  cancelled: 'the intent was cancelled; no money will move',
  refunded: 'the charge was refunded: the gift is marked refunded',
} as const;
const paymentStatus = (summary: string) => choice(PAYMENT_STATUS_MEANINGS, summary);

export const PaymentParams = ClientParams.extend({ paymentId: uuid.describe('The payment') });

/**
 * An online payment (a Stripe PaymentIntent) and the gift it recorded. Money as donations show it, in
 * major units with the currency, plus the minor units Stripe charged (domain/money.ts converts).
 */
export const Payment = z.object({
  id: uuid,
  client_id: uuid,
  donor_id: uuid.nullable().describe('null when the donor was erased since'),
  campaign_id: uuid.nullable(),
  status: paymentStatus('Where the payment stands'),
  amount: z.number().describe('In major units of currency (50.25 USD, 5000 JPY), as donations show amounts'),
  amount_minor: z.number().int().describe('In the currency\'s minor units, as Stripe charges them (5025 for 50.25 USD, 5000 for 5000 JPY)'),
  currency: z.string().describe('Lowercase ISO 4217 code'),
  stripe_payment_intent_id: z.string().nullable().describe('null until Stripe has created the intent'),
  failure_reason: z.string().nullable().describe('Stripe\'s reason for the last failed attempt'),
  donation: z.object({ id: uuid, status: z.string().describe('The gift\'s status (see GET …/donations)') }).nullable()
    .describe('The gift this payment recorded; null until Stripe confirms the charge'),
  created_at: timestamp,
  updated_at: timestamp,
});

export const PaymentQuery = z.strictObject({
  status: paymentStatus('Only payments in this status').optional(),
  donor_id: uuid.optional().describe('Only this donor\'s payments'),
  ...pagination,
});

export const PaymentPage = page(Payment);
