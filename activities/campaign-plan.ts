import type { EntityManager } from '@mikro-orm/postgresql';
import { ApplicationFailure } from '@temporalio/activity';
import { computeSchedule } from '../domain/schedule';
import type { CampaignPlan, CampaignStage, CampaignWorkflowInput } from '../workflows/definitions';

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
