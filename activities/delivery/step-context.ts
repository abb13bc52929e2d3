import type { EntityManager } from '@mikro-orm/postgresql';
import { ApplicationFailure } from '@temporalio/activity';
import type { StepAbTest } from '../../domain/experiments/ab-test';
import { type BrandStyle, type StoredGuidelines, brandStyleOf } from '../../domain/delivery/brand-style';
import type { CoreStory, NarrativeStepDraft } from '../../domain/campaigns/narrative';
import type { SenderSettings } from '../../domain/delivery/sender';
import type { FrequencyCap } from './frequency-cap';
import { EFFECTIVE_SENDER_SQL } from './sender-identity';
import type { StepChannel } from '../../domain/delivery/channels';

/** What every message of one step of one campaign shares: the texts, the story, the sender and the send's rules. */
export interface StepContext {
  campaignName: string;
  story: CoreStory;
  controlTreatment: 'holdout' | 'standard_appeal';
  /** Null before activation (a preview or a test send of a campaign being written). */
  activatedAt: string | null;
  timezone: string;
  step: NarrativeStepDraft;
  channel: StepChannel;
  budgetId: string | null;
  /**
   * The effective sender; its From name is the campaign's own, else the brand's in effect (the brand
   * guidelines of the campaign's profile usage), else the client's.
   */
  sender: SenderSettings;
  /** The brand guidelines in effect (usage override, else its container's), null when the campaign has none. */
  brand: BrandStyle | null;
  frequencyCap: FrequencyCap | null;
  /** The step's A/B test (issue 14 item 4), null when it has none. */
  abTest: StepAbTest | null;
  /** Seconds in one of the campaign's days (86,400 at real pace). */
  dayLengthSeconds: number;
  /** The client's number its texts come from (E.164), null when it has none. */
  smsFromNumber: string | null;
}

/**
 * Reads a step's context in the caller's client transaction. The real send, the preview and the test
 * sends all read it here, so they render from the same row. Throws a non-retryable CampaignNotFound
 * failure (an activity's caller must not retry it) when the campaign has no such step.
 */
export async function loadStepContext(em: EntityManager, scope: { campaignId: string; stepNumber: number }): Promise<StepContext> {
  const [row] = await em.execute<Record<string, unknown>[]>(CONTEXT_SQL, [scope.stepNumber, scope.campaignId]);
  if (!row) {
    throw ApplicationFailure.create({ message: `campaign ${scope.campaignId} has no step ${scope.stepNumber}`, type: 'CampaignNotFound', nonRetryable: true });
  }
  const guidelines = (row.guidelines as StoredGuidelines | null) ?? null;
  return {
    campaignName: row.name as string,
    story: (row.story as CoreStory | null) ?? { headline: '', summary: '', value_proposition: '', donor_motivation: '' },
    controlTreatment: row.control_treatment as StepContext['controlTreatment'],
    activatedAt: (row.activated_at as string | null) ?? null,
    timezone: row.timezone as string,
    budgetId: (row.budget_id as string | null) ?? null,
    channel: row.channel as StepChannel,
    sender: { ...(row.sender as SenderSettings), from_name: (row.campaign_from_name as string | null) ?? guidelines?.brand_name ?? (row.sender as SenderSettings).from_name },
    brand: guidelines ? brandStyleOf(guidelines) : null,
    abTest: (row.ab_test as StepAbTest | null) ?? null,
    dayLengthSeconds: Number(row.day_length_seconds),
    smsFromNumber: (row.sms_from_number as string | null) ?? null,
    frequencyCap: row.cap_messages ? { messages: row.cap_messages as number, windowDays: row.cap_window_days as number } : null,
    step: {
      step_number: scope.stepNumber,
      stage: row.stage as NarrativeStepDraft['stage'],
      day: row.day as number,
      subject_line: row.subject_line as string,
      message: row.message as string,
      call_to_action: row.call_to_action as string,
      segment_customization: (row.segment_customization as NarrativeStepDraft['segment_customization']) ?? null,
    },
  };
}

const CONTEXT_SQL = `
  select c.name, c.track15_core_story as story, c.track15_control_treatment as control_treatment,
         c.track15_activated_at as activated_at, c.track15_timezone as timezone, s.stage, s.day, s.subject_line, s.message, s.call_to_action,
         s.segment_customization, s.channel, s.ab_test, c.track15_day_length_seconds as day_length_seconds, b.id as budget_id, ${EFFECTIVE_SENDER_SQL} as sender,
         cl.frequency_cap_messages as cap_messages, cl.frequency_cap_window_days as cap_window_days, cl.sms_from_number,
         nullif(btrim(c.sender_from_name), '') as campaign_from_name,
         case when bg.id is not null then json_build_object(
           'brand_name', bg.brand_name, 'high_level_guidelines', bg.high_level_guidelines, 'full_style_guide', bg.full_style_guide) end as guidelines
    from campaigns c
    join clients cl on cl.id = c.client_id
    join track15_narrative_steps s on s.campaign_id = c.id and s.step_number = ?
    left join campaign_profile_usage u on u.campaign_id = c.id and u.is_active
    left join customer_profile_containers pc on pc.id = u.container_id
    left join budgets b on b.id = coalesce(u.budget_id, pc.budget_id) and b.deleted_at is null
    left join brand_guidelines bg on bg.id = coalesce(u.brand_guidelines_id, pc.brand_guidelines_id) and bg.deleted_at is null
   where c.id = ?`;
