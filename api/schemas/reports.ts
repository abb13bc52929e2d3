import { AB_METRICS } from '../../domain/experiments/ab-test';
import { z } from 'zod';
import { CampaignParams, choice, page, pagination, timestamp, uuid } from './common';
import { rfmSegment } from './donors';

/** Which half of the experiment a recipient is in: assigned by a hash of campaign and donor when the audience is frozen. */
const recipientGroup = choice({
  test: 'receives the Track15 narrative',
  control: 'held out for comparison (what it receives depends on the campaign\'s control_treatment)',
}, 'The recipient\'s group');

const Group = z.object({
  recipients: z.number().int(),
  conversions: z.number().int(),
  conversion_rate: z.number().nullable(),
  revenue: z.number(),
  revenue_per_recipient: z.number(),
});

const Retention = z.object({
  prior_donors: z.number().int().describe('Recipients who had given before the campaign was activated'),
  retained: z.number().int().describe('…of whom gave to the campaign'),
  rate: z.number().nullable(),
});

export const Analytics = z.object({
  control: Group,
  test: Group,
  lift_percent: z.number().nullable().describe('Relative lift of the test conversion rate over control'),
  difference: z.number().describe('Test minus control conversion rate'),
  ci95: z.tuple([z.number(), z.number()]).describe('95% confidence interval of the difference'),
  p_value: z.number().nullable(),
  segments: z.array(z.object({
    segment: rfmSegment('RFM segment when the audience was frozen; null for donors without gifts').nullable(),
    group: recipientGroup,
    recipients: z.number().int(),
    conversions: z.number().int().describe('Recipients of the segment and group who gave (gifts that count for the campaign: attributed to it, or unattributed within its window)'),
    revenue: z.number().describe('What they gave, in major units of the client\'s reporting currency'),
  })).describe('Revenue and conversions per RFM segment and group'),
  steps: z.array(z.object({
    step_number: z.number().int().describe('The touchpoint whose give link the gifts came through'),
    conversions: z.number().int().describe('Donors who gave through it'),
    gifts: z.number().int().describe('Succeeded gifts through it (each month of a monthly gift is one)'),
    revenue: z.number().describe('Their sum, in major units of the client\'s reporting currency'),
  })).describe('Revenue and conversions per touchpoint (issue 11): gifts made through a step\'s personal give link, refunds out'),
  retention: z.object({ control: Retention, test: Retention }),
  ab_tests: z.array(z.object({
    step_number: z.number().int(),
    metric: z.enum(AB_METRICS).describe('The rate compared: opens or clicks per recipient sent the variant'),
    winner: z.number().int().describe('Index of the variant sent to the rest of the step\'s recipients'),
    significant: z.boolean().describe('The winner beat every other variant at 5%, Bonferroni-corrected (two-proportion z-test)'),
    p_value: z.number().nullable(),
    decided_at: timestamp,
    variants: z.array(z.object({
      index: z.number().int(),
      recipients: z.number().int(),
      conversions: z.number().int(),
      rate: z.number(),
      ci95: z.tuple([z.number(), z.number()]).describe('95% Wilson interval of the rate'),
    })),
  })).describe('The A/B tests of the campaign\'s steps decided so far (issue 14 item 4), by step'),
});

const DELIVERY_STATUS_MEANINGS = {
  pending: 'claimed for sending; the provider has not answered yet',
  sent: 'SendGrid accepted the email',
  delivered: 'the receiving mail server accepted it',
  opened: 'the donor opened it',
  clicked: 'the donor clicked a link in it',
  bounced: 'the receiving server refused it',
  skipped: 'not sent; skip_reason says why',
  failed: 'SendGrid refused it; failure_reason says why',
} as const;
export const DELIVERY_STATUSES = Object.keys(DELIVERY_STATUS_MEANINGS) as (keyof typeof DELIVERY_STATUS_MEANINGS)[];
const deliveryStatus = (summary: string) => choice(DELIVERY_STATUS_MEANINGS, summary);

export const DeliveryQuery = z.strictObject({
  donor_id: uuid.optional(),
  step_number: z.coerce.number().int().min(1).max(15).optional(),
  status: deliveryStatus('Only ledger rows in this status').optional(),
  ...pagination,
});

export const Delivery = z.object({
  step_number: z.number().int(),
  donor_id: uuid,
  channel: z.string(),
  status: deliveryStatus('How far the email got'),
  skip_reason: z.string().nullable()
    .describe('Why a skipped row was not sent: unsubscribed, suppressed (the address bounced or complained), no_address, control_group, already_gave (conversion steps), budget_exhausted, frequency_cap, sms_opted_out (the number texted STOP) or no_sms_consent (no SMS consent for marketing)'),
  failure_reason: z.string().nullable(),
  provider_message_id: z.string().nullable(),
  cost_cents: z.number().int(),
  attempts: z.number().int(),
  created_at: timestamp,
  settled_at: timestamp.nullable(),
});

export const Deliveries = page(Delivery).extend({
  recipient: z.object({ group: recipientGroup, segment_at_start: z.string().nullable() }).nullable().optional()
    .describe('With donor_id: the donor\'s place in the audience frozen at activation; null when not in it'),
  explanation: z.string().optional().describe('With donor_id and step_number: why the donor did or did not get the step'),
});

export { CampaignParams };
