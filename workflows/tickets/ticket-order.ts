import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { CampaignActivities } from '../../activities';
import { type TicketOrderWorkflowInput, orderPaidSignal } from '../../domain/tickets/ticket-workflows';

const { releaseTicketOrder } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '30 seconds',
  // A release must happen: retried through any database outage.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * `ticket-order-<id>` (issue 17 item 2): holds an order's tickets for `holdMs` on a durable timer (it
 * survives worker restarts), ending early when the webhook's workflow signals that Stripe confirmed
 * payment. When the time runs out the order is released — unless the payment was recorded meanwhile:
 * the database decides which came first (activities/tickets/order-state.ts), so a payment racing the
 * timer is either kept or, once released, refunded as late. Answers the order's final status here:
 * `paid`, `expired`, or `cancelled` (its event was cancelled first).
 */
export async function ticketOrderWorkflow(input: TicketOrderWorkflowInput): Promise<string> {
  let paid = false;
  setHandler(orderPaidSignal, () => {
    paid = true;
  });
  if (await condition(() => paid, input.holdMs)) return 'paid';
  return releaseTicketOrder({ clientId: input.clientId, orderId: input.orderId });
}
