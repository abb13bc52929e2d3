import { z } from 'zod';
import { JOURNEY_CAUSE_MEANINGS } from '../../domain/journeys';
import { choice, page, pagination, timestamp, uuid } from './common';
import { pastInstant } from './dates';
import { donorSource, donorStage } from './donors';

export const JourneyQuery = z.strictObject(pagination);

/** One move of the donor's stage (domain/journeys.ts). */
export const JourneyTransition = z.object({
  from_stage: donorStage('The stage the donor left').nullable().describe('null for the first transition: the donor\'s creation as a lead'),
  to_stage: donorStage('The stage the donor entered'),
  at: timestamp.describe('When it happened (UTC): the gift\'s time, the refund\'s, or the end of the lapse window (last gift + lapse_after_days); never before the transition before it'),
  cause: choice(JOURNEY_CAUSE_MEANINGS, 'What moved the donor'),
  donation_id: uuid.nullable().describe('The gift (or refunded gift) that moved the donor; null for a creation or a lapse'),
  campaign_id: uuid.nullable().describe('That gift\'s campaign, if any'),
  recorded_at: timestamp.describe('When the product recorded it: a lapse is recorded by the daily sweep after `at`; transitions of donors that existed before journeys were kept are recorded by the backfill'),
});

/** Which campaign or channel brought the donor's first gift; nulls while the donor has not given. */
export const FirstGift = z.object({
  at: timestamp.nullable().describe('When the first (earliest succeeded) gift was made: the conversion, seed 001\'s subscribed_at'),
  donation_id: uuid.nullable(),
  campaign_id: uuid.nullable().describe('The campaign the gift is attributed to'),
  step_number: z.number().int().nullable().describe('The touchpoint whose give link it came through'),
  source: donorSource('Where it came from: the touchpoint\'s channel (email_campaign, sms_campaign), for a campaign gift without a step the campaign\'s channel, else the donor\'s own source').nullable(),
});

/** A donor's journey: where they stand, their first gift, and a page of their transitions, oldest first. */
export const Journey = page(JourneyTransition).extend({
  donor_id: uuid,
  stage: donorStage('Where the donor stands now'),
  stage_entered_at: timestamp,
  last_gift_at: timestamp.nullable().describe('The latest succeeded gift; the donor lapses lapse_after_days after it'),
  first_gift: FirstGift,
});

export const JourneyAnalyticsQuery = z.strictObject({
  since: pastInstant.optional().describe('Only donors created (became leads) at or after this instant (ISO 8601 with offset): a cohort; all donors when omitted'),
});

/** Seed 001's analytics view, per stage and source. */
export const JourneyAnalyticsGroup = z.object({
  stage: donorStage('The donors\' current stage'),
  source: donorSource('Where the first gift came from (first_gift.source); for donors who have not given, their own source'),
  count: z.number().int().describe('Donors in this stage from this source'),
  count_30d: z.number().int().describe('Of those, donors who entered the stage in the 30 days up to as_of'),
  converted: z.number().int().describe('Of those, donors whose conversion (lead to first gift) is measured: they gave after they were created'),
  avg_days_to_conversion: z.number().nullable()
    .describe('Average days from creation (lead) to first gift of the converted donors, to 2 decimals; null when none converted (leads; donors imported with older gifts)'),
});

export const JourneyAnalytics = z.object({
  as_of: timestamp.describe('The instant the figures were computed (the end of the 30-day window)'),
  since: timestamp.nullable(),
  lapse_after_days: z.number().int().describe('The client\'s lapse window, in days'),
  groups: z.array(JourneyAnalyticsGroup).describe('Every (stage, source) with at least one donor, by stage in journey order, then source'),
});
