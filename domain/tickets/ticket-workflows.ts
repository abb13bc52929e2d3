/**
 * The contract of the ticket workflows (issue 17), shared downward by the API, the workflows and the
 * activities (DESIGN.md §8): ids, inputs and the signal that ends a hold early.
 */
import { defineSignal } from '@temporalio/workflow';

/** One workflow per order holds its tickets: its id is derived from the order, so it starts once. */
export const ticketOrderWorkflowId = (orderId: string) => `ticket-order-${orderId}`;
/** One cancellation per event: a second cancel joins the first. */
export const eventCancellationWorkflowId = (eventId: string) => `event-cancellation-${eventId}`;

export interface TicketOrderWorkflowInput {
  clientId: string;
  orderId: string;
  /** How long the tickets are held for payment, in milliseconds (TICKET_HOLD_SECONDS × 1000; default 15 minutes). */
  holdMs: number;
}

export interface EventCancellationInput { clientId: string; eventId: string }

/** Sent by the webhook's workflow once Stripe says the order is paid: the hold's timer stops. */
export const orderPaidSignal = defineSignal('orderPaid');

/** The Stripe metadata `purpose` of a ticket purchase: the webhook dispatch routes its events here. */
export const TICKET_ORDER_PURPOSE = 'ticket_order';
