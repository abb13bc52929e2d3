import { z } from 'zod';
import { AB_DEFAULT_TEST_SHARE, AB_MAX_VARIANTS, AB_MIN_VARIANTS } from '../../domain/experiments/ab-test';
import { type Stage, STEP_COUNT } from '../../domain/campaigns/narrative';
import { CampaignParams, choice, text, timestamp } from './common';
import { rfmSegment } from './donors';

/** Seed 000's arc: 3 awareness, 3 engagement, 4 consideration, 3 conversion, 2 gratitude steps (domain/campaigns/narrative.ts). */
const STAGE_MEANINGS = {
  awareness: 'steps 1-3: introduce the need and the story',
  engagement: 'steps 4-6: draw the donor into the story',
  consideration: 'steps 7-10: show the impact a gift would have',
  conversion: 'steps 11-13: the asks; donors who already gave during the campaign are skipped, and a standard_appeal control group gets these too',
  gratitude: 'steps 14-15: thank and report back',
} as const satisfies Record<Stage, string>;
export const narrativeStage = (summary: string) => choice(STAGE_MEANINGS, summary);

const CHANNEL_MEANINGS = {
  email: 'sent by email (SendGrid)',
  sms: 'sent as a text message (Twilio) from the client\'s sms_from_number, to donors with a valid phone and SMS consent for marketing, 08:00-21:00 in their zone; the subject line is not used',
  email_and_sms: 'both: each donor gets the email and the text, each under its own channel\'s rules (a donor without SMS consent gets only the email, one who turned email off only the text); the delivery ledger and the status count each channel apart',
} as const;

const line = (max: number) => text().min(1).max(max);
const paragraphs = (max: number) => text({ multiline: true }).min(1).max(max);

const SegmentOverride = z.strictObject({
  subject_line: line(1000).optional(),
  emphasis: text().max(100).optional(),
  message: paragraphs(20_000).optional(),
});

const AbVariant = z.strictObject({
  subject_line: line(1000).optional().describe('Replaces the step\'s subject line for this variant (Handlebars template)'),
  message: paragraphs(20_000).optional().describe('Replaces the step\'s message for this variant (Handlebars template)'),
}).refine((variant) => variant.subject_line !== undefined || variant.message !== undefined, 'a variant sets subject_line, message or both');

/** Issue 14 item 4: the variants are tried on a share of the step's recipients; the best goes to the rest. */
const AbTest = z.strictObject({
  variants: z.array(AbVariant).min(AB_MIN_VARIANTS).max(AB_MAX_VARIANTS)
    .describe(`${AB_MIN_VARIANTS}-${AB_MAX_VARIANTS} subject-line or message variants, split evenly across the test share`),
  metric: choice({ opens: 'opens per recipient sent the variant', clicks: 'clicks per recipient sent the variant' }, 'The rate that picks the winner, from SendGrid events').default('opens'),
  test_share: z.number().gt(0).lt(1).default(AB_DEFAULT_TEST_SHARE)
    .describe('Share (0-1) of the step\'s recipients the variants are tried on; the rest get the winner'),
  wait_hours: z.number().positive().max(24 * 14)
    .describe('Hours between the variants\' send and the decision, at real pace (scaled by the day length in rehearsal-pace campaigns)'),
});

const stepFields = {
  day: z.number().int().min(1).max(STEP_COUNT),
  subject_line: line(1000).describe('Handlebars template; variables: donor.*, story.*, campaign.name, links.*'),
  message: paragraphs(20_000),
  call_to_action: line(1000),
  segment_customization: z.partialRecord(rfmSegment('The RFM segment the override is for'), SegmentOverride).nullable()
    .describe('Per RFM segment: a different subject line or message, and the emphasis'),
  channel: choice(CHANNEL_MEANINGS, 'How the step reaches donors'),
  ab_test: AbTest.nullable().describe('An A/B test of this step\'s subject line or message; null for none'),
};

export const StepInput = z.strictObject({
  step_number: z.number().int().min(1).max(STEP_COUNT),
  stage: narrativeStage('The arc stage of the step; must match its step number'),
  ...stepFields,
  segment_customization: stepFields.segment_customization.default(null),
  channel: stepFields.channel.default('email'),
  ab_test: stepFields.ab_test.default(null),
});

export const StepsReplace = z.strictObject({
  steps: z.array(StepInput).length(STEP_COUNT).describe('All fifteen steps'),
});

export const StepPatch = z.strictObject(stepFields).partial()
  .refine((patch) => Object.keys(patch).length > 0, 'name at least one field to change');

export const Step = z.object({
  step_number: z.number().int(),
  stage: narrativeStage('The arc stage of the step'),
  ...stepFields,
  updated_at: timestamp,
});

export const StepParams = CampaignParams.extend({ stepNumber: z.coerce.number().int().min(1).max(STEP_COUNT) });
