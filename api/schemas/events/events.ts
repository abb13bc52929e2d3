import { z } from 'zod';
import { ClientParams, choice, jsonObject, page, pagination, text, timestamp, uuid } from '../common';
import { currencyCode } from '../money';

/** events.status (seed 002); `cancelled` only through the cancel operation, which refunds every paid ticket. */
const EVENT_STATUS_MEANINGS = {
  draft: 'being prepared: tickets cannot be bought yet',
  published: 'on sale: tickets can be bought within each ticket type\'s sales window',
  completed: 'took place: no more sales',
  cancelled: 'called off (POST …/cancel): no sales, every paid ticket refunded',
} as const;
const { cancelled: _cancelled, ...SETTABLE_STATUS_MEANINGS } = EVENT_STATUS_MEANINGS;

export const EventParams = ClientParams.extend({ eventId: uuid.describe('The event') });
export const TicketTypeParams = EventParams.extend({ ticketTypeId: uuid.describe('The ticket type') });

const instant = z.iso.datetime({ offset: true }).describe('ISO 8601 with a UTC offset');
const name = text().trim().min(1).max(255);
const description = text({ multiline: true }).max(5000);

export const EventCreate = z.strictObject({
  name,
  description: description.nullish(),
  starts_at: instant,
  ends_at: instant.nullish().describe('Not before starts_at'),
  venue: text({ multiline: true }).max(1000).nullish(),
  capacity: z.number().int().min(0).max(1_000_000).nullish()
    .describe('Seats of the venue: the capacities of its ticket types may add up to at most this; null: no limit'),
  status: choice(SETTABLE_STATUS_MEANINGS, 'draft (default) or published').default('draft'),
  metadata: jsonObject.optional(),
});

export const EventUpdate = z.strictObject({
  name: name.optional(),
  description: description.nullish(),
  starts_at: instant.optional(),
  ends_at: instant.nullish(),
  venue: text({ multiline: true }).max(1000).nullish(),
  capacity: z.number().int().min(0).max(1_000_000).nullish(),
  status: choice(SETTABLE_STATUS_MEANINGS, 'Move a draft on sale, or mark the event completed; cancel with POST …/cancel').optional(),
  metadata: jsonObject.optional(),
});

export const EventCancel = z.strictObject({
  reason: text({ multiline: true }).trim().min(1).max(1000).describe('Told to every buyer in the cancellation email'),
});

export const Event = z.object({
  id: uuid,
  name: z.string(),
  description: z.string().nullable(),
  starts_at: timestamp,
  ends_at: timestamp.nullable(),
  venue: z.string().nullable(),
  capacity: z.number().int().nullable(),
  status: choice(EVENT_STATUS_MEANINGS, 'Where the event stands'),
  cancelled_at: timestamp.nullable(),
  cancellation_reason: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  created_at: timestamp,
  updated_at: timestamp,
});

export const EventQuery = z.strictObject({
  ...pagination,
  status: choice(EVENT_STATUS_MEANINGS, 'Only events in this status').optional(),
});
export const EventPage = page(Event);

/** Amounts in major units of the ticket type's currency; their decimals are checked once the currency is known. */
const major = (what: string) => z.number().min(0).max(1_000_000).describe(`${what}, in major units of \`currency\` (25.50 USD, 3000 JPY)`);

export const TicketTypeCreate = z.strictObject({
  name,
  description: description.nullish(),
  price: major('Price of one ticket'),
  currency: currencyCode.describe('ISO 4217 code; every ticket type of an order must share it'),
  donation_amount: major('The part of the price that is a gift (e.g. the tax-deductible part of a gala ticket): only this part counts in RFM; default 0').optional(),
  capacity: z.number().int().min(0).max(1_000_000).nullish().describe('Tickets that can be held or sold at once; null: unlimited'),
  sales_start_at: instant.nullish().describe('Sales open (null: at once)'),
  sales_end_at: instant.nullish().describe('Sales close (null: never); after sales_start_at'),
  max_per_order: z.number().int().min(1).max(100).default(10).describe('Most tickets of this type one order may take'),
});

export const TicketTypeUpdate = z.strictObject({
  name: name.optional(),
  description: description.nullish(),
  price: major('Price of one ticket (tickets already bought keep theirs)').optional(),
  donation_amount: major('Gift part of the price').optional(),
  capacity: z.number().int().min(0).max(1_000_000).nullish().describe('Not below the tickets held and sold now (409)'),
  sales_start_at: instant.nullish(),
  sales_end_at: instant.nullish(),
  max_per_order: z.number().int().min(1).max(100).optional(),
});

export const TicketType = z.object({
  id: uuid,
  event_id: uuid,
  name: z.string(),
  description: z.string().nullable(),
  price: z.number().describe('In major units'),
  unit_amount: z.number().int().describe('The price in minor units, as Stripe charges it'),
  donation_amount: z.number().describe('Gift part of the price, in major units'),
  currency: z.string(),
  capacity: z.number().int().nullable(),
  held: z.number().int().describe('Tickets reserved by orders awaiting payment'),
  sold: z.number().int().describe('Tickets paid (including those checked in)'),
  remaining: z.number().int().nullable().describe('capacity - held - sold; null when unlimited'),
  sales_start_at: timestamp.nullable(),
  sales_end_at: timestamp.nullable(),
  max_per_order: z.number().int(),
  created_at: timestamp,
  updated_at: timestamp,
});
export const TicketTypePage = page(TicketType);

const TypeSummary = z.object({
  ticket_type_id: uuid,
  name: z.string(),
  currency: z.string(),
  capacity: z.number().int().nullable(),
  sold: z.number().int().describe('Paid tickets, checked in or not'),
  held: z.number().int().describe('Reserved by orders awaiting payment'),
  remaining: z.number().int().nullable().describe('null when unlimited'),
  checked_in: z.number().int(),
  refunded: z.number().int(),
  revenue: z.number().describe('Paid and not refunded, in major units of currency'),
  revenue_minor: z.number().int().describe('The same in minor units'),
  donation_revenue: z.number().describe('The gift part of that revenue, in major units'),
});

export const EventSummary = z.object({
  event_id: uuid,
  status: choice(EVENT_STATUS_MEANINGS, 'Where the event stands'),
  ticket_types: z.array(TypeSummary).describe('Per ticket type, oldest first; revenues of different currencies are never added'),
});
