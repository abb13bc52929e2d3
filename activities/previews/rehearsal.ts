import type { EntityManager } from '@mikro-orm/postgresql';
import { computeSchedule } from '../../domain/campaigns/schedule';

export interface RehearsalPlanInput { clientId: string; campaignId: string; dayLengthSeconds: number; /** Epoch ms the rehearsal began (workflow time). */ startedAt: number }
export interface RehearsalPlan { steps: { stepNumber: number; day: number; dueAt: number }[] }

/**
 * When each step of a rehearsal is due: the campaign's own schedule rules (domain/campaigns/schedule.ts, its send
 * hour and days) with the rehearsal's day length, counted from the rehearsal's start rather than from an
 * activation. Steps with email (email, or email and SMS) only: the rehearsal mails test addresses, and an
 * SMS step has nothing to mail.
 */
export async function planRehearsal(em: EntityManager, input: RehearsalPlanInput): Promise<RehearsalPlan> {
  const [campaign] = await em.execute<{ timezone: string; send_hour: number }[]>(
    'select track15_timezone as timezone, track15_send_hour as send_hour from campaigns where id = ?', [input.campaignId]);
  const steps = await em.execute<{ step_number: number; day: number }[]>(
    `select step_number, day from track15_narrative_steps where campaign_id = ? and channel in ('email', 'email_and_sms') order by step_number`, [input.campaignId]);
  if (!campaign || steps.length === 0) return { steps: [] };
  const schedule = computeSchedule({
    activatedAt: new Date(input.startedAt),
    timezone: campaign.timezone,
    sendHour: campaign.send_hour,
    dayLengthSeconds: input.dayLengthSeconds,
    days: steps.map((step) => step.day),
  });
  return { steps: steps.map((step, i) => ({ stepNumber: step.step_number, day: step.day, dueAt: schedule.dueAt[i].getTime() })) };
}
