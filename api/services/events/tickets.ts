import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import { toMajorUnits } from '../../../domain/money';
import { normaliseCode, normaliseTicketNumber } from '../../../domain/tickets/ticket-number';
import { Problem, notFound } from '../../problem';
import type { CheckIn, CheckInResult, Ticket, TicketQuery } from '../../schemas/events/tickets';

type TicketRow = z.input<typeof Ticket>;

export interface TicketDbRow {
  id: string; event_id: string; ticket_type_id: string | null; order_id: string | null; donor_id: string | null; ticket_number: string;
  status: TicketRow['status']; unit_amount: number; currency: string; checked_in_at: Date | null; checked_in_key_id: string | null;
  checked_in_key_name: string | null; refund_requested_at: Date | null; refunded_at: Date | null; created_at: Date;
}

/** A ticket with the name of the API key that checked it in; `… where t.<column> = ?` follows. */
export const TICKET_SELECT = `select t.id, t.event_id, t.ticket_type_id, t.order_id, t.donor_id, t.ticket_number, t.status, t.unit_amount, t.currency,
    t.checked_in_at, t.checked_in_by_key_id as checked_in_key_id, k.name as checked_in_key_name, t.refund_requested_at, t.refunded_at, t.created_at
  from event_tickets t left join api_keys k on k.id = t.checked_in_by_key_id`;

/** A ticket as the API shows it: price in major units, who checked it in. */
export function ticketOf(row: TicketDbRow): TicketRow {
  const { unit_amount: unitAmount, checked_in_key_id: keyId, checked_in_key_name: keyName, ...rest } = row;
  return {
    ...rest,
    price: toMajorUnits(unitAmount, row.currency),
    checked_in_by: keyId ? { api_key_id: keyId, name: keyName ?? '' } : null,
  };
}

/** An event's tickets by number (404 when the event is not the client's). */
export async function listTickets(em: EntityManager, eventId: string, query: z.output<typeof TicketQuery>): Promise<TicketRow[]> {
  const [event] = await em.execute('select 1 from events where id = ?', [eventId]);
  if (!event) throw notFound('event');
  const rows = await em.execute<TicketDbRow[]>(
    `${TICKET_SELECT} where t.event_id = ? and (?::text is null or t.status = ?) order by t.ticket_number limit ? offset ?`,
    [eventId, query.status ?? null, query.status ?? null, query.limit, query.offset]);
  return rows.map(ticketOf);
}

export async function getTicket(em: EntityManager, ticketId: string): Promise<TicketRow> {
  const [row] = await em.execute<TicketDbRow[]>(`${TICKET_SELECT} where t.id = ?`, [ticketId]);
  if (!row) throw notFound('ticket');
  return ticketOf(row);
}

const REFUSALS: Record<string, string> = {
  pending: 'not paid: the order is still awaiting payment',
  cancelled: 'cancelled: it was released unpaid or its event was cancelled',
  refunded: 'refunded: it is no longer valid',
};

/**
 * Issue 17 item 4: checks a ticket in at the door, found by its number (as typed: case, spaces, dashes
 * and Crockford's look-alikes forgiven) or its check-in code, by the calling API key. Idempotent: a
 * second scan changes nothing and answers when and by which key the first one was made
 * (`already_checked_in`). Refused with 409 and the reason for a ticket that is pending, cancelled,
 * refunded or being refunded, or whose event is cancelled; 404 naming the field when nothing matches.
 */
export async function checkInTicket(em: EntityManager, keyId: string, body: z.output<typeof CheckIn>): Promise<z.input<typeof CheckInResult>> {
  const field = body.ticket_number !== undefined ? 'body.ticket_number' : 'body.code';
  const value = body.ticket_number !== undefined ? normaliseTicketNumber(body.ticket_number) : normaliseCode(body.code!, 16);
  if (!value) throw notFound('ticket', field);
  const column = body.ticket_number !== undefined ? 'ticket_number' : 'check_in_code';
  const [ticket] = await em.execute<{ id: string; status: string; refund_requested_at: Date | null; event_status: string }[]>(
    `select t.id, t.status, t.refund_requested_at, e.status as event_status
       from event_tickets t join events e on e.id = t.event_id where t.${column} = ? for update of t`, [value]);
  if (!ticket) throw notFound('ticket', field);
  if (ticket.status === 'checked_in') return { ticket: await getTicket(em, ticket.id), already_checked_in: true };
  const refusal = REFUSALS[ticket.status]
    ?? (ticket.event_status === 'cancelled' ? 'its event is cancelled' : null)
    ?? (ticket.refund_requested_at ? 'being refunded' : null);
  if (refusal) throw new Problem(409, 'Conflict', `the ticket cannot be checked in: ${refusal}`, { reasons: [refusal] }, 'urn:track15:problem:conflict');
  await em.execute(`update event_tickets set status = 'checked_in', checked_in_at = now(), checked_in_by_key_id = ? where id = ?`, [keyId, ticket.id]);
  return { ticket: await getTicket(em, ticket.id), already_checked_in: false };
}
