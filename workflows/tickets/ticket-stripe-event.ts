import { getExternalWorkflowHandle, proxyActivities } from '@temporalio/workflow';
import type { CampaignActivities } from '../../activities';
import type { TicketEventOutcome, TicketStripeEventInput } from '../../activities/tickets/ticket-stripe-events';
import { orderPaidSignal, ticketOrderWorkflowId } from '../../domain/tickets/ticket-workflows';

const { applyTicketStripeEvent, sendTicketMail } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30 },
});

const { refundLatePayment } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '1 minute',
  // Money owed back to a donor: retried until Stripe takes it (the idempotency key makes one refund).
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/**
 * The ticket side of a Stripe webhook (metadata purpose `ticket_order`), started under the event's own
 * id like every Stripe event so a redelivery is a duplicate: records the event once, then
 * - on a newly paid order: stops the order's hold timer and sends the receipt;
 * - on a payment that arrived after the order was released: refunds it through Stripe and tells the
 *   buyer why (issue 17 item 2).
 */
export async function ticketStripeEventWorkflow(event: TicketStripeEventInput): Promise<TicketEventOutcome> {
  const outcome = await applyTicketStripeEvent(event);
  if (!outcome.applied) return outcome;
  const order = { clientId: outcome.clientId, orderId: outcome.orderId };
  if (outcome.result === 'paid') {
    try {
      await getExternalWorkflowHandle(ticketOrderWorkflowId(order.orderId)).signal(orderPaidSignal);
    } catch {
      // The hold already ended (its release found the order paid): nothing to stop.
    }
    await sendTicketMail({ ...order, kind: 'receipt' });
  } else if (outcome.result === 'late') {
    await refundLatePayment(order);
    await sendTicketMail({ ...order, kind: 'late_refund' });
  }
  return outcome;
}
