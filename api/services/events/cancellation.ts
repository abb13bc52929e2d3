import type { EntityManager } from '@mikro-orm/postgresql';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import Stripe from 'stripe';
import { type RefundDeps, refundTicket } from '../../../activities/tickets/refunds';
import { eventCancellationWorkflowId } from '../../../domain/tickets/ticket-workflows';
import { eventCancellationWorkflow } from '../../../workflows/tickets/event-cancellation';
import { Problem, conflict, notFound, unavailable } from '../../problem';

type InClient = <T>(work: (em: EntityManager) => Promise<T>) => Promise<T>;

/**
 * Issue 17 item 5: cancels an event. The event is marked cancelled at once (no more sales, no check-in),
 * then the workflow `event-cancellation-<id>` releases unpaid orders, refunds every paid ticket and
 * emails each buyer once. Repeating the call starts nothing new (the workflow id is the event's) and
 * keeps the first reason. 404 for an event not the client's; 503 when Temporal cannot be reached (the
 * event stays cancelled; call again to start the refunds).
 */
export async function cancelEvent(
  deps: { inClient: InClient; temporal: Client; taskQueue: string }, clientId: string, eventId: string, reason: string,
): Promise<{ event_id: string; workflow_id: string }> {
  await deps.inClient(async (em) => {
    const [event] = await em.execute<{ status: string }[]>('select status from events where id = ? for update', [eventId]);
    if (!event) throw notFound('event');
    if (event.status !== 'cancelled') {
      await em.execute(`update events set status = 'cancelled', cancelled_at = now(), cancellation_reason = ? where id = ?`, [reason, eventId]);
    }
  });
  const workflowId = eventCancellationWorkflowId(eventId);
  try {
    await deps.temporal.workflow.start(eventCancellationWorkflow, {
      workflowId, taskQueue: deps.taskQueue, args: [{ clientId, eventId }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE', workflowIdConflictPolicy: 'USE_EXISTING',
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
      throw unavailable(`the refunds could not be started (${error instanceof Error ? error.message : String(error)}); the event is cancelled, call again`, 5);
    }
  }
  return { event_id: eventId, workflow_id: workflowId };
}

/**
 * Issue 17 item 5: refunds one paid ticket through Stripe (refunds.ts: claimed once, idempotency key of
 * the ticket); it becomes refunded when charge.refunded arrives. 409 with the reason for a ticket that is
 * not paid (pending, cancelled, refunded, or already checked in); 502 when Stripe fails after retries
 * (call again: the same key makes one refund).
 */
export async function refundOneTicket(deps: RefundDeps, clientId: string, ticketId: string): Promise<string> {
  let refund;
  try {
    refund = await refundTicket(deps, clientId, ticketId, { checkedIn: false });
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) throw new Problem(502, 'Bad Gateway', `Stripe did not refund (${error.message}); call again`);
    throw error;
  }
  if (refund.kind === 'refused') throw conflict(`the ticket cannot be refunded: ${refund.reason}`, { reasons: [refund.reason] });
  return refund.refundId;
}
