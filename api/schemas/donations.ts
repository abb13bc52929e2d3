import { z } from 'zod';
import { ClientParams, choice, decimal, page, pagination, timestamp, uuid } from './common';
import { pastInstant } from './dates';
import { giftCurrency, majorAmount } from './money';

const DONATION_STATUS_MEANINGS = {
  pending: 'promised or in progress; does not count yet',
  succeeded: 'the money arrived: counts for RFM, campaign revenue and conversion',
  failed: 'the payment failed; does not count',
  refunded: 'the money was returned; no longer counts',
} as const;
export const DONATION_STATUSES = Object.keys(DONATION_STATUS_MEANINGS) as (keyof typeof DONATION_STATUS_MEANINGS)[];
const donationStatus = (summary: string) => choice(DONATION_STATUS_MEANINGS, summary);

export const DonationCreate = z.strictObject({
  donor_id: uuid,
  campaign_id: uuid.nullish().describe('The campaign the gift is attributed to'),
  amount: majorAmount,
  currency: giftCurrency,
  donated_at: pastInstant.optional().describe('When the gift was made (ISO 8601 with offset, not in the future); now when omitted'),
  status: choice({ pending: DONATION_STATUS_MEANINGS.pending, succeeded: DONATION_STATUS_MEANINGS.succeeded }, 'succeeded when omitted').default('succeeded'),
});

export const Donation = z.object({
  id: uuid,
  client_id: uuid,
  donor_id: uuid,
  campaign_id: uuid.nullable(),
  amount: decimal,
  currency: z.string(),
  status: donationStatus('Where the gift stands'),
  source: choice({
    offline: 'recorded through POST …/donations (cheque, cash, bank transfer)',
    stripe: 'an online gift, recorded when Stripe\'s webhook confirmed the payment',
    import: 'imported from another system',
  }, 'How the gift was recorded'),
  donated_at: timestamp,
  refunded_at: timestamp.nullable(),
  created_at: timestamp,
  payment: z.object({ id: uuid, status: z.string().describe('The payment\'s status (see GET …/payments/{paymentId})') }).nullable()
    .describe('The online payment (Stripe) that recorded this gift; null for offline and imported gifts'),
});

export const DonationParams = ClientParams.extend({ donationId: uuid.describe('The gift') });

export const DonationQuery = z.strictObject({
  donor_id: uuid.optional(),
  campaign_id: uuid.optional(),
  status: donationStatus('Only gifts in this status').optional(),
  ...pagination,
});

export const DonationPage = page(Donation);
