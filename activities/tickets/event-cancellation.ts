import type { EntityManager } from '@mikro-orm/postgresql';
import { releaseTicketOrder } from './order-state';

/**
 * The database steps of an event's cancellation (workflows/tickets/event-cancellation.ts); each is safe
 * to repeat, so a retried activity or a restarted worker redoes nothing that was done.
 */

/** Releases (as `cancelled`) every order of the event still awaiting payment; answers how many. */
export async function releaseEventHolds(em: EntityManager, eventId: string): Promise<number> {
  const held = await em.execute<{ id: string }[]>(`select id from ticket_orders where event_id = ? and status = 'held' order by id`, [eventId]);
  for (const order of held) await releaseTicketOrder(em, order.id, 'cancelled');
  return held.length;
}

/** The event's paid tickets (checked in or not) whose price Stripe has not refunded yet: the ones to refund. */
export async function ticketsToRefund(em: EntityManager, eventId: string): Promise<string[]> {
  const rows = await em.execute<{ id: string }[]>(
    `select id from event_tickets where event_id = ? and status in ('paid', 'checked_in') and unit_amount > 0 order by id`, [eventId]);
  return rows.map((row) => row.id);
}

/** One order per buyer who paid for tickets of the event (their first): the cancellation mail goes once to each. */
export async function buyersToNotify(em: EntityManager, eventId: string): Promise<string[]> {
  const rows = await em.execute<{ id: string }[]>(
    `select distinct on (coalesce(o.donor_id::text, o.id::text)) o.id
       from ticket_orders o where o.event_id = ? and o.status = 'paid'
      order by coalesce(o.donor_id::text, o.id::text), o.created_at, o.id`, [eventId]);
  return rows.map((row) => row.id);
}
