import { z } from 'zod';
import { ClientParams, choice, idempotencyKey, page, pagination, text, timestamp, uuid } from '../common';

/** event_tickets.status (seed 002: pending → paid → cancelled / refunded / checked_in). */
export const TICKET_STATUS_MEANINGS = {
  pending: 'reserved by an order awaiting payment',
  paid: 'paid: valid for entry',
  checked_in: 'paid and scanned at the door',
  cancelled: 'released unpaid (the hold ran out, or the event was cancelled)',
  refunded: 'paid, then refunded by Stripe (charge.refunded): not valid for entry',
} as const;

const ORDER_STATUS_MEANINGS = {
  held: 'tickets reserved until hold_expires_at; paying through checkout_url makes them paid',
  paid: 'Stripe confirmed the payment (signed webhook): the tickets are valid and the receipt was sent',
  expired: 'no payment before the hold ran out: the tickets were released (a payment arriving later is refunded automatically)',
  cancelled: 'the event was cancelled before payment: the tickets were released',
} as const;

export const OrderParams = ClientParams.extend({ orderId: uuid.describe('The ticket order') });
export const TicketParams = ClientParams.extend({ ticketId: uuid.describe('The ticket') });

const webUrl = z.url({ protocol: /^https?$/ }).max(2000);

export const OrderCreate = z.strictObject({
  donor_id: uuid.optional().describe('An existing donor buys; or give `buyer`'),
  buyer: z.strictObject({
    email: z.email().max(320),
    first_name: text().trim().min(1).max(100).optional(),
    last_name: text().trim().min(1).max(100).optional(),
  }).optional().describe('A buyer not known yet: the donor with this email is used, or created'),
  items: z.array(z.strictObject({
    ticket_type_id: uuid,
    quantity: z.number().int().min(1).max(100).describe('At most the ticket type\'s max_per_order'),
  })).min(1).max(20).describe('Each ticket type at most once; all in one currency'),
  success_url: webUrl.describe('Where Stripe Checkout sends the buyer after paying'),
  cancel_url: webUrl.describe('Where Stripe Checkout sends a buyer who goes back'),
  idempotency_key: idempotencyKey('order (same hold, same checkout_url); the same key with a different purchase is refused with 409'),
}).superRefine((order, ctx) => {
  if ((order.donor_id === undefined) === (order.buyer === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['buyer'], message: 'give exactly one of donor_id and buyer' });
  }
  const seen = new Set<string>();
  order.items.forEach((item, index) => {
    if (seen.has(item.ticket_type_id)) ctx.addIssue({ code: 'custom', path: ['items', index, 'ticket_type_id'], message: 'appears twice: give one item per ticket type' });
    seen.add(item.ticket_type_id);
  });
});

export const Ticket = z.object({
  id: uuid,
  event_id: uuid,
  ticket_type_id: uuid.nullable(),
  order_id: uuid.nullable(),
  donor_id: uuid.nullable(),
  ticket_number: z.string().describe('Printed on the ticket: 4+4 characters of Crockford base 32 (no I, L, O, U)'),
  status: choice(TICKET_STATUS_MEANINGS, 'Where the ticket stands'),
  price: z.number().describe('In major units'),
  currency: z.string(),
  checked_in_at: timestamp.nullable(),
  checked_in_by: z.object({ api_key_id: uuid, name: z.string() }).nullable().describe('The API key that checked it in'),
  refund_requested_at: timestamp.nullable().describe('When a refund was asked of Stripe; refunded once charge.refunded arrives'),
  refunded_at: timestamp.nullable(),
  created_at: timestamp,
});

export const TicketPage = page(Ticket);
export const TicketQuery = z.strictObject({
  ...pagination,
  status: choice(TICKET_STATUS_MEANINGS, 'Only tickets in this status').optional(),
});

export const Order = z.object({
  id: uuid,
  event_id: uuid,
  donor_id: uuid.nullable(),
  status: choice(ORDER_STATUS_MEANINGS, 'Where the order stands'),
  amount_total: z.number().describe('In major units of currency'),
  currency: z.string(),
  hold_expires_at: timestamp.describe('Unpaid by then, the tickets are released'),
  checkout_url: z.string().nullable().describe('Stripe Checkout page where the buyer pays'),
  paid_at: timestamp.nullable(),
  idempotency_key: z.string().nullable().describe('The key the order was bought under (null for orders made before keys)'),
  tickets: z.array(Ticket),
});

export const CheckIn = z.strictObject({
  ticket_number: text().max(40).optional().describe('As printed (case, spaces and dashes do not matter; I/L read as 1, O as 0)'),
  code: text().max(64).optional().describe('The check-in code from the receipt (or its QR code)'),
}).superRefine((body, ctx) => {
  if ((body.ticket_number === undefined) === (body.code === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['ticket_number'], message: 'give exactly one of ticket_number and code' });
  }
});

export const CheckInResult = z.object({
  ticket: Ticket,
  already_checked_in: z.boolean().describe('True when this was a second scan: nothing changed, checked_in_at/by say when and by whom'),
});

export const RefundResult = z.object({
  ticket: Ticket,
  refund_id: z.string().describe('The Stripe Refund; the ticket becomes refunded when Stripe\'s charge.refunded arrives'),
});

export const CancelResult = z.object({
  event_id: uuid,
  workflow_id: z.string().describe('The Temporal workflow refunding every paid ticket and emailing each buyer once'),
});
