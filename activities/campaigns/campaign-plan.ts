import type { EntityManager } from '@mikro-orm/postgresql';
import { ApplicationFailure } from '@temporalio/activity';
import { type ArcClock, arcEnd, computeSchedule, pauseShiftDays, touchpointWaves } from '../../domain/campaigns/schedule';
import type { CampaignPlan, CampaignStage, CampaignWorkflowInput, LastFailure, TouchpointPlan, TouchpointPlanRequest } from '../../domain/campaigns/workflow-contract';
import { type StepChannel, channelsOf } from '../../domain/delivery/channels';

/** Reads the activated campaign and turns its steps into due times (day, send hour, time zone, day length). */
export async function loadCampaignPlan(em: EntityManager, input: CampaignWorkflowInput): Promise<CampaignPlan> {
  const [campaign] = await em.execute<{
    name: string; season: string | null; activated_at: string | null; timezone: string; send_hour: number; day_seconds: number;
  }[]>(
    `select name, track15_season as season, track15_activated_at as activated_at, track15_timezone as timezone,
            track15_send_hour as send_hour, track15_day_length_seconds as day_seconds
       from campaigns where id = ?`,
    [input.campaignId],
  );
  if (!campaign?.activated_at) {
    throw ApplicationFailure.create({ message: `campaign ${input.campaignId} is not activated`, type: 'CampaignNotActivated', nonRetryable: true });
  }
  const steps = await em.execute<{ step_number: number; day: number; stage: string }[]>(
    'select step_number, day, stage from track15_narrative_steps where campaign_id = ? order by step_number',
    [input.campaignId],
  );
  const schedule = computeSchedule({
    // Raw queries return timestamps as ISO text (MikroORM's driver setting), not Date.
    activatedAt: new Date(campaign.activated_at),
    timezone: campaign.timezone,
    sendHour: campaign.send_hour,
    dayLengthSeconds: campaign.day_seconds,
    days: steps.map((step) => step.day),
  });
  return {
    name: campaign.name,
    season: campaign.season,
    steps: steps.map((step, index) => ({ stepNumber: step.step_number, day: step.day, stage: step.stage, dueAt: schedule.dueAt[index].getTime() })),
    windowEnd: schedule.windowEnd.getTime(),
  };
}

/**
 * The waves of one touchpoint (or, with `stepNumber` null, only the end of the arc) for a campaign paused
 * `pausedMs` in all so far: domain/campaigns/schedule.ts applied to the campaign's clock, the client's quiet hours and
 * the time zones frozen with the audience. Recipients frozen without a zone (before waves existed) use the
 * campaign's; an audience with no recipients still gets the campaign zone's wave, so the step is tallied.
 */
export async function planTouchpoint(em: EntityManager, input: TouchpointPlanRequest): Promise<TouchpointPlan> {
  const [campaign] = await em.execute<{
    activated_at: string | null; timezone: string; send_hour: number; day_seconds: number; start_date: string | null;
    quiet_start: string | null; quiet_end: string | null; day: number | null; channel: StepChannel | null;
  }[]>(
    `select c.track15_activated_at as activated_at, c.track15_timezone as timezone, c.track15_send_hour as send_hour,
            c.track15_day_length_seconds as day_seconds, to_char(c.start_date, 'YYYY-MM-DD') as start_date,
            cl.quiet_hours_start::text as quiet_start, cl.quiet_hours_end::text as quiet_end,
            (select day from track15_narrative_steps where campaign_id = c.id and step_number = ?) as day,
            (select channel from track15_narrative_steps where campaign_id = c.id and step_number = ?) as channel
       from campaigns c join clients cl on cl.id = c.client_id where c.id = ?`,
    [input.stepNumber, input.stepNumber, input.campaignId],
  );
  if (!campaign?.activated_at) {
    throw ApplicationFailure.create({ message: `campaign ${input.campaignId} is not activated`, type: 'CampaignNotActivated', nonRetryable: true });
  }
  if (input.stepNumber !== null && campaign.day === null) {
    throw ApplicationFailure.create({ message: `campaign ${input.campaignId} has no step ${input.stepNumber}`, type: 'CampaignNotFound', nonRetryable: true });
  }
  const zones = (await em.execute<{ timezone: string }[]>(
    'select distinct coalesce(timezone, ?) as timezone from campaign_recipients where campaign_id = ?', [campaign.timezone, input.campaignId],
  )).map((row) => row.timezone);
  const clock: ArcClock = {
    activatedAt: new Date(campaign.activated_at),
    campaignZone: campaign.timezone,
    sendHour: campaign.send_hour,
    dayLengthSeconds: campaign.day_seconds,
    rehearsalDate: campaign.start_date,
    quietHours: campaign.quiet_start && campaign.quiet_end ? { start: campaign.quiet_start, end: campaign.quiet_end } : null,
    pausedMs: input.pausedMs,
  };
  return {
    waves: input.stepNumber === null ? [] : touchpointWaves(clock, campaign.day!, zones.length > 0 ? zones : [campaign.timezone]),
    windowEnd: arcEnd(clock, zones).getTime(),
    scheduleShiftMs: pauseShiftDays(input.pausedMs, campaign.day_seconds) * campaign.day_seconds * 1000,
    ...(campaign.channel ? { channels: channelsOf(campaign.channel) } : {}),
  };
}

/** Mirrors the workflow's stage into the campaign row, so the API and SQL reports see it. */
export async function recordCampaignStage(
  em: EntityManager,
  input: CampaignWorkflowInput & { stage: Exclude<CampaignStage, 'completed'>; reason?: string },
): Promise<void> {
  await em.execute(
    `update campaigns
        set track15_stage = ?, status = ?,
            track15_paused_at = case when ? = 'paused' then now() end,
            track15_pause_reason = case when ? = 'paused' then ?::text end
      where id = ?`,
    [input.stage, input.stage, input.stage, input.stage, input.reason ?? null, input.campaignId],
  );
}

/**
 * Records a stop's reason when the stop is asked for (stage and analytics follow at completion), so a
 * reason the database refuses fails the stop before the arc halts.
 */
export async function recordCampaignStop(em: EntityManager, input: CampaignWorkflowInput & { reason: string }): Promise<void> {
  await em.execute('update campaigns set track15_stop_reason = ? where id = ?', [input.reason, input.campaignId]);
}

/** Longest failure reason kept: PostgreSQL's messages are short; a provider's body may not be. */
const MAX_FAILURE_REASON = 2000;

/**
 * Records the failure that ended the arc on the campaign row, where the status route reads it. The
 * reason is a message from PostgreSQL, a provider or the product, never a caller's text, but it is kept
 * within jsonb's rules anyway (no NUL, no other C0 control but tab and line breaks) so that recording a
 * failure cannot itself fail on its data.
 */
export async function recordCampaignFailure(em: EntityManager, input: CampaignWorkflowInput & { failure: LastFailure }): Promise<void> {
  // eslint-disable-next-line no-control-regex
  const reason = input.failure.reason.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\ufffd').slice(0, MAX_FAILURE_REASON);
  await em.execute('update campaigns set track15_last_failure = ?::jsonb where id = ?', [JSON.stringify({ ...input.failure, reason }), input.campaignId]);
}
