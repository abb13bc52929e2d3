import { patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { CampaignActivities } from '../activities';
import type { SendGridEventBatch, SendGridEventInput } from '../activities/email/sendgrid-events';
import { groupBy } from '../domain/group-by';
import type { StripeEventInput } from '../activities/payments/stripe-events';

/**
 * The work behind the provider webhooks. The webhook answers as soon as the workflow is started (its
 * id is derived from the event, so a redelivery joins or is refused); the activities then apply the
 * events with retries, and record each event id with its effects so nothing is applied twice.
 */
const { applyStripeEvent } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '30 seconds',
  // An event the product did not cause is recorded as ignored on the first attempt; these retries are
  // for outages (the database down): retry for a while, then leave the failed run in the Temporal UI.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30 },
});

const { applySendGridEvents, attributeSendGridEvents } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * One Stripe event of purpose `payment` (api/services/payments/payment-events.ts). A refund of an
 * intent not known yet (a monthly gift's charge whose invoice.paid Stripe has not delivered) is applied
 * again after each durable wait the activity asks for, until its payment is known or the waits run out
 * (activities/payments/stripe-events.ts). Runs that completed before the waits existed replay unchanged.
 */
export async function stripeEventWorkflow(event: StripeEventInput) {
  let outcome = await applyStripeEvent(event);
  if (!patched('refund-waits-for-its-payment')) return outcome;
  for (let wait = 1; typeof outcome.retryInMs === 'number'; wait += 1) {
    await sleep(outcome.retryInMs);
    outcome = await applyStripeEvent(event, wait);
  }
  return outcome;
}

export type { SendGridEventBatch };

/**
 * One Event Webhook POST, split by client: each client's events apply in that client's tenant. Events
 * that carry no client (bounces and drops without the product's custom_args) are first attributed by
 * their sg_message_id; those of mail the product did not send are left out. Runs started before
 * `unattributed` existed replay unchanged: with none, no attribution activity is scheduled.
 */
export async function sendGridEventsWorkflow(batches: SendGridEventBatch[], unattributed: SendGridEventInput[] = []) {
  const attributed = unattributed.length > 0 ? (await attributeSendGridEvents(unattributed)).batches : [];
  const byClient = groupBy([...batches, ...attributed], (batch) => batch.clientId);
  return Promise.all([...byClient].map(([clientId, parts]) => applySendGridEvents({ clientId, events: parts.flatMap((part) => part.events) })));
}
