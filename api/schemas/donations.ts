import { z } from 'zod';
import { decimal, page, pagination, timestamp, uuid } from './common';
import { pastInstant } from './dates';
import { giftCurrency, majorAmount } from './money';

export const DONATION_STATUSES = ['pending', 'succeeded', 'failed', 'refunded'] as const;

export const DonationCreate = z.strictObject({
  donor_id: uuid,
  campaign_id: uuid.nullish().describe('The campaign the gift is attributed to'),
  amount: majorAmount,
  currency: giftCurrency,
  donated_at: pastInstant.optional().describe('When the gift was made (ISO 8601 with offset, not in the future); now when omitted'),
  status: z.enum(['pending', 'succeeded']).default('succeeded'),
});

export const Donation = z.object({
  id: uuid,
  client_id: uuid,
  donor_id: uuid,
  campaign_id: uuid.nullable(),
  amount: decimal,
  currency: z.string(),
  status: z.enum(DONATION_STATUSES),
  source: z.enum(['offline', 'stripe', 'import']),
  donated_at: timestamp,
  refunded_at: timestamp.nullable(),
  created_at: timestamp,
});

export const DonationQuery = z.strictObject({
  donor_id: uuid.optional(),
  campaign_id: uuid.optional(),
  status: z.enum(DONATION_STATUSES).optional(),
  ...pagination,
});

export const DonationPage = page(Donation);
