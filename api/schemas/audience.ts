import { z } from 'zod';
import { TARGET_PROFILE_FIELDS, UNSCORED } from '../../domain/audience';
import { isCurrencyCode } from '../../domain/money';
import { choice, text } from './common';
import { RFM_SEGMENT_MEANINGS, donorStage } from './donors';

const tag = text().trim().min(1).max(100);
const nonEmpty = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(100);

/** domain/audience.ts's filter; every condition optional, combined with AND. */
export const AudienceFilter = z.strictObject({
  segments: nonEmpty(choice({ ...RFM_SEGMENT_MEANINGS, [UNSCORED]: 'donors without a segment: no succeeded gifts yet' }, 'An RFM segment to include'))
    .describe('RFM segments to include'),
  tags_any: nonEmpty(tag).describe('Donors with at least one of these tags'),
  exclude_tags: nonEmpty(tag).describe('Donors with none of these tags'),
  stages: nonEmpty(donorStage('A lifecycle stage to include')).describe('Lifecycle stages to include'),
  last_gift_after: z.iso.date().describe('Last succeeded gift on or after this date (UTC)'),
  last_gift_before: z.iso.date().describe('Last succeeded gift before this date (UTC), or never given'),
  total_given: z.strictObject({
    currency: z.string().refine(isCurrencyCode, 'must be an ISO 4217 currency code').transform((code) => code.toLowerCase()),
    min: z.number().min(0).optional().describe('Major units (e.g. dollars)'),
    max: z.number().min(0).optional().describe('Major units (e.g. dollars)'),
  }).refine((t) => t.min !== undefined || t.max !== undefined, 'name min, max or both')
    .refine((t) => t.min === undefined || t.max === undefined || t.min <= t.max, { path: ['max'], message: 'must not be below min' })
    .describe('Succeeded gifts in one currency'),
  has_email: z.boolean(),
  has_phone: z.boolean(),
  exclude_other_active_campaigns: z.boolean().describe('Leave out donors in the audience of another active or paused campaign of the client'),
  target_profile: z.boolean().describe(`The campaign's target customer profile in effect (its profile usage) selects too: ${
    Object.entries(TARGET_PROFILE_FIELDS).map(([field, donor]) => `${field} → ${donor}`).join('; ')}. No profile in effect: no condition`),
}).partial()
  .refine((f) => !f.last_gift_after || !f.last_gift_before || f.last_gift_after < f.last_gift_before, { path: ['last_gift_before'], message: 'must be after last_gift_after' });

export const AudienceEstimateQuery = z.strictObject({
  baseline_conversion_rate: z.coerce.number().gt(0).lt(1).optional()
    .describe('Expected conversion rate of the control group, 0-1; default: the client\'s historical_conversion_rate'),
  expected_lift_percent: z.coerce.number().gt(0).max(10_000).optional()
    .describe('The relative lift the client hopes to see, in percent; default: the client\'s expected_lift_percent'),
});

const Counts = z.object({ selected: z.number().int(), reachable: z.number().int().describe('Would get email: an address, not suppressed, not unsubscribed') });

export const AudienceEstimate = z.object({
  selected: z.number().int().describe('Donors the filter selects: the audience activation would freeze now'),
  reachable: z.number().int(),
  groups: z.object({ test: Counts, control: Counts }).describe('The split activation would make (the same hash of campaign and donor)'),
  segments: z.array(Counts.extend({ segment: z.string().nullable(), test: z.number().int(), control: z.number().int() })),
  power: z.object({
    control_share: z.number(),
    baseline_conversion_rate: z.number().nullable(),
    expected_lift_percent: z.number().nullable(),
    minimum_detectable_lift_percent: z.number().nullable()
      .describe('Smallest relative lift (test over control) detectable at 80% power and 95% confidence; null when none is'),
    minimum_detectable_difference: z.number().nullable().describe('The same as a difference of conversion rates'),
    control_share_needed: z.number().nullable().describe('Smallest control share (≤ 0.5) that detects the expected lift; null when none does'),
    warnings: z.array(z.string()),
  }).describe('Two-proportion z-test (Fleiss, Levin & Paik 2003, ch. 4): domain/experiments/detectable-lift.ts'),
});
