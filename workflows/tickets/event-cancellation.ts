import { proxyActivities } from '@temporalio/workflow';
import type { CampaignActivities } from '../../activities';
import type { EventCancellationInput } from '../../domain/tickets/ticket-workflows';

const { releaseEventHolds, ticketsToRefund, buyersToNotify, sendTicketMail } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const { refundCancelledTicket } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '1 minute',
  // Each refund is retried until Stripe takes it, however long Stripe is down (no attempt limit).
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** Refunds asked of Stripe at once. */
const REFUND_CONCURRENCY = 10;

/**
 * `event-cancellation-<event id>` (issue 17 item 5), started once the API marked the event cancelled:
 * releases the orders still awaiting payment, refunds every paid ticket (each refund retried until done;
 * a ticket's refund is claimed in the database and sent with its own idempotency key, so a worker killed
 * mid-refund never refunds twice), then emails each buyer once (ticket_mails claims it). Temporal keeps
 * the progress across worker restarts.
 */
export async function eventCancellationWorkflow(input: EventCancellationInput): Promise<{ released: number; refunded: number; notified: number }> {
  const released = await releaseEventHolds(input);
  const tickets = await ticketsToRefund(input);
  for (let i = 0; i < tickets.length; i += REFUND_CONCURRENCY) {
    await Promise.all(tickets.slice(i, i + REFUND_CONCURRENCY).map((ticketId) => refundCancelledTicket({ clientId: input.clientId, ticketId })));
  }
  const buyers = await buyersToNotify(input);
  for (const orderId of buyers) await sendTicketMail({ clientId: input.clientId, orderId, kind: 'cancellation' });
  return { released, refunded: tickets.length, notified: buyers.length };
}
