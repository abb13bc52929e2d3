import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import { MoneyError, chargeIncrement, toMajorUnits, toMinorUnits } from '../../../domain/money';
import { conflict, invalid, notFound } from '../../problem';
import type {
  Event, EventCreate, EventQuery, EventSummary, EventUpdate, TicketType, TicketTypeCreate, TicketTypeUpdate,
} from '../../schemas/events/events';
import type { PageWindow } from '../../schemas/common';

type EventRow = z.input<typeof Event>;
type TicketTypeRow = z.input<typeof TicketType>;

const EVENT_COLUMNS = `id, name, description, starts_at, ends_at, venue, capacity, status, cancelled_at, cancellation_reason, metadata, created_at, updated_at`;

/** Seed 002 / issue 17 item 1: a client's event, draft or on sale. 400 naming ends_at when it ends before it starts. */
export async function createEvent(em: EntityManager, clientId: string, body: z.output<typeof EventCreate>): Promise<EventRow> {
  checkTimes(body.starts_at, body.ends_at ?? null);
  const [row] = await em.execute<EventRow[]>(
    `insert into events (client_id, name, description, starts_at, ends_at, venue, capacity, status, metadata)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?) returning ${EVENT_COLUMNS}`,
    [clientId, body.name, body.description ?? null, body.starts_at, body.ends_at ?? null, body.venue ?? null, body.capacity ?? null, body.status,
      JSON.stringify(body.metadata ?? {})]);
  return row;
}

export async function getEvent(em: EntityManager, eventId: string): Promise<EventRow> {
  const [row] = await em.execute<EventRow[]>(`select ${EVENT_COLUMNS} from events where id = ?`, [eventId]);
  if (!row) throw notFound('event');
  return row;
}

/** Soonest first (then by id, so pages never overlap). */
export function listEvents(em: EntityManager, query: z.output<typeof EventQuery>): Promise<EventRow[]> {
  return em.execute<EventRow[]>(
    `select ${EVENT_COLUMNS} from events where (?::text is null or status = ?) order by starts_at, id limit ? offset ?`,
    [query.status ?? null, query.status ?? null, query.limit, query.offset]);
}

/**
 * Changes the fields named. A cancelled event is final (409: cancel refunds, and nothing undoes that);
 * a capacity below the ticket types' total capacity is refused (409), as is ends_at before starts_at (400).
 */
export async function updateEvent(em: EntityManager, eventId: string, body: z.output<typeof EventUpdate>): Promise<EventRow> {
  const [current] = await em.execute<(EventRow & { starts_at: Date; ends_at: Date | null })[]>(
    `select ${EVENT_COLUMNS} from events where id = ? for update`, [eventId]);
  if (!current) throw notFound('event');
  if (current.status === 'cancelled') throw conflict('the event is cancelled: it cannot change', { reasons: ['event cancelled'] });
  const startsAt = body.starts_at ?? new Date(current.starts_at).toISOString();
  const endsAt = body.ends_at === undefined ? (current.ends_at && new Date(current.ends_at).toISOString()) : body.ends_at;
  checkTimes(startsAt, endsAt);
  if (body.capacity !== undefined && body.capacity !== null) await checkEventCapacity(em, eventId, body.capacity, 0, null, 'body.capacity');
  const set = (name: string, value: unknown) => (value === undefined ? [] : [[name, value] as const]);
  const changes = [
    ...set('name', body.name), ...set('description', body.description), ...set('starts_at', body.starts_at), ...set('ends_at', body.ends_at),
    ...set('venue', body.venue), ...set('capacity', body.capacity), ...set('status', body.status),
    ...set('metadata', body.metadata === undefined ? undefined : JSON.stringify(body.metadata)),
  ];
  if (changes.length === 0) return current;
  const [row] = await em.execute<EventRow[]>(
    `update events set ${changes.map(([name]) => `${name} = ?`).join(', ')} where id = ? returning ${EVENT_COLUMNS}`,
    [...changes.map(([, value]) => value), eventId]);
  return row;
}

function checkTimes(startsAt: string, endsAt: string | null): void {
  if (endsAt !== null && Date.parse(endsAt) < Date.parse(startsAt)) throw invalid([{ field: 'body.ends_at', message: 'is before starts_at' }]);
}

/**
 * The ticket types' capacities fit the event's seats: the others' (all but `exceptTypeId`) plus
 * `typeCapacity`; a type of unlimited capacity (null) never fits an event with a capacity. 409 naming `field`.
 */
async function checkEventCapacity(
  em: EntityManager, eventId: string, eventCapacity: number, typeCapacity: number | null, exceptTypeId: string | null, field: string,
): Promise<void> {
  const [row] = await em.execute<{ total: number; unlimited: boolean }[]>(
    `select coalesce(sum(capacity), 0)::int as total, coalesce(bool_or(capacity is null), false) as unlimited
       from ticket_types where event_id = ? and id is distinct from ?::uuid`, [eventId, exceptTypeId]);
  if (row.unlimited || typeCapacity === null || row.total + typeCapacity > eventCapacity) {
    throw conflict(`${field}: the ticket types would offer more than the event's ${eventCapacity} seats`,
      { errors: [{ field, message: `the ticket types would exceed the event's capacity of ${eventCapacity}` }], reasons: ['over event capacity'] });
  }
}

const TYPE_COLUMNS = `id, event_id, name, description, unit_amount, donation_amount, currency, capacity, held, sold,
  sales_start_at, sales_end_at, max_per_order, created_at, updated_at`;

interface TypeDbRow {
  id: string; event_id: string; name: string; description: string | null; unit_amount: number; donation_amount: number; currency: string;
  capacity: number | null; held: number; sold: number; sales_start_at: Date | null; sales_end_at: Date | null; max_per_order: number;
  created_at: Date; updated_at: Date;
}

/** A ticket type as the API shows it: money in major units (and the minor units Stripe charges), with what remains. */
function ticketType(row: TypeDbRow): TicketTypeRow {
  return {
    ...row,
    price: toMajorUnits(row.unit_amount, row.currency),
    donation_amount: toMajorUnits(row.donation_amount, row.currency),
    remaining: row.capacity === null ? null : row.capacity - row.held - row.sold,
  };
}

/** Major units to chargeable minor units of `currency`, or 400 naming `field`. */
function minorUnits(amount: number, currency: string, field: string): number {
  try {
    const minor = toMinorUnits(amount, currency);
    const step = chargeIncrement(currency);
    if (minor % step !== 0) throw new MoneyError(`Stripe charges ${currency.toUpperCase()} in steps of ${toMajorUnits(step, currency)}`);
    return minor;
  } catch (error) {
    if (error instanceof MoneyError) throw invalid([{ field, message: error.message }]);
    throw error;
  }
}

function checkWindow(start: string | null | undefined, end: string | null | undefined): void {
  if (start && end && Date.parse(end) <= Date.parse(start)) throw invalid([{ field: 'body.sales_end_at', message: 'is not after sales_start_at' }]);
}

/** The event, locked, and refused (409) when it is cancelled: its ticket types no longer change. */
async function lockOpenEvent(em: EntityManager, eventId: string): Promise<{ capacity: number | null }> {
  const [event] = await em.execute<{ status: string; capacity: number | null }[]>('select status, capacity from events where id = ? for update', [eventId]);
  if (!event) throw notFound('event');
  if (event.status === 'cancelled') throw conflict('the event is cancelled', { reasons: ['event cancelled'] });
  return event;
}

/**
 * A ticket type of the event. 400 naming price or donation_amount when the amount has more decimals than
 * the currency (or is not a chargeable step), or the donation part exceeds the price; 409 when the event
 * is cancelled or the capacities would exceed the event's.
 */
export async function createTicketType(em: EntityManager, clientId: string, eventId: string, body: z.output<typeof TicketTypeCreate>): Promise<TicketTypeRow> {
  const event = await lockOpenEvent(em, eventId);
  const unitAmount = minorUnits(body.price, body.currency, 'body.price');
  const donationAmount = minorUnits(body.donation_amount ?? 0, body.currency, 'body.donation_amount');
  if (donationAmount > unitAmount) throw invalid([{ field: 'body.donation_amount', message: 'is more than the price' }]);
  checkWindow(body.sales_start_at, body.sales_end_at);
  if (event.capacity !== null) await checkEventCapacity(em, eventId, event.capacity, body.capacity ?? null, null, 'body.capacity');
  const [row] = await em.execute<TypeDbRow[]>(
    `insert into ticket_types (client_id, event_id, name, description, unit_amount, currency, donation_amount, capacity, sales_start_at, sales_end_at, max_per_order)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning ${TYPE_COLUMNS}`,
    [clientId, eventId, body.name, body.description ?? null, unitAmount, body.currency, donationAmount, body.capacity ?? null,
      body.sales_start_at ?? null, body.sales_end_at ?? null, body.max_per_order]);
  return ticketType(row);
}

/** Oldest first. 404 when the event is not the client's. */
export async function listTicketTypes(em: EntityManager, eventId: string, window: PageWindow): Promise<TicketTypeRow[]> {
  await getEvent(em, eventId);
  const rows = await em.execute<TypeDbRow[]>(
    `select ${TYPE_COLUMNS} from ticket_types where event_id = ? order by created_at, id limit ? offset ?`, [eventId, window.limit, window.offset]);
  return rows.map(ticketType);
}

/**
 * Changes the fields named. Tickets already bought keep their price. A capacity below what is held and
 * sold now is refused (409 naming capacity), as is one the event's capacity cannot take.
 */
export async function updateTicketType(em: EntityManager, eventId: string, ticketTypeId: string, body: z.output<typeof TicketTypeUpdate>): Promise<TicketTypeRow> {
  const event = await lockOpenEvent(em, eventId);
  const [current] = await em.execute<TypeDbRow[]>(`select ${TYPE_COLUMNS} from ticket_types where id = ? and event_id = ? for update`, [ticketTypeId, eventId]);
  if (!current) throw notFound('ticket type');
  const unitAmount = body.price === undefined ? current.unit_amount : minorUnits(body.price, current.currency, 'body.price');
  const donationAmount = body.donation_amount === undefined ? current.donation_amount : minorUnits(body.donation_amount, current.currency, 'body.donation_amount');
  if (donationAmount > unitAmount) throw invalid([{ field: 'body.donation_amount', message: 'is more than the price' }]);
  const iso = (value: Date | null) => value && new Date(value).toISOString();
  checkWindow(body.sales_start_at === undefined ? iso(current.sales_start_at) : body.sales_start_at,
    body.sales_end_at === undefined ? iso(current.sales_end_at) : body.sales_end_at);
  if (body.capacity !== undefined) {
    if (body.capacity !== null && body.capacity < current.held + current.sold) {
      throw conflict(`body.capacity: ${current.held + current.sold} tickets are held or sold already`,
        { errors: [{ field: 'body.capacity', message: `below the ${current.held + current.sold} tickets held or sold` }], reasons: ['below tickets held or sold'] });
    }
    if (event.capacity !== null) await checkEventCapacity(em, eventId, event.capacity, body.capacity, ticketTypeId, 'body.capacity');
  }
  const [row] = await em.execute<TypeDbRow[]>(
    `update ticket_types set name = ?, description = ?, unit_amount = ?, donation_amount = ?, capacity = ?, sales_start_at = ?, sales_end_at = ?, max_per_order = ?
      where id = ? returning ${TYPE_COLUMNS}`,
    [body.name ?? current.name, body.description === undefined ? current.description : body.description, unitAmount, donationAmount,
      body.capacity === undefined ? current.capacity : body.capacity,
      body.sales_start_at === undefined ? current.sales_start_at : body.sales_start_at,
      body.sales_end_at === undefined ? current.sales_end_at : body.sales_end_at,
      body.max_per_order ?? current.max_per_order, ticketTypeId]);
  return ticketType(row);
}

/**
 * Issue 17 item 1: per ticket type, tickets sold (paid or checked in), held, remaining, checked in and
 * refunded, and revenue: the prices of tickets paid and not refunded, in the type's own currency.
 */
export async function eventSummary(em: EntityManager, eventId: string): Promise<z.input<typeof EventSummary>> {
  const event = await getEvent(em, eventId);
  const rows = await em.execute<{
    ticket_type_id: string; name: string; currency: string; capacity: number | null; sold: number; held: number;
    checked_in: number; refunded: number; revenue_minor: number; donation_minor: number;
  }[]>(
    `select t.id as ticket_type_id, t.name, t.currency, t.capacity, t.sold, t.held,
            count(k.id) filter (where k.status = 'checked_in')::int as checked_in,
            count(k.id) filter (where k.status = 'refunded')::int as refunded,
            coalesce(sum(k.unit_amount) filter (where k.status in ('paid', 'checked_in')), 0)::int as revenue_minor,
            coalesce(sum(k.donation_amount) filter (where k.status in ('paid', 'checked_in')), 0)::int as donation_minor
       from ticket_types t left join event_tickets k on k.ticket_type_id = t.id
      where t.event_id = ? group by t.id order by t.created_at, t.id`, [eventId]);
  return {
    event_id: eventId,
    status: event.status,
    ticket_types: rows.map((row) => ({
      ticket_type_id: row.ticket_type_id, name: row.name, currency: row.currency, capacity: row.capacity, sold: row.sold, held: row.held,
      remaining: row.capacity === null ? null : row.capacity - row.sold - row.held, checked_in: row.checked_in, refunded: row.refunded,
      revenue: toMajorUnits(row.revenue_minor, row.currency), revenue_minor: row.revenue_minor, donation_revenue: toMajorUnits(row.donation_minor, row.currency),
    })),
  };
}
