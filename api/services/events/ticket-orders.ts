import type { EntityManager } from '@mikro-orm/postgresql';
import { createHash } from 'node:crypto';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import Stripe from 'stripe';
import type { z } from 'zod';
import { releaseTicketOrder } from '../../../activities/tickets/order-state';
import { toMajorUnits } from '../../../domain/money';
import { newCheckInCode, newTicketNumber } from '../../../domain/tickets/ticket-number';
import { TICKET_ORDER_PURPOSE, ticketOrderWorkflowId } from '../../../domain/tickets/ticket-workflows';
import { ticketOrderWorkflow } from '../../../workflows/tickets/ticket-order';
import { Problem, conflict, invalid, notFound, unavailable } from '../../problem';
import type { Order, OrderCreate } from '../../schemas/events/tickets';
import { requireDonor } from '../donors/donors';
import { TICKET_SELECT, type TicketDbRow, ticketOf } from './tickets';

type InClient = <T>(work: (em: EntityManager) => Promise<T>) => Promise<T>;
type OrderRow = z.input<typeof Order>;

export interface PurchaseDeps { inClient: InClient; temporal: Client; taskQueue: string; stripe: Stripe; holdSeconds: number }

/** What a purchase answers: the order, and whether its key was seen before (the route answers 200 then, else 201). */
export interface Purchase { order: OrderRow; replayed: boolean }

interface TypeRow { id: string; name: string; unit_amount: number; donation_amount: number; currency: string; max_per_order: number; open: boolean; capacity: number | null }

interface KeyedOrder { id: string; request_fingerprint: string; status: string; checkout_url: string | null }

/**
 * Issue 17 item 2: buys tickets without overselling, once per (client, idempotency_key).
 * 1. In one transaction, serialised per key by a transaction-scoped advisory lock: an order already made
 *    under the key is the answer (replayed; no seats held, no session opened again), or 409 naming
 *    `body.idempotency_key` when it was made for a different purchase (event, buyer, items or URLs differ:
 *    compared by fingerprint). Otherwise the event must be on sale (published), each ticket type of it
 *    within its sales window and per-order limit, all in one currency; the buyer is the donor named, or
 *    the donor with the buyer's email (created when there is none); then each type's `held` counter moves
 *    up in one conditional UPDATE that only succeeds while held + sold + quantity stays within capacity.
 *    PostgreSQL takes the row lock and re-checks the condition after any concurrent buyer committed, so of
 *    N buyers for the last K seats exactly K succeed; the others get 409 "sold out" and nothing of theirs
 *    is kept. The order (with the key; unique per client) and its pending tickets are written.
 * 2-3. openCheckout: the hold's workflow starts and the Stripe Checkout Session is created; a repeat that
 *    finds the first attempt still between these steps runs them again, which makes nothing new.
 * Answers the order with its checkout_url and tickets (pending until paid). 503 (Retry-After) when the
 * hold cannot start, 502 when Stripe fails after retries: the seats are released and the key freed, so
 * the same key may be sent again.
 */
export async function purchaseTickets(deps: PurchaseDeps, clientId: string, eventId: string, body: z.output<typeof OrderCreate>): Promise<Purchase> {
  const fingerprint = purchaseFingerprint(eventId, body);
  const claim = await deps.inClient(async (em) => {
    // Repeats of a key queue here until the first commits, then find its order rather than its sold-out seats.
    await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`ticket-order:${clientId}:${body.idempotency_key}`]);
    const [existing] = await em.execute<KeyedOrder[]>(
      'select id, request_fingerprint, status, checkout_url from ticket_orders where client_id = ? and idempotency_key = ?', [clientId, body.idempotency_key]);
    if (existing) return { ...existing, replayed: true };
    const id = await reserve(em, clientId, eventId, body, deps.holdSeconds, fingerprint);
    return { id, request_fingerprint: fingerprint, status: 'held', checkout_url: null, replayed: false };
  });
  if (claim.request_fingerprint !== fingerprint) {
    throw conflict('idempotency_key was already used for a different purchase; use a new key for a new order',
      { errors: [{ field: 'body.idempotency_key', message: 'already used for a different purchase' }] });
  }
  if (claim.status === 'held' && !claim.checkout_url) await openCheckout(deps, clientId, eventId, claim.id, body);
  return { order: await deps.inClient((em) => getOrder(em, claim.id)), replayed: claim.replayed };
}

/**
 * The purchase as asked, for comparing a repeat of its key: SHA-256 (hex) of the event, the buyer, the
 * items in ticket type order and the Checkout URLs (draft-ietf-httpapi-idempotency-key-header §2.4).
 */
function purchaseFingerprint(eventId: string, body: z.output<typeof OrderCreate>): string {
  const items = [...body.items].sort((a, b) => a.ticket_type_id.localeCompare(b.ticket_type_id)).map((item) => [item.ticket_type_id, item.quantity]);
  const buyer = body.buyer ? [body.buyer.email.toLowerCase(), body.buyer.first_name ?? null, body.buyer.last_name ?? null] : null;
  return createHash('sha256').update(JSON.stringify([eventId, body.donor_id ?? null, buyer, items, body.success_url, body.cancel_url])).digest('hex');
}

/**
 * Steps 2 and 3 of a held order that has no checkout yet.
 * 2. The workflow `ticket-order-<id>` starts (or is found running): it holds the tickets for
 *    `holdSeconds` on a durable timer and releases them if Stripe has not confirmed payment by then
 *    (workflows/tickets/ticket-order.ts).
 * 3. A Stripe Checkout Session is created (idempotency key of the order, so Stripe answers a repeat with
 *    the same session) with metadata purpose `ticket_order` on the session and its PaymentIntent, so the
 *    webhook routes its events here. The first session stored on the order wins.
 * If either fails, the order is released at once and its key freed (abandon): 503 or 502.
 */
async function openCheckout(deps: PurchaseDeps, clientId: string, eventId: string, orderId: string, body: z.output<typeof OrderCreate>): Promise<void> {
  const order = await deps.inClient((em) => checkoutOf(em, orderId));
  try {
    await deps.temporal.workflow.start(ticketOrderWorkflow, {
      workflowId: ticketOrderWorkflowId(orderId), taskQueue: deps.taskQueue,
      args: [{ clientId, orderId, holdMs: deps.holdSeconds * 1000 }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE', workflowIdConflictPolicy: 'USE_EXISTING',
    });
  } catch (error) {
    // Already ended: the order was released or paid meanwhile; the session below changes nothing of that.
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
      await abandon(deps, orderId);
      throw unavailable(`the reservation could not be held (${error instanceof Error ? error.message : String(error)}); try again`, 5);
    }
  }
  let session: Stripe.Checkout.Session;
  try {
    const metadata = { purpose: TICKET_ORDER_PURPOSE, client_id: clientId, event_id: eventId, order_id: orderId, donor_id: order.donorId ?? '' };
    session = await deps.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: order.lines.map((line) => ({
        quantity: line.quantity,
        price_data: { currency: order.currency, unit_amount: line.unitAmount, product_data: { name: `${order.eventName}: ${line.name}` } },
      })),
      customer_email: order.email ?? undefined,
      client_reference_id: orderId,
      success_url: body.success_url,
      cancel_url: body.cancel_url,
      metadata,
      payment_intent_data: { metadata },
    }, { idempotencyKey: `ticket-order:${orderId}` });
  } catch (error) {
    await abandon(deps, orderId);
    if (error instanceof Stripe.errors.StripeError) throw new Problem(502, 'Bad Gateway', `Stripe did not start the checkout (${error.message}); the tickets were released, try again`);
    throw error;
  }
  await deps.inClient((em) => em.execute(
    `update ticket_orders set stripe_checkout_session_id = coalesce(stripe_checkout_session_id, ?), checkout_url = coalesce(checkout_url, ?)
      where id = ?`, [session.id, session.url, orderId]));
}

/** An attempt that failed before checkout: its seats released and its key freed, so sending the same key again starts afresh. */
async function abandon(deps: PurchaseDeps, orderId: string): Promise<void> {
  await deps.inClient(async (em) => {
    await releaseTicketOrder(em, orderId, 'expired');
    await em.execute('update ticket_orders set idempotency_key = null, request_fingerprint = null where id = ? and checkout_url is null', [orderId]);
  });
}

/** What the Checkout Session of an order shows: the event, the buyer's email, and a line per ticket type with its count and unit price (minor units). */
interface CheckoutOrder {
  donorId: string | null; email: string | null; eventName: string; currency: string;
  lines: { name: string; quantity: number; unitAmount: number }[];
}

async function checkoutOf(em: EntityManager, orderId: string): Promise<CheckoutOrder> {
  const rows = await em.execute<{ donor_id: string | null; email: string | null; event_name: string; currency: string; name: string; quantity: number; unit_amount: number }[]>(
    `select o.donor_id, d.email, e.name as event_name, o.currency, tt.name, count(*)::int as quantity, t.unit_amount
       from ticket_orders o join events e on e.id = o.event_id left join donors d on d.id = o.donor_id
       join event_tickets t on t.order_id = o.id join ticket_types tt on tt.id = t.ticket_type_id
      where o.id = ? group by o.donor_id, d.email, e.name, o.currency, tt.id, tt.name, t.unit_amount order by tt.id`, [orderId]);
  const [first] = rows;
  return {
    donorId: first.donor_id, email: first.email, eventName: first.event_name, currency: first.currency,
    lines: rows.map((row) => ({ name: row.name, quantity: row.quantity, unitAmount: row.unit_amount })),
  };
}

/** Step 1 after the key's check: the seats held, the order and its pending tickets written; answers the order's id. */
async function reserve(
  em: EntityManager, clientId: string, eventId: string, body: z.output<typeof OrderCreate>, holdSeconds: number, fingerprint: string,
): Promise<string> {
  const [event] = await em.execute<{ status: string }[]>('select status from events where id = ? for share', [eventId]);
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

  const donorId = await buyer(em, clientId, body);
  const total = items.reduce((sum, item) => sum + item.quantity * types.get(item.ticket_type_id)!.unit_amount, 0);
  const [order] = await em.execute<{ id: string }[]>(
    `insert into ticket_orders (client_id, event_id, donor_id, currency, amount_total, hold_expires_at, idempotency_key, request_fingerprint)
     values (?, ?, ?, ?, ?, now() + make_interval(secs => ?), ?, ?) returning id`,
    [clientId, eventId, donorId, currency, total, holdSeconds, body.idempotency_key, fingerprint]);
  for (const item of items) {
    const type = types.get(item.ticket_type_id)!;
    for (let n = 0; n < item.quantity; n++) await insertTicket(em, clientId, eventId, order.id, donorId, type);
  }
  return order.id;
}

/** The donor named (404 naming donor_id), else the client's donor with the buyer's email, created when there is none; answers the donor's id. */
async function buyer(em: EntityManager, clientId: string, body: z.output<typeof OrderCreate>): Promise<string> {
  if (body.donor_id) {
    await requireDonor(em, body.donor_id, 'body.donor_id');
    return body.donor_id;
  }
  const { email, first_name: firstName, last_name: lastName } = body.buyer!;
  await em.execute(
    `insert into donors (client_id, email, first_name, last_name) values (?, ?, ?, ?)
     on conflict (client_id, lower(email)) where email is not null do nothing`,
    [clientId, email, firstName ?? null, lastName ?? null]);
  const [row] = await em.execute<{ id: string }[]>('select id from donors where lower(email) = lower(?)', [email]);
  return row.id;
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
    hold_expires_at: Date; checkout_url: string | null; paid_at: Date | null; idempotency_key: string | null;
  }[]>('select id, event_id, donor_id, status, amount_total, currency, hold_expires_at, checkout_url, paid_at, idempotency_key from ticket_orders where id = ?', [orderId]);
  if (!order) throw notFound('ticket order');
  const tickets = await em.execute<TicketDbRow[]>(`${TICKET_SELECT} where t.order_id = ? order by t.ticket_number`, [orderId]);
  return { ...order, amount_total: toMajorUnits(order.amount_total, order.currency), tickets: tickets.map(ticketOf) };
}
