import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { CampaignActivities } from '../activities';
import type { AlertChannel, BudgetAlertScope } from '../activities/budget-alerts/delivery';

const { prepareBudgetAlert, giveUpBudgetAlert } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Each channel's end: delivered (or not configured), or given up after the retries' day. */
export type BudgetAlertOutcome = Partial<Record<AlertChannel, 'delivered' | 'gave_up'>>;

/**
 * Delivers one fired budget alert (issue 15 item 7), id `budget-alert-<alert id>` (budgetAlertWorkflowId),
 * started by the touchpoint whose batch fired it. The client's email and webhook are delivered side by side,
 * each by one activity that Temporal retries with backoff (from seconds, doubling, to an hour between
 * attempts) until it succeeds or a day has passed (schedule-to-close), then the channel is recorded as
 * given up. Retry timers live in the Temporal server, so a worker restart only delays the next attempt.
 */
export async function budgetAlertWorkflow(input: BudgetAlertScope): Promise<BudgetAlertOutcome> {
  const plan = await prepareBudgetAlert(input);
  const { deliverBudgetAlert } = proxyActivities<CampaignActivities>({
    // One attempt is one email or one webhook call (10 s timeout) plus its records: an attempt lost with its
    // worker is retried after this, so it stays short (a minute here held a restart's retry for a minute).
    startToCloseTimeout: '20 seconds',
    scheduleToCloseTimeout: plan.retry.giveUpAfterMs,
    retry: { initialInterval: plan.retry.initialIntervalMs, backoffCoefficient: 2, maximumInterval: plan.retry.maximumIntervalMs },
  });
  const outcomes = await Promise.all(plan.channels.map(async (channel): Promise<[AlertChannel, 'delivered' | 'gave_up']> => {
    try {
      await deliverBudgetAlert({ ...input, channel });
      return [channel, 'delivered'];
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      await giveUpBudgetAlert({ ...input, channel });
      return [channel, 'gave_up'];
    }
  }));
  return Object.fromEntries(outcomes);
}
