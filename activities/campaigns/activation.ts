import type { EntityManager } from '@mikro-orm/postgresql';
import { type CoreStory, type NarrativeStepDraft, missingStoryFields, validateNarrativeSteps } from '../../domain/campaigns/narrative';
import { isValidTimeZone } from '../../domain/campaigns/schedule';
import { type SenderSettings, senderProblems } from '../../domain/delivery/sender';
import type { AudienceFilter } from '../../domain/audience';
import { RECIPIENT_GROUP_SQL, audienceCondition } from '../audience';
import { EFFECTIVE_SENDER_SQL } from '../delivery/sender-identity';
import { DELIVERY_LANES } from '../../domain/campaigns/workflow-contract';
import { type StepChannel, channelsOf } from '../../domain/delivery/channels';

export class CampaignNotFoundError extends Error {}

/** Activation was refused; `reasons` name each missing prerequisite. */
export class ActivationRefusedError extends Error {
  constructor(readonly reasons: string[]) {
    super(`the campaign cannot be activated: ${reasons.join('; ')}`);
  }
}

export interface PreparedActivation { campaignId: string; name: string; season: string | null; alreadyActive: boolean }

/**
 * The database half of activation, in the caller's client transaction: checks seed 000's prerequisites,
 * freezes the audience with a deterministic control/test split seeded by the campaign id, and marks the
 * campaign active. An already active or paused campaign passes through unchanged, so activating twice
 * is harmless.
 */
export async function prepareActivation(em: EntityManager, campaignId: string): Promise<PreparedActivation> {
  const [campaign] = await em.execute<{
    name: string; season: string | null; stage: string | null; enabled: boolean; story: Partial<CoreStory> | null;
    timezone: string; control_share: string; sender: SenderSettings; audience_filter: AudienceFilter; sms_from_number: string | null;
  }[]>(
    `select c.name, c.track15_audience_filter as audience_filter, c.track15_season as season, c.track15_stage as stage, c.track15_enabled as enabled, c.track15_core_story as story,
            c.track15_timezone as timezone, c.track15_control_share as control_share, ${EFFECTIVE_SENDER_SQL} as sender, cl.sms_from_number
       from campaigns c join clients cl on cl.id = c.client_id
      where c.id = ? and c.deleted_at is null for update of c`,
    [campaignId],
  );
  if (!campaign) throw new CampaignNotFoundError(`campaign ${campaignId} not found`);
  const prepared = { campaignId, name: campaign.name, season: campaign.season };
  if (campaign.stage === 'active' || campaign.stage === 'paused') return { ...prepared, alreadyActive: true };

  const steps = await em.execute<(NarrativeStepDraft & { channel: StepChannel })[]>(
    `select step_number, stage, day, subject_line, message, call_to_action, segment_customization, channel
       from track15_narrative_steps where campaign_id = ? order by step_number`,
    [campaignId],
  );
  const reasons = activationProblems(campaign, steps);
  // A text comes from the client's own number (issue 18): without one, its SMS steps (and the texts of
  // email-and-SMS steps) could not be sent.
  const textSteps = steps.filter((step) => channelsOf(step.channel).includes('sms')).map((step) => step.step_number);
  if (textSteps.length > 0 && !campaign.sms_from_number) {
    reasons.push(`steps ${textSteps.join(', ')} are SMS steps and the client has no SMS number (sms_from_number)`);
  }
  if (reasons.length > 0) throw new ActivationRefusedError(reasons);

  const audience = audienceCondition(campaign.audience_filter, campaignId);
  await em.execute(freezeAudienceSql(audience.sql), [campaignId, campaignId, Number(campaign.control_share), DELIVERY_LANES, campaignId, campaignId, ...audience.params]);
  // The audience's size is written once here, so the status route never counts the recipients.
  await em.execute(
    `update campaigns set track15_stage = 'active', status = 'active', track15_activated_at = now(),
            (track15_test_recipients, track15_control_recipients) = (
              select count(*) filter (where recipient_group = 'test'), count(*) filter (where recipient_group = 'control')
                from campaign_recipients where campaign_id = ?)
      where id = ?`,
    [campaignId, campaignId],
  );
  return { ...prepared, alreadyActive: false };
}

function activationProblems(
  campaign: { stage: string | null; enabled: boolean; story: Partial<CoreStory> | null; timezone: string; sender: SenderSettings },
  steps: NarrativeStepDraft[],
): string[] {
  const reasons: string[] = [];
  if (!campaign.enabled) reasons.push('Track15 is not enabled for this campaign');
  if (campaign.stage === 'completed') reasons.push('the campaign has already completed');
  else if (campaign.stage !== 'ready_for_launch') reasons.push(`the campaign is in stage '${campaign.stage ?? 'none'}', not 'ready_for_launch'`);
  const missing = missingStoryFields(campaign.story);
  if (missing.length > 0) reasons.push(`the core story is missing ${missing.join(', ')}`);
  if (!isValidTimeZone(campaign.timezone)) reasons.push(`'${campaign.timezone}' is not a time zone`);
  reasons.push(...validateNarrativeSteps(steps));
  reasons.push(...senderProblems(campaign.sender));
  return reasons;
}

/**
 * The audience is every donor of the client the campaign's filter selects (activities/audience.ts). The
 * split hashes (campaign, donor); reasons not to send are decided per step. Each recipient also gets a
 * delivery lane (shard) from a hash of its id, and its time zone (the donor's, else the campaign's) for
 * the touchpoint's waves.
 */
function freezeAudienceSql(condition: string): string {
  return `
  insert into campaign_recipients (campaign_id, donor_id, client_id, recipient_group, segment_at_start, shard, timezone)
  select ?, d.id, d.client_id, ${RECIPIENT_GROUP_SQL}, d.rfm_segment, get_byte(decode(md5(d.id::text), 'hex'), 0) % ?,
         coalesce(d.timezone, c.track15_timezone)
    from donors d
    join campaigns c on c.id = ?
   where d.client_id = (select client_id from campaigns where id = ?)
     and ${condition}
  on conflict do nothing`;
}
