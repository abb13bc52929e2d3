import { z } from 'zod';
import { RFM_SEGMENTS } from '../../domain/rfm';
import { CampaignParams, pagination, timestamp, uuid } from './common';

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
    segment: z.enum(RFM_SEGMENTS).nullable().describe('RFM segment when the audience was frozen; null for donors without gifts'),
    group: z.enum(['test', 'control']),
    recipients: z.number().int(),
    conversions: z.number().int(),
    revenue: z.number(),
  })),
  retention: z.object({ control: Retention, test: Retention }),
});

export const DELIVERY_STATUSES = ['pending', 'sent', 'delivered', 'opened', 'clicked', 'bounced', 'skipped', 'failed'] as const;

export const DeliveryQuery = z.strictObject({
  donor_id: uuid.optional(),
  step_number: z.coerce.number().int().min(1).max(15).optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  ...pagination,
});

export const Delivery = z.object({
  step_number: z.number().int(),
  donor_id: uuid,
  channel: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  skip_reason: z.string().nullable(),
  failure_reason: z.string().nullable(),
  provider_message_id: z.string().nullable(),
  cost_cents: z.number().int(),
  attempts: z.number().int(),
  created_at: timestamp,
  settled_at: timestamp.nullable(),
});

export const Deliveries = z.object({
  items: z.array(Delivery),
  next_offset: z.number().int().nullable(),
  recipient: z.object({ group: z.enum(['test', 'control']), segment_at_start: z.string().nullable() }).nullable().optional()
    .describe('With donor_id: the donor\'s place in the audience frozen at activation; null when not in it'),
  explanation: z.string().optional().describe('With donor_id and step_number: why the donor did or did not get the step'),
});

export { CampaignParams };
