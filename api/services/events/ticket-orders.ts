import type { EntityManager } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import Stripe from 'stripe';
import type { z } from 'zod';
import { releaseTicketOrder } from '../../../activities/tickets/order-state';
import { toMajorUnits } from '../../../domain/money';
import { newCheckInCode, newTicketNumber } from '../../../domain/ticket-number';
import { TICKET_ORDER_PURPOSE, ticketOrderWorkflowId } from '../../../domain/ticket-workflows';
import { ticketOrderWorkflow } from '../../../workflows/tickets/ticket-order';
import { Problem, conflict, invalid, notFound, unavailable } from '../../problem';
import type { Order, OrderCreate } from '../../schemas/events/tickets';
import { requireDonor } from '../donors';
import { TICKET_SELECT, type TicketDbRow, ticketOf } from './tickets';

type InClient = <T>(work: (em: EntityManager) => Promise<T>) => Promise<T>;
type OrderRow = z.input<typeof Order>;

export interface PurchaseDeps { inClient: InClient; temporal: Client; taskQueue: string; stripe: Stripe; holdSeconds: number }

interface TypeRow { id: string; name: string; unit_amount: number; donation_amount: number; currency: string; max_per_order: number; open: boolean; capacity: number | null }

/**
 * Issue 17 item 2: buys tickets without overselling.
 * 1. In one transaction: the event must be on sale (published), each ticket type of it within its sales
 *    window and per-order limit, all in one currency; the buyer is the donor named, or the donor with the
 *    buyer's email (created when there is none); then each type's `held` counter moves up in one
 *    conditional UPDATE that only succeeds while held + sold + quantity stays within capacity. PostgreSQL
 *    takes the row lock and re-checks the condition after any concurrent buyer committed, so of N buyers
 *    for the last K seats exactly K succeed; the others get 409 "sold out" and nothing of theirs is kept.
 *    The order and its pending tickets (random numbers, drawn again on the rare collision) are written.
 * 2. The workflow `ticket-order-<id>` starts: it holds the tickets for `holdSeconds` on a durable timer
 *    and releases them if Stripe has not confirmed payment by then (workflows/tickets/ticket-order.ts).
 *    If it cannot start, the order is released at once and the answer is 503.
 * 3. A Stripe Checkout Session is created (idempotency key of the order) with metadata purpose
 *    `ticket_order` on the session and its PaymentIntent, so the webhook routes its events here. If Stripe
 *    fails after retries the order is released at once and the answer is 502.
 * Answers the order with its checkout_url and tickets (pending until paid).
 */
export async function purchaseTickets(deps: PurchaseDeps, clientId: string, eventId: string, body: z.output<typeof OrderCreate>): Promise<OrderRow> {
  const order = await deps.inClient((em) => reserve(em, clientId, eventId, body, deps.holdSeconds));
  try {
    await deps.temporal.workflow.start(ticketOrderWorkflow, {
      workflowId: ticketOrderWorkflowId(order.id), taskQueue: deps.taskQueue,
      args: [{ clientId, orderId: order.id, holdMs: deps.holdSeconds * 1000 }],
    });
  } catch (error) {
    await deps.inClient((em) => releaseTicketOrder(em, order.id, 'expired'));
    throw unavailable(`the reservation could not be held (${error instanceof Error ? error.message : String(error)}); try again`, 5);
  }
  let session: Stripe.Checkout.Session;
  try {
    const metadata = { purpose: TICKET_ORDER_PURPOSE, client_id: clientId, event_id: eventId, order_id: order.id, donor_id: order.donorId };
    session = await deps.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: order.lines.map((line) => ({
        quantity: line.quantity,
        price_data: { currency: order.currency, unit_amount: line.unitAmount, product_data: { name: `${order.eventName}: ${line.name}` } },
      })),
      customer_email: order.email ?? undefined,
      client_reference_id: order.id,
      success_url: body.success_url,
      cancel_url: body.cancel_url,
      metadata,
      payment_intent_data: { metadata },
    }, { idempotencyKey: `ticket-order:${order.id}` });
  } catch (error) {
    await deps.inClient((em) => releaseTicketOrder(em, order.id, 'expired'));
    if (error instanceof Stripe.errors.StripeError) throw new Problem(502, 'Bad Gateway', `Stripe did not start the checkout (${error.message}); the tickets were released, try again`);
    throw error;
  }
  return deps.inClient(async (em) => {
    await em.execute('update ticket_orders set stripe_checkout_session_id = ?, checkout_url = ? where id = ?', [session.id, session.url, order.id]);
    return getOrder(em, order.id);
  });
}

interface Reserved {
  id: string; donorId: string; email: string | null; eventName: string; currency: string;
  lines: { name: string; quantity: number; unitAmount: number }[];
}

async function reserve(em: EntityManager, clientId: string, eventId: string, body: z.output<typeof OrderCreate>, holdSeconds: number): Promise<Reserved> {
  const [event] = await em.execute<{ name: string; status: string }[]>('select name, status from events where id = ? for share', [eventId]);
  if (!event) throw notFound('event');
  if (event.status !== 'published') throw conflict(`the event is ${event.status}: tickets are not on sale`, { reasons: [`event ${event.status}`] });

  // Each type locked in id order, so two orders of the same types never wait on each other in a cycle.
  const items = [...body.items].sort((a, b) => a.ticket_type_id.localeCompare(b.ticket_type_id));
  const types = new Map<string, TypeRow>();
  for (const item of items) {
    const index = body.items.indexOf(item);
    const [type] = await em.execute<TypeRow[]>(
      `select id, name, unit_amount, donation_amount, currency, max_per_order, capacity,
              (sales_start_at is null or sales_start_at <= now()) and (sales_end_at is null or sales_end_at > now()) as open
         from ticket_types where id = ? and event_id = ?`, [item.ticket_type_id, eventId]);
    if (!type) throw notFound('ticket type', `body.items.${index}.ticket_type_id`);
    if (!type.open) throw conflict(`${type.name}: not on sale now (outside its sales window)`, { reasons: ['outside sales window'] });
    if (item.quantity > type.max_per_order) {
      throw invalid([{ field: `body.items.${index}.quantity`, message: `at most ${type.max_per_order} ${type.name} tickets per order` }]);
    }
    types.set(type.id, type);
  }
  const currencies = new Set([...types.values()].map((type) => type.currency));
  if (currencies.size > 1) throw invalid([{ field: 'body.items', message: 'the ticket types are priced in different currencies: buy them in separate orders' }]);
  const [currency] = currencies;

  for (const item of items) {
    const [held] = await em.execute(
      `update ticket_types set held = held + ? where id = ? and (capacity is null or held + sold + ? <= capacity) returning id`,
      [item.quantity, item.ticket_type_id, item.quantity]);
    if (!held) {
      const type = types.get(item.ticket_type_id)!;
      throw new Problem(409, 'Conflict', `sold out: fewer than ${item.quantity} ${type.name} tickets are left`,
        { reasons: ['sold out'], ticket_type_id: type.id }, 'urn:track15:problem:sold-out');
    }
  }

  const donor = await buyer(em, clientId, body);
  const total = items.reduce((sum, item) => sum + item.quantity * types.get(item.ticket_type_id)!.unit_amount, 0);
  const [order] = await em.execute<{ id: string }[]>(
    `insert into ticket_orders (client_id, event_id, donor_id, currency, amount_total, hold_expires_at)
     values (?, ?, ?, ?, ?, now() + make_interval(secs => ?)) returning id`,
    [clientId, eventId, donor.id, currency, total, holdSeconds]);
  for (const item of items) {
    const type = types.get(item.ticket_type_id)!;
    for (let n = 0; n < item.quantity; n++) await insertTicket(em, clientId, eventId, order.id, donor.id, type);
  }
  return {
    id: order.id, donorId: donor.id, email: donor.email, eventName: event.name, currency,
    lines: items.map((item) => ({ name: types.get(item.ticket_type_id)!.name, quantity: item.quantity, unitAmount: types.get(item.ticket_type_id)!.unit_amount })),
  };
}

/** The donor named (404 naming donor_id), else the client's donor with the buyer's email, created when there is none. */
async function buyer(em: EntityManager, clientId: string, body: z.output<typeof OrderCreate>): Promise<{ id: string; email: string | null }> {
  if (body.donor_id) {
    await requireDonor(em, body.donor_id, 'body.donor_id');
    const [row] = await em.execute<{ id: string; email: string | null }[]>('select id, email from donors where id = ?', [body.donor_id]);
    return row;
  }
  const { email, first_name: firstName, last_name: lastName } = body.buyer!;
  await em.execute(
    `insert into donors (client_id, email, first_name, last_name) values (?, ?, ?, ?)
     on conflict (client_id, lower(email)) where email is not null do nothing`,
    [clientId, email, firstName ?? null, lastName ?? null]);
  const [row] = await em.execute<{ id: string; email: string | null }[]>('select id, email from donors where lower(email) = lower(?)', [email]);
  return row;
}

/** A pending ticket with a fresh random number and check-in code; on the rare collision with an existing one, drawn again. */
async function insertTicket(em: EntityManager, clientId: string, eventId: string, orderId: string, donorId: string, type: TypeRow): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const [row] = await em.execute(
      `insert into event_tickets (client_id, event_id, donor_id, ticket_type_id, order_id, ticket_number, check_in_code, unit_amount, donation_amount, currency, status)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending') on conflict do nothing returning id`,
      [clientId, eventId, donorId, type.id, orderId, newTicketNumber(), newCheckInCode(), type.unit_amount, type.donation_amount, type.currency]);
    if (row) return;
  }
  throw new Error('ten ticket numbers in a row were taken: the number space is exhausted');
}

/** An order with its tickets. */
export async function getOrder(em: EntityManager, orderId: string): Promise<OrderRow> {
  const [order] = await em.execute<{
    id: string; event_id: string; donor_id: string | null; status: OrderRow['status']; amount_total: number; currency: string;
    hold_expires_at: Date; checkout_url: string | null; paid_at: Date | null;
  }[]>('select id, event_id, donor_id, status, amount_total, currency, hold_expires_at, checkout_url, paid_at from ticket_orders where id = ?', [orderId]);
  if (!order) throw notFound('ticket order');
  const tickets = await em.execute<TicketDbRow[]>(`${TICKET_SELECT} where t.order_id = ? order by t.ticket_number`, [orderId]);
  return { ...order, amount_total: toMajorUnits(order.amount_total, order.currency), tickets: tickets.map(ticketOf) };
}
