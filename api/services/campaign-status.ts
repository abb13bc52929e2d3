import type { EntityManager } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Stage } from '../../domain/narrative';
import type { CampaignStatus } from '../../workflows/definitions';
import { campaignStatus } from '../../workflows/lifecycle';
import type { CampaignState } from './campaign-guard';

const WORKFLOW_QUERY_TIMEOUT_MS = 5_000;

/** The workflow's status in the API's snake_case. */
export function workflowStatusView(status: CampaignStatus) {
  return {
    stage: status.stage,
    current_step: status.currentStep,
    next_step: status.nextStep,
    next_due_at: status.nextDueAt,
    paused_since: status.pausedSince,
    pause_reason: status.pauseReason,
    stop_reason: status.stopReason,
    schedule_shift_ms: status.scheduleShiftMs,
    steps: Object.fromEntries(Object.entries(status.steps).map(([step, tally]) => [step, {
      sent: tally.sent, skipped: tally.skipped, failed: tally.failed, skip_reasons: tally.skipReasons, budget_exhausted: tally.budgetExhausted,
    }])),
  };
}

interface CampaignStateRow {
  track15_stage: CampaignState['track15_stage']; track15_activated_at: string | null; track15_completed_at: string | null;
  track15_paused_at: string | null; track15_pause_reason: string | null; track15_stop_reason: string | null;
}

/** The database's side of the live status: the campaign row, the frozen audience and the delivery ledger per step. */
export async function databaseStatus(em: EntityManager, campaignId: string) {
  const [campaign] = await em.execute<CampaignStateRow[]>(
    `select track15_stage, track15_activated_at, track15_completed_at, track15_paused_at, track15_pause_reason, track15_stop_reason
       from campaigns where id = ?`, [campaignId]);
  const recipients = await em.execute<{ recipient_group: 'test' | 'control'; n: number }[]>(
    'select recipient_group, count(*)::int as n from campaign_recipients where campaign_id = ? group by recipient_group', [campaignId]);
  const steps = await em.execute<{ step_number: number; stage: Stage; day: number }[]>(
    'select step_number, stage, day from track15_narrative_steps where campaign_id = ? order by step_number', [campaignId]);
  const ledger = await em.execute<{ step_number: number; status: string; skip_reason: string | null; n: number }[]>(
    `select step_number, status, skip_reason, count(*)::int as n from campaign_deliveries
      where campaign_id = ? group by step_number, status, skip_reason`, [campaignId]);
  const count = (group: 'test' | 'control') => recipients.find((row) => row.recipient_group === group)?.n ?? 0;
  return {
    campaign_id: campaignId,
    stage: campaign.track15_stage,
    activated_at: campaign.track15_activated_at,
    completed_at: campaign.track15_completed_at,
    paused_at: campaign.track15_paused_at,
    pause_reason: campaign.track15_pause_reason,
    stop_reason: campaign.track15_stop_reason,
    recipients: { test: count('test'), control: count('control') },
    steps: steps.map((step) => {
      const rows = ledger.filter((row) => row.step_number === step.step_number);
      const deliveries: Record<string, number> = {};
      const skipReasons: Record<string, number> = {};
      for (const row of rows) {
        deliveries[row.status] = (deliveries[row.status] ?? 0) + row.n;
        if (row.skip_reason) skipReasons[row.skip_reason] = (skipReasons[row.skip_reason] ?? 0) + row.n;
      }
      return { ...step, deliveries, skip_reasons: skipReasons };
    }),
  };
}

type WorkflowAnswer = { workflow: ReturnType<typeof workflowStatusView> | null; workflow_error?: string };

/**
 * Queries in flight, by campaign. A workflow answers its queries one at a time, so requests that
 * arrive while one is being answered share it instead of queueing behind each other: same freshness,
 * one query.
 */
const inFlight = new Map<string, Promise<WorkflowAnswer>>();

/** Asks the workflow, within a deadline: an unreachable Temporal or a missing worker must not hang the request. */
export function askWorkflow(temporal: Client, campaignId: string): Promise<WorkflowAnswer> {
  const key = `${temporal.options.namespace}/${campaignId}`;
  let answer = inFlight.get(key);
  if (!answer) {
    answer = queryWorkflow(temporal, campaignId).finally(() => inFlight.delete(key));
    inFlight.set(key, answer);
  }
  return answer;
}

async function queryWorkflow(temporal: Client, campaignId: string): Promise<WorkflowAnswer> {
  try {
    const status = await temporal.connection.withDeadline(Date.now() + WORKFLOW_QUERY_TIMEOUT_MS, () => campaignStatus({ temporal }, campaignId));
    return { workflow: workflowStatusView(status) };
  } catch (error) {
    return { workflow: null, workflow_error: error instanceof Error ? error.message : String(error) };
  }
}
