import { z } from 'zod';
import { ClientParams, choice, page, pagination, timestamp, uuid } from './common';

/** receipts.email_status (migration Giving): the receipt row is the email's delivery ledger. */
const EMAIL_STATUS_MEANINGS = {
  pending: 'not emailed yet (the workflow is about to send it, or SendGrid asked to retry later)',
  sending: 'handed to SendGrid; its answer is awaited (or was lost and is being checked with SendGrid)',
  sent: 'SendGrid accepted the email (emailed_at)',
  skipped: 'no email went out, for email_skip_reason',
} as const;

export const ReceiptParams = ClientParams.extend({ receiptId: uuid.describe('The receipt') });

/**
 * The receipt of one recorded gift. Numbers run 1, 2, 3... per client and calendar year (UTC) of the
 * gift, without gaps; `receipt_number` prints them as YEAR-NNNNNN. A refund voids the receipt
 * (voided_at) and sends nothing new.
 */
export const Receipt = z.object({
  id: uuid,
  client_id: uuid,
  donation_id: uuid,
  donor_id: uuid.nullable().describe('null when the donor was erased since'),
  recurring_gift_id: uuid.nullable().describe('The monthly gift this month\'s gift belongs to; null for a one-time gift'),
  year: z.number().int().describe('Calendar year (UTC) of the gift: numbers restart at 1 each year'),
  number: z.number().int().describe('Sequential per client and year, without gaps'),
  receipt_number: z.string().describe('As printed on the receipt: YEAR-NNNNNN'),
  amount: z.number().describe('In major units of currency (50.25 USD, 5000 JPY)'),
  amount_minor: z.number().int().describe('In the currency\'s minor units, as Stripe charged'),
  currency: z.string().describe('Lowercase ISO 4217 code'),
  issued_at: timestamp.describe('When the gift was made (the date the receipt states)'),
  void: z.boolean().describe('True once the gift was refunded'),
  voided_at: timestamp.nullable(),
  email_status: choice(EMAIL_STATUS_MEANINGS, 'Where the receipt email stands'),
  email_skip_reason: z.string().nullable()
    .describe('Why no email went out: voided (refunded before sending), no_address, suppressed, opted_out (transactional or all), rejected (SendGrid refused the address)'),
  emailed_at: timestamp.nullable(),
});

export const ReceiptQuery = z.strictObject({
  donor_id: uuid.optional().describe('Only this donor\'s receipts'),
  year: z.coerce.number().int().min(2000).max(9999).optional().describe('Only receipts of this calendar year'),
  ...pagination,
});

export const ReceiptPage = page(Receipt);
