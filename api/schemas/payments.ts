import { z } from 'zod';
import { uuid } from './common';
import { giftCurrency, majorAmount } from './money';

export const DonationIntentCreate = z.strictObject({
  donor_id: uuid,
  campaign_id: uuid.nullish().describe('The campaign the gift is attributed to'),
  amount: majorAmount,
  currency: giftCurrency,
  idempotency_key: z.string().regex(/^[\x21-\x7e]{8,200}$/, 'must be 8-200 printable ASCII characters without spaces')
    .describe('Your key for this donation attempt: sending it again (after a timeout, say) returns the same PaymentIntent instead of creating another'),
});

export const DonationIntent = z.object({
  payment_id: uuid,
  payment_intent_id: z.string().describe('The Stripe PaymentIntent'),
  client_secret: z.string().nullable().describe('For Stripe.js to confirm the payment in the donor\'s browser'),
  status: z.string().describe('The payment\'s status here; it changes as Stripe\'s webhooks arrive'),
  amount: z.number().describe('In major units'),
  currency: z.string(),
  replayed: z.boolean().describe('True when this idempotency_key was seen before (a retry of the same attempt)'),
});
