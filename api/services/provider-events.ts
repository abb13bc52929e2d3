import { createHash } from 'node:crypto';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type Stripe from 'stripe';
import { z } from 'zod';
import type { SendGridEventInput } from '../../activities/sendgrid-events';
import type { StripeEventInput } from '../../activities/stripe-events';
import { groupBy } from '../../domain/group-by';
import { isRecordedStripeEvent } from '../../domain/payment-status';
import { type SendGridEventBatch, sendGridEventsWorkflow, stripeEventWorkflow } from '../../workflows/provider-events';

export interface Dispatch { temporal: Client; taskQueue: string }
export interface Accepted { received: true; duplicate: boolean; ignored: number }

/**
 * Starts the workflow that applies an event, under an id derived from the event: a redelivery of a
 * running or finished one is refused by Temporal (and, past its retention, by the event ids recorded
 * in the database), so the webhook can answer at once and still apply everything exactly once.
 */
async function startOnce(run: () => Promise<unknown>): Promise<boolean> {
  try {
    await run();
    return false;
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return true;
    throw error;
  }
}

/** Neither a running nor a closed workflow of the same id may start again: either is a duplicate. */
const ONCE = { workflowIdReusePolicy: 'REJECT_DUPLICATE', workflowIdConflictPolicy: 'FAIL' } as const;

/** The part of a Stripe event the product records, or null for events it does not act on. */
export function stripeEventInput(event: Stripe.Event): StripeEventInput | null {
  if (!isRecordedStripeEvent(event.type)) return null;
  const occurredAt = new Date(event.created * 1000).toISOString();
  if (event.type === 'charge.refunded') {
    const charge = event.data.object as Stripe.Charge;
    const intentId = typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id;
    // A partial refund leaves the gift standing; only a full refund takes it out of RFM and analytics.
    if (!intentId || charge.amount_refunded < charge.amount) return null;
    return { eventId: event.id, type: event.type, occurredAt, paymentIntentId: intentId, amount: charge.amount, currency: charge.currency, metadata: charge.metadata ?? {}, failureReason: null };
  }
  const intent = event.data.object as Stripe.PaymentIntent;
  return {
    eventId: event.id, type: event.type, occurredAt, paymentIntentId: intent.id, amount: intent.amount, currency: intent.currency,
    metadata: intent.metadata ?? {}, failureReason: intent.last_payment_error?.message ?? null,
  };
}

export async function dispatchStripeEvent(deps: Dispatch, event: Stripe.Event): Promise<Accepted> {
  const input = stripeEventInput(event);
  if (!input) return { received: true, duplicate: false, ignored: 1 };
  const duplicate = await startOnce(() => deps.temporal.workflow.start(stripeEventWorkflow, {
    workflowId: `stripe-event-${event.id}`, taskQueue: deps.taskQueue, args: [input], ...ONCE,
  }));
  return { received: true, duplicate, ignored: 0 };
}

const uuidOrNull = z.uuid().nullable().catch(null);

/** One Event Webhook event; unknown members are ignored, custom_args arrive as top-level members. */
export const SendGridEvent = z.looseObject({
  sg_event_id: z.string().min(1).max(100),
  event: z.string().min(1).max(40),
  email: z.string().max(320),
  timestamp: z.number().int().nonnegative(),
  sg_message_id: z.string().max(300).optional(),
  type: z.string().max(40).optional(),
  client_id: z.unknown().optional(),
  campaign_id: z.unknown().optional(),
  donor_id: z.unknown().optional(),
  step_number: z.unknown().optional(),
});
export const SendGridEvents = z.array(SendGridEvent).max(10_000);

/** Groups a verified batch by the client its custom_args name; events not sent by the product carry none and are ignored. */
export function sendGridBatches(events: z.infer<typeof SendGridEvents>): { batches: SendGridEventBatch[]; ignored: number } {
  const ours = events.flatMap((event) => {
    const clientId = uuidOrNull.parse(event.client_id ?? null);
    if (!clientId) return [];
    const step = Number(event.step_number);
    const input: SendGridEventInput = {
      sgEventId: event.sg_event_id, event: event.event, email: event.email, timestamp: event.timestamp,
      campaignId: uuidOrNull.parse(event.campaign_id ?? null), donorId: uuidOrNull.parse(event.donor_id ?? null),
      stepNumber: Number.isInteger(step) && step >= 1 && step <= 15 ? step : null,
      sgMessageId: event.sg_message_id ?? null, bounceType: event.type ?? null,
    };
    return [{ clientId, input }];
  });
  const byClient = groupBy(ours, (event) => event.clientId);
  return {
    batches: [...byClient].map(([clientId, batch]) => ({ clientId, events: batch.map((event) => event.input) })),
    ignored: events.length - ours.length,
  };
}

export async function dispatchSendGridEvents(deps: Dispatch, events: z.infer<typeof SendGridEvents>): Promise<Accepted> {
  const { batches, ignored } = sendGridBatches(events);
  if (batches.length === 0) return { received: true, duplicate: false, ignored };
  // The same events (in any order) make the same id, so a redelivered batch joins or is refused.
  const ids = batches.flatMap((batch) => batch.events.map((event) => event.sgEventId)).sort();
  const digest = createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 40);
  const duplicate = await startOnce(() => deps.temporal.workflow.start(sendGridEventsWorkflow, {
    workflowId: `sendgrid-events-${digest}`, taskQueue: deps.taskQueue, args: [batches], ...ONCE,
  }));
  return { received: true, duplicate, ignored };
}
