import { z } from 'zod';
import { STAGES, STEP_COUNT } from '../../domain/narrative';
import { RFM_SEGMENTS } from '../../domain/rfm';
import { CampaignParams, text, timestamp } from './common';

const line = (max: number) => text().min(1).max(max);
const paragraphs = (max: number) => text({ multiline: true }).min(1).max(max);

const SegmentOverride = z.strictObject({
  subject_line: line(1000).optional(),
  emphasis: text().max(100).optional(),
  message: paragraphs(20_000).optional(),
});

const stepFields = {
  day: z.number().int().min(1).max(STEP_COUNT),
  subject_line: line(1000).describe('Handlebars template; variables: donor.*, story.*, campaign.name, links.*'),
  message: paragraphs(20_000),
  call_to_action: line(1000),
  segment_customization: z.partialRecord(z.enum(RFM_SEGMENTS), SegmentOverride).nullable()
    .describe('Per RFM segment: a different subject line or message, and the emphasis'),
  channel: z.enum(['email', 'sms']),
};

export const StepInput = z.strictObject({
  step_number: z.number().int().min(1).max(STEP_COUNT),
  stage: z.enum(STAGES),
  ...stepFields,
  segment_customization: stepFields.segment_customization.default(null),
  channel: stepFields.channel.default('email'),
});

export const StepsReplace = z.strictObject({
  steps: z.array(StepInput).length(STEP_COUNT).describe('All fifteen steps'),
});

export const StepPatch = z.strictObject(stepFields).partial()
  .refine((patch) => Object.keys(patch).length > 0, 'name at least one field to change');

export const Step = z.object({
  step_number: z.number().int(),
  stage: z.enum(STAGES),
  ...stepFields,
  updated_at: timestamp,
});

export const StepParams = CampaignParams.extend({ stepNumber: z.coerce.number().int().min(1).max(STEP_COUNT) });
