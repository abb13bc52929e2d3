import { z } from 'zod';
import { SEASONS } from '../../domain/narrative';
import { DEFAULT_DAY_SECONDS, isValidTimeZone } from '../../domain/schedule';
import { AudienceFilter } from './audience';
import { Sender, SenderUpdate } from './clients';
import { CampaignParams, amount, decimal, isoDate, page, pagination, text, timestamp, uuid } from './common';

export const TRACK15_STAGES = ['draft', 'ready_for_launch', 'active', 'paused', 'completed'] as const;
/** `seasonal`: the season's fifteen steps are written for you; `custom`: you PUT your own fifteen. */
export const TEMPLATE_KEYS = ['seasonal', 'custom'] as const;

const storyText = text({ multiline: true }).trim().min(1).max(2000);
export const CoreStory = z.strictObject({
  headline: text().trim().min(1).max(255),
  summary: storyText,
  value_proposition: storyText,
  donor_motivation: storyText,
});

/** Stages a manager sets; the others follow from activate, pause, resume, stop and completion. */
const EditableStage = z.enum(['draft', 'ready_for_launch']);

const track15Settings = {
  season: z.enum(SEASONS),
  template_key: z.enum(TEMPLATE_KEYS),
  core_story: CoreStory,
  stage: EditableStage.describe('ready_for_launch is accepted only when the story and the fifteen steps are complete'),
  send_hour: z.number().int().min(0).max(23).describe('Hour of the day, in the campaign\'s time zone, touchpoints go out'),
  timezone: text().max(64).refine(isValidTimeZone, 'must be an IANA time zone such as America/New_York'),
  day_length_seconds: z.number().int().refine((seconds) => seconds === DEFAULT_DAY_SECONDS,
    `a campaign's day is ${DEFAULT_DAY_SECONDS} seconds: to run the arc faster, rehearse it (POST /v1/clients/{clientId}/campaigns/{campaignId}/rehearsal), which mails test addresses only`)
    .describe(`Length of one arc "day": always ${DEFAULT_DAY_SECONDS}. A campaign mails its real audience, so it runs at real pace; a faster run is a rehearsal (POST …/rehearsal), to test addresses only`),
  control_share: z.number().min(0).max(0.5).describe('Share of the audience held out as the control group'),
  control_treatment: z.enum(['holdout', 'standard_appeal']),
  audience_filter: AudienceFilter.describe('Who the audience is; applied when it is frozen at activation. {} selects every active donor with an address'),
};

const Track15Create = z.strictObject({
  ...track15Settings,
  template_key: track15Settings.template_key.default('seasonal'),
  stage: track15Settings.stage.default('draft'),
  send_hour: track15Settings.send_hour.default(9),
  timezone: track15Settings.timezone.default('UTC'),
  day_length_seconds: track15Settings.day_length_seconds.default(DEFAULT_DAY_SECONDS),
  control_share: track15Settings.control_share.default(0.1),
  control_treatment: track15Settings.control_treatment.default('holdout'),
  audience_filter: track15Settings.audience_filter.default({}),
});

const campaignFields = {
  name: text().trim().min(1).max(255),
  description: text({ multiline: true }).max(10_000).nullable(),
  goal_amount: amount.nullable(),
  start_date: isoDate.nullable(),
  end_date: isoDate.nullable(),
};

const datesInOrder = (campaign: { start_date?: string | null; end_date?: string | null }) =>
  !campaign.start_date || !campaign.end_date || campaign.start_date <= campaign.end_date;

export const CampaignCreate = z.strictObject({
  ...campaignFields,
  description: campaignFields.description.optional(),
  goal_amount: campaignFields.goal_amount.optional(),
  start_date: campaignFields.start_date.optional(),
  end_date: campaignFields.end_date.optional(),
  track15: Track15Create.optional().describe('Makes it a Track15 campaign; omit for a standard campaign'),
  sender: Sender.partial().optional().describe('Overrides of the client\'s sender identity for this campaign\'s mail'),
}).refine(datesInOrder, { path: ['end_date'], message: 'must not be before start_date' });

export type CampaignCreateInput = z.infer<typeof CampaignCreate>;

export const CampaignUpdate = z.strictObject({
  ...campaignFields,
  track15: z.strictObject(track15Settings).partial().refine((t) => Object.keys(t).length > 0, 'name at least one Track15 setting').optional(),
  sender: SenderUpdate.describe('Overrides of the client\'s sender identity (null: use the client\'s); may change while the campaign runs'),
}).partial()
  .refine((update) => Object.keys(update).length > 0, 'name at least one field to change')
  .refine(datesInOrder, { path: ['end_date'], message: 'must not be before start_date' });

export type CampaignUpdateInput = z.infer<typeof CampaignUpdate>;

export const Campaign = z.object({
  id: uuid,
  client_id: uuid,
  name: z.string(),
  description: z.string().nullable(),
  goal_amount: decimal.nullable(),
  start_date: z.string().nullable(),
  end_date: z.string().nullable(),
  status: z.string().nullable(),
  stats: z.record(z.string(), z.unknown()),
  sender: Sender.describe('This campaign\'s overrides of the client\'s sender identity; null fields use the client\'s'),
  created_at: timestamp,
  updated_at: timestamp,
  track15_enabled: z.boolean(),
  track15_season: z.enum(SEASONS).nullable(),
  track15_stage: z.enum(TRACK15_STAGES).nullable(),
  track15_template_key: z.string().nullable(),
  track15_core_story: z.record(z.string(), z.unknown()).nullable(),
  track15_send_hour: z.number().int(),
  track15_timezone: z.string(),
  track15_day_length_seconds: z.number().int(),
  track15_control_share: decimal,
  track15_control_treatment: z.enum(['holdout', 'standard_appeal']),
  track15_audience_filter: z.record(z.string(), z.unknown()),
  track15_activated_at: timestamp.nullable(),
  track15_completed_at: timestamp.nullable(),
  track15_paused_at: timestamp.nullable(),
  track15_pause_reason: z.string().nullable(),
  track15_stop_reason: z.string().nullable(),
  track15_control_conversion: decimal.nullable(),
  track15_test_conversion: decimal.nullable(),
  track15_control_revenue: decimal.nullable(),
  track15_test_revenue: decimal.nullable(),
});

export const CampaignQuery = z.strictObject({
  stage: z.enum(TRACK15_STAGES).optional().describe('Track15 stage'),
  season: z.enum(SEASONS).optional(),
  track15: z.enum(['true', 'false']).optional().describe('Only Track15 (true) or only standard (false) campaigns'),
  ...pagination,
});

export const CampaignPage = page(Campaign);
export { CampaignParams };
