import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { belongsToClient } from './client';
import { choice, createdAt, jsonObject, numeric, timestamp, updatedAt, uuidPk, varchar } from './columns';
import { Campaign, Donor, Payment } from './fundraising';
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
    donor: p.manyToOne(Donor).ref().nullable().deleteRule('cascade'),
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
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type IEvent = InferEntity<typeof Event>;

export const TicketType = defineEntity({
  name: 'TicketType',
  tableName: 'ticket_types',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    event: p.manyToOne(Event).ref().deleteRule('cascade'),
    name: varchar(255),
    price: numeric(10, 2).default('0'),
    quantity: p.integer().nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type ITicketType = InferEntity<typeof TicketType>;

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
    ticketNumber: p.text().unique(),
    status: p.text().$type<'pending' | 'paid' | 'cancelled' | 'refunded' | 'checked_in'>().default('pending'),
    payment: p.manyToOne(Payment).ref().nullable().deleteRule('set null'),
    amountPaid: numeric(10, 2).nullable(),
    purchaseDate: p.datetime().defaultRaw('now()'),
    checkedInAt: timestamp(),
    checkedInBy: p.manyToOne(Donor).ref().nullable().deleteRule('set null').fieldName('checked_in_by'),
    metadata: jsonObject(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type IEventTicket = InferEntity<typeof EventTicket>;

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

export const engagementEntities = [EmailSend, NotificationPreference, Event, TicketType, EventTicket, SendGridUnsubscribeGroup, ErasedAddress];
