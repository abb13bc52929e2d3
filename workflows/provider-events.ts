import { proxyActivities } from '@temporalio/workflow';
import type { CampaignActivities } from '../activities';
import type { SendGridEventInput } from '../activities/sendgrid-events';
import type { StripeEventInput } from '../activities/stripe-events';

/**
 * The work behind the provider webhooks. The webhook answers as soon as the workflow is started (its
 * id is derived from the event, so a redelivery joins or is refused); the activities then apply the
 * events with retries, and record each event id with its effects so nothing is applied twice.
 */
const { applyStripeEvent } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '30 seconds',
  // A charge event can overtake the API's write of its intent id: retry for a while, then leave the
  // failed run in the Temporal UI for an operator.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30 },
});

const { applySendGridEvents } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function stripeEventWorkflow(event: StripeEventInput) {
  return applyStripeEvent(event);
}

export interface SendGridEventBatch { clientId: string; events: SendGridEventInput[] }

/** One Event Webhook POST, split by client: each client's events apply in that client's tenant. */
export async function sendGridEventsWorkflow(batches: SendGridEventBatch[]) {
  return Promise.all(batches.map((batch) => applySendGridEvents(batch)));
}
