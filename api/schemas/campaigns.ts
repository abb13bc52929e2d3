import { z } from 'zod';
import { type Season } from '../../domain/campaigns/narrative';
import { DEFAULT_DAY_SECONDS, isValidTimeZone } from '../../domain/campaigns/schedule';
import { AudienceFilter } from './audience';
import { Sender, SenderUpdate } from './clients';
import { CampaignParams, amount, choice, decimal, isoDate, page, pagination, text, timestamp, uuid } from './common';

const TRACK15_STAGE_MEANINGS = {
  draft: 'being prepared; story and steps may be incomplete',
  ready_for_launch: 'the core story and all fifteen steps are complete: it can be activated',
  active: 'activated: its workflow is sending the touchpoints',
  paused: 'no new touchpoint starts until it is resumed; resume shifts the rest of the schedule',
  completed: 'the arc ended (all fifteen steps sent, or stopped) and the control-versus-test results are recorded',
} as const;
export const TRACK15_STAGES = Object.keys(TRACK15_STAGE_MEANINGS) as (keyof typeof TRACK15_STAGE_MEANINGS)[];
export const track15Stage = (summary: string) => choice(TRACK15_STAGE_MEANINGS, summary);

/** Stages a manager sets; the others follow from activate, pause, resume, stop and completion. */
const EDITABLE_STAGE_MEANINGS = {
  draft: TRACK15_STAGE_MEANINGS.draft,
  ready_for_launch: 'accepted only when the core story and the fifteen steps are complete; activation needs it',
} as const;

const TEMPLATE_KEY_MEANINGS = {
  seasonal: 'the season\'s fifteen steps are written for you from the core story (they can still be edited)',
  custom: 'you write the fifteen steps yourself with PUT …/steps before the campaign can be ready_for_launch',
} as const;
export const TEMPLATE_KEYS = Object.keys(TEMPLATE_KEY_MEANINGS) as (keyof typeof TEMPLATE_KEY_MEANINGS)[];

const SEASON_MEANINGS = {
  spring: 'renewal, as winter reserves run out',
  summer: 'school is out, and need peaks',
  fall: 'preparing for the cold months ahead',
  year_end: 'the giving season: looking back on the year and ahead to the next',
} as const satisfies Record<Season, string>;
const season = (summary: string) => choice(SEASON_MEANINGS, summary);

const CONTROL_TREATMENT_MEANINGS = {
  holdout: 'the control group receives no campaign email at all',
  standard_appeal: 'the control group receives only the conversion asks (steps 11-13), as a plain appeal without the narrative before it',
} as const;
const controlTreatment = (summary: string) => choice(CONTROL_TREATMENT_MEANINGS, summary);

const storyText = text({ multiline: true }).trim().min(1).max(2000);
export const CoreStory = z.strictObject({
  headline: text().trim().min(1).max(255),
  summary: storyText,
  value_proposition: storyText,
  donor_motivation: storyText,
});

const track15Settings = {
  season: season('The season the narrative speaks to: the seasonal template writes its fifteen steps in that season\'s voice'),
  template_key: choice(TEMPLATE_KEY_MEANINGS, 'Where the fifteen steps come from'),
  core_story: CoreStory,
  stage: choice(EDITABLE_STAGE_MEANINGS, 'The stage a manager sets; active, paused and completed follow from the lifecycle operations'),
  send_hour: z.number().int().min(0).max(23).describe('Hour of the day, in the campaign\'s time zone, touchpoints go out'),
  timezone: text().max(64).refine(isValidTimeZone, 'must be an IANA time zone such as America/New_York'),
  day_length_seconds: z.number().int().refine((seconds) => seconds === DEFAULT_DAY_SECONDS,
    `a campaign's day is ${DEFAULT_DAY_SECONDS} seconds: to run the arc faster, rehearse it (POST /v1/clients/{clientId}/campaigns/{campaignId}/rehearsal), which mails test addresses only`)
    .describe(`Length of one arc "day": always ${DEFAULT_DAY_SECONDS}. A campaign mails its real audience, so it runs at real pace; a faster run is a rehearsal (POST …/rehearsal), to test addresses only`),
  control_share: z.number().min(0).max(0.5).describe('Share of the audience held out as the control group'),
  control_treatment: controlTreatment('What the control group receives'),
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

/** What a campaign raised so far (api/services/campaigns/campaign-progress.ts), in the client's reporting currency. */
export const CampaignProgress = z.object({
  currency: z.string().describe('The client\'s reporting currency (ISO 4217, lowercase): every gift of the client is in it'),
  goal_amount: z.number().nullable().describe('The campaign\'s goal, in major units of `currency`; null when it has none'),
  raised: z.number().describe('The sum of the succeeded gifts attributed to the campaign (pending, failed and refunded ones excluded), in major units of `currency` (1234.5 USD, 50000 JPY)'),
  share_of_goal: z.number().nullable().describe('raised / goal_amount (0.42 = 42%; above 1 once the goal is passed), 4 decimals; null without a goal'),
  gifts: z.number().int().describe('Succeeded gifts attributed to the campaign (each paid month of a monthly gift is one)'),
  donors: z.number().int().describe('Distinct donors behind those gifts'),
  average_gift: z.number().nullable().describe('raised / gifts, in major units of `currency`, rounded to its minor unit; null before the first gift'),
  monthly_donors_started: z.number().int().describe('Donors who started a monthly gift from the campaign\'s asks, whether or not it still runs'),
}).describe('Progress toward the goal: money raised, gifts, donors, average gift and monthly donors started');

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
  track15_season: season('The season of the narrative').nullable(),
  track15_stage: track15Stage('Where the Track15 campaign stands; null for a standard campaign').nullable(),
  track15_template_key: z.string().nullable().describe('seasonal or custom (see template_key)'),
  track15_core_story: z.record(z.string(), z.unknown()).nullable(),
  track15_send_hour: z.number().int(),
  track15_timezone: z.string(),
  track15_day_length_seconds: z.number().int(),
  track15_control_share: decimal,
  track15_control_treatment: controlTreatment('What the control group receives'),
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
  progress: CampaignProgress,
});

export const CampaignQuery = z.strictObject({
  stage: track15Stage('Only Track15 campaigns at this stage').optional(),
  season: season('Only Track15 campaigns of this season').optional(),
  track15: choice({ true: 'only Track15 campaigns', false: 'only standard campaigns' }, 'Which kind of campaign; both when omitted').optional(),
  ...pagination,
});

export const CampaignPage = page(Campaign);
export { CampaignParams };
