import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { belongsToClient } from './client';
import { choice, createdAt, jsonObject, timestamp, updatedAt, uuidPk, varchar } from './columns';
import { Campaign, Donation, Donor, Payment } from './fundraising';
import { ApiKey } from './orchestration';
import { tenantFilter } from './tenant';

/** Seed 002: one email to one donor, with SendGrid's delivery events; one per (campaign, step, donor). */
export const EmailSend = defineEntity({
  name: 'EmailSend',
  tableName: 'email_sends',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    campaign: p.manyToOne(Campaign).ref().nullable().deleteRule('cascade'),
    donor: p.manyToOne(Donor).ref().nullable(),
    /** donor_id of a send outside any campaign, else null: the key to donors only such sends need (Migration20261201100000EmailSendDonorKey). */
    donorOutsideCampaign: p.uuid().nullable().generated('(case when campaign_id is null then donor_id else null end) stored'),
    stepNumber: p.smallint().nullable(),
    emailAddress: p.text(),
    status: p.text().$type<'pending' | 'sent' | 'delivered' | 'opened' | 'clicked' | 'bounced' | 'failed' | 'spamreport' | 'unsubscribed'>().default('pending'),
    sendgridMessageId: p.text().nullable(),
    sentAt: timestamp(),
    deliveredAt: timestamp(),
    openedAt: timestamp(),
    clickedAt: timestamp(),
    bouncedAt: timestamp(),
    droppedAt: timestamp(),
    spamReportedAt: timestamp(),
    unsubscribedAt: timestamp(),
    bounceReason: p.text().nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type IEmailSend = InferEntity<typeof EmailSend>;

/** Seed 002: a donor's consent per category ('all' is the global unsubscribe). */
export const NotificationPreference = defineEntity({
  name: 'NotificationPreference',
  tableName: 'notification_preferences',
  filters: tenantFilter('client'),
  uniques: [{ properties: ['donor', 'client', 'category'] }],
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    donor: p.manyToOne(Donor).ref().deleteRule('cascade'),
    category: p.text().$type<'marketing' | 'transactional' | 'events' | 'newsletter' | 'all'>(),
    emailEnabled: p.boolean().default(true),
    smsEnabled: p.boolean().default(false),
    pushEnabled: p.boolean().default(false),
    unsubscribedAt: timestamp(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type INotificationPreference = InferEntity<typeof NotificationPreference>;

/** Seed 002 names events without defining them: the columns an event page and its check-in need. */
/** Seed 002: an event a client sells tickets to (issue 17); cancelling it refunds every paid ticket. */
export const Event = defineEntity({
  name: 'Event',
  tableName: 'events',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    name: varchar(255),
    description: p.text().nullable(),
    startsAt: p.datetime(),
    endsAt: timestamp(),
    venue: p.text().nullable(),
    capacity: p.integer().nullable(),
    status: choice(['draft', 'published', 'cancelled', 'completed'], 20).default('draft'),
    metadata: jsonObject(),
    cancelledAt: timestamp(),
    cancellationReason: p.text().nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type IEvent = InferEntity<typeof Event>;

/**
 * A kind of ticket of an event, priced in integer minor units of `currency` (domain/money.ts).
 * `held` (reserved, unpaid) and `sold` (paid, checked in) never pass `capacity` (a CHECK); the purchase
 * moves them in one conditional UPDATE (api/services/events/ticket-orders.ts).
 */
export const TicketType = defineEntity({
  name: 'TicketType',
  tableName: 'ticket_types',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    event: p.manyToOne(Event).ref().deleteRule('cascade'),
    name: varchar(255),
    description: p.text().nullable(),
    unitAmount: p.integer().default(0),
    currency: p.character().length(3).default('usd'),
    donationAmount: p.integer().default(0),
    capacity: p.integer().nullable(),
    held: p.integer().default(0),
    sold: p.integer().default(0),
    salesStartAt: timestamp(),
    salesEndAt: timestamp(),
    maxPerOrder: p.integer().default(10),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type ITicketType = InferEntity<typeof TicketType>;

/**
 * One purchase of tickets: held until paid, or released by its workflow (`ticket-order-<id>`) when the hold
 * runs out. Made once per (client, idempotencyKey): a repeat of the key answers this order
 * (api/services/events/ticket-orders.ts).
 */
export const TicketOrder = defineEntity({
  name: 'TicketOrder',
  tableName: 'ticket_orders',
  filters: tenantFilter('client'),
  uniques: [{ name: 'uq_ticket_orders_idempotency_key', properties: ['client', 'idempotencyKey'] }],
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    event: p.manyToOne(Event).ref().deleteRule('cascade').index('idx_ticket_orders_event'),
    donor: p.manyToOne(Donor).ref().nullable().deleteRule('set null').index('idx_ticket_orders_donor'),
    status: choice(['held', 'paid', 'expired', 'cancelled'], 20).default('held'),
    currency: p.character().length(3),
    amountTotal: p.integer(),
    holdExpiresAt: p.datetime(),
    stripeCheckoutSessionId: varchar(255).nullable(),
    checkoutUrl: p.text().nullable(),
    stripePaymentIntentId: varchar(255).nullable().unique(),
    payment: p.manyToOne(Payment).ref().nullable().deleteRule('set null'),
    paidAt: timestamp(),
    releasedAt: timestamp(),
    latePaymentAt: timestamp(),
    lateRefundId: varchar(255).nullable(),
    lateRefundedAt: timestamp(),
    /** The caller's key for this purchase attempt; null on orders made before keys, or whose attempt failed before checkout. */
    idempotencyKey: varchar(200).nullable(),
    /** SHA-256 (hex) of the purchase as first asked: a repeat of the key asking something else is refused. */
    requestFingerprint: p.character().length(64).nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type ITicketOrder = InferEntity<typeof TicketOrder>;

/** Seed 002: a ticket bought (or reserved) by a donor; a ticket type in use cannot be deleted. */
export const EventTicket = defineEntity({
  name: 'EventTicket',
  tableName: 'event_tickets',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    event: p.manyToOne(Event).ref().deleteRule('cascade'),
    donor: p.manyToOne(Donor).ref().nullable().deleteRule('set null'),
    ticketType: p.manyToOne(TicketType).ref().nullable().deleteRule('restrict'),
    order: p.manyToOne(TicketOrder).ref().nullable().deleteRule('cascade').index('idx_event_tickets_order'),
    ticketNumber: p.text().unique(),
    checkInCode: varchar(32).nullable().unique('uq_event_tickets_check_in_code'),
    status: p.text().$type<'pending' | 'paid' | 'cancelled' | 'refunded' | 'checked_in'>().default('pending'),
    payment: p.manyToOne(Payment).ref().nullable().deleteRule('set null'),
    unitAmount: p.integer().default(0),
    donationAmount: p.integer().default(0),
    currency: p.character().length(3).default('usd'),
    purchaseDate: p.datetime().defaultRaw('now()'),
    checkedInAt: timestamp(),
    checkedInBy: p.manyToOne(Donor).ref().nullable().deleteRule('set null').fieldName('checked_in_by'),
    checkedInByKey: p.manyToOne(ApiKey).ref().nullable().deleteRule('set null'),
    refundRequestedAt: timestamp(),
    stripeRefundId: varchar(255).nullable(),
    refundedAt: timestamp(),
    cancelledAt: timestamp(),
    donation: p.manyToOne(Donation).ref().nullable().deleteRule('set null'),
    metadata: jsonObject(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type IEventTicket = InferEntity<typeof EventTicket>;

/** Each transactional mail of a ticket order, claimed once (under `sendKey`) before it is sent. */
export const TicketMail = defineEntity({
  name: 'TicketMail',
  tableName: 'ticket_mails',
  filters: tenantFilter('client'),
  properties: {
    client: belongsToClient(),
    order: p.manyToOne(TicketOrder).ref().deleteRule('cascade').primary(),
    kind: choice(['receipt', 'late_refund', 'cancellation'], 20).primary(),
    sendKey: p.uuid().defaultRaw('gen_random_uuid()'),
    status: choice(['pending', 'sent', 'skipped'], 10).default('pending'),
    sendgridMessageId: varchar(255).nullable(),
    createdAt: createdAt(),
    sentAt: timestamp(),
  },
});
export type ITicketMail = InferEntity<typeof TicketMail>;

/**
 * The SendGrid unsubscribe group holding one client's opt-outs of one mail category: created through
 * SendGrid's API the first time the client needs it, then used as the asm.group_id of that mail.
 */
export const SendGridUnsubscribeGroup = defineEntity({
  name: 'SendGridUnsubscribeGroup',
  tableName: 'sendgrid_unsubscribe_groups',
  filters: tenantFilter('client'),
  uniques: [{ properties: ['client', 'category'] }],
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    category: p.text().$type<'marketing' | 'newsletter' | 'events'>(),
    groupId: p.integer().unique(),
    createdAt: createdAt(),
  },
});
export type ISendGridUnsubscribeGroup = InferEntity<typeof SendGridUnsubscribeGroup>;

/** An erased donor's address, kept only as a SHA-256 hash so the client never mails it again (issue 15 item 8). */
export const ErasedAddress = defineEntity({
  name: 'ErasedAddress',
  tableName: 'erased_addresses',
  filters: tenantFilter('client'),
  properties: {
    client: belongsToClient().primary(),
    kind: p.string().$type<'email' | 'phone'>().length(10).primary(),
    addressHash: p.character().length(64).primary(),
    erasedAt: p.datetime().defaultRaw('now()'),
  },
});
export type IErasedAddress = InferEntity<typeof ErasedAddress>;

export const engagementEntities = [EmailSend, NotificationPreference, Event, TicketType, TicketOrder, EventTicket, TicketMail, SendGridUnsubscribeGroup, ErasedAddress];
