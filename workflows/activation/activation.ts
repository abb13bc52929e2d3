import { condition, getExternalWorkflowHandle, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { CampaignActivities } from '../../activities';
import type { ActivationPaymentOutcome } from '../../activities/activation/activation-payments';
import type { StripeEventInput } from '../../activities/payments/stripe-events';
import {
  type ActivationProgress, type ActivationStatus, type ActivationWorkflowInput, activationPlanSignal, activationProgressQuery, activationStatusSignal,
  activationWorkflowId, nextActivationStatus,
} from './activation-definitions';
import { ActivationStatusKey } from '../search-attributes';

const { loadActivationPlan, sendActivationReminder, expireActivationToken } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const { applyActivationPayment } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30 },
});

/**
 * One client's activation (issue 16 item 4), `client-activation-<clientId>`, started when its token is
 * issued (workflows/activation/activation-lifecycle.ts). Times count from the workflow's start, in days of the
 * client's `activation_day_length_seconds` (86,400; shorter only in tests):
 * 1. at `activation_reminder_days` (if before the expiry) an unpaid client gets one reminder email
 *    (activities/activation/client-activation.ts);
 * 2. at `activation_expiry_days` an unpaid client's token expires (its pages answer 404);
 * 3. a payment is still awaited for one more day (a Checkout Session started before expiry lives 24 hours):
 *    a payment then is honoured and the status becomes paid.
 * Its status follows the client's (signals from the pages and the payment webhook; the database is read
 * again at each step, so a lost signal changes nothing) and is the search attribute ActivationStatus,
 * beside ClientId, for the Temporal UI. A changed reminder or expiry setting (activationPlanSignal) is
 * read again at once. The durable timers survive worker restarts.
 */
export async function clientActivationWorkflow(input: ActivationWorkflowInput): Promise<ActivationProgress> {
  const progress: ActivationProgress = { status: 'pending', reminderAt: null, expiresAt: null, reminded: false };
  let replan = false;
  const follow = (reported: ActivationStatus) => {
    const next = nextActivationStatus(progress.status, reported);
    if (next === progress.status) return;
    progress.status = next;
    upsertSearchAttributes([{ key: ActivationStatusKey, value: next }]);
  };
  setHandler(activationStatusSignal, ({ status }) => follow(status));
  setHandler(activationPlanSignal, () => { replan = true; });
  setHandler(activationProgressQuery, () => progress);

  const start = workflowInfo().startTime.getTime();
  const paid = () => progress.status === 'paid';
  /** Sleeps until `at`; true when woken early by a payment or a new plan. */
  const wokenBefore = (at: number) => condition(() => paid() || replan, Math.max(0, at - Date.now()));
  let reminderDue = true;
  let expiryDue = true;
  for (;;) {
    const plan = await loadActivationPlan(input);
    if (!plan) return progress;
    replan = false;
    follow(plan.status);
    progress.reminderAt = start + plan.reminderAfterMs;
    progress.expiresAt = start + plan.expiresAfterMs;
    if (reminderDue && progress.reminderAt < progress.expiresAt && !paid()) {
      if (await wokenBefore(progress.reminderAt)) {
        if (replan) continue;
        return progress;
      }
      const reminder = await sendActivationReminder(input);
      follow(reminder.status);
      progress.reminded = reminder.sentTo !== null;
      reminderDue = false;
    }
    if (expiryDue && !paid()) {
      if (await wokenBefore(progress.expiresAt)) {
        if (replan) continue;
        return progress;
      }
      follow(await expireActivationToken(input));
      expiryDue = false;
    }
    if (paid()) return progress;
    if (await wokenBefore(progress.expiresAt + plan.graceMs) && replan) continue;
    return progress;
  }
}

/**
 * `stripe-event-<event id>` of an activation payment (purpose `activation`, read by
 * api/services/activation/activation-webhook.ts): the event is applied once (activities/activation/activation-payments.ts),
 * then the client's activation workflow hears the new status. A client without a running activation
 * workflow (it ended, or the client predates it) still has its payment recorded.
 */
export async function activationStripeEventWorkflow(event: StripeEventInput): Promise<ActivationPaymentOutcome> {
  const outcome = await applyActivationPayment(event);
  if (outcome.applied && outcome.clientId && outcome.clientStatus && outcome.clientStatus !== 'pending') {
    try {
      await getExternalWorkflowHandle(activationWorkflowId(outcome.clientId)).signal(activationStatusSignal, { status: outcome.clientStatus });
    } catch {
      // No running activation workflow: the database already holds the status.
    }
  }
  return outcome;
}
