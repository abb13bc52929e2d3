import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { belongsToClient } from './client';
import { choice, createdAt, timestamp, updatedAt, uuidPk, varchar } from './columns';
import { Campaign, Donation, Donor } from './fundraising';
import { DONOR_STAGES } from '../journeys';
import { tenantFilter } from './tenant';

/** Seed 001: an SMS thread between a donor's phone and the client's, with opt-out compliance. */
export const Conversation = defineEntity({
  name: 'Conversation',
  tableName: 'conversations',
  filters: tenantFilter('client'),
  uniques: [{ name: 'conversations_brand_phones_unique', properties: ['client', 'customerPhone', 'brandPhone'] }],
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    donor: p.manyToOne(Donor).ref().deleteRule('cascade'),
    customerPhone: varchar(20),
    brandPhone: varchar(20),
    status: choice(['active', 'paused', 'completed', 'archived'], 20).default('active'),
    campaign: p.manyToOne(Campaign).ref().nullable().deleteRule('set null'),
    campaignName: varchar(255).nullable(),
    messageCount: p.integer().default(0),
    lastMessageAt: timestamp(),
    lastInboundAt: timestamp(),
    lastOutboundAt: timestamp(),
    optedOutAt: timestamp(),
    optOutReason: p.text().nullable(),
    metadata: p.json<Record<string, unknown>>().nullable(),
    tags: p.array().nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type IConversation = InferEntity<typeof Conversation>;

export const Message = defineEntity({
  name: 'Message',
  tableName: 'messages',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    conversation: p.manyToOne(Conversation).ref().deleteRule('cascade'),
    direction: choice(['inbound', 'outbound'], 10),
    content: p.text(),
    mediaUrls: p.array().nullable(),
    status: choice(['pending', 'sent', 'delivered', 'failed', 'undelivered'], 20).nullable(),
    externalId: varchar(255).nullable(),
    sentAt: p.datetime().defaultRaw('now()'),
    deliveredAt: timestamp(),
    createdAt: createdAt(),
    metadata: p.json<Record<string, unknown>>().nullable(),
  },
});
export type IMessage = InferEntity<typeof Message>;

/** Issue 18 item 4: a number that texted STOP to the client; it is never texted by the client again until it texts START. */
export const SmsOptOut = defineEntity({
  name: 'SmsOptOut',
  tableName: 'sms_opt_outs',
  filters: tenantFilter('client'),
  properties: {
    client: belongsToClient().primary(),
    phone: varchar(20).primary(),
    optedOutAt: p.datetime().columnType('timestamptz').defaultRaw('now()'),
    keyword: varchar(20),
    messageSid: varchar(64).nullable(),
  },
});
export type ISmsOptOut = InferEntity<typeof SmsOptOut>;

/** Issue 18 item 1: one move of a donor's lifecycle stage (domain/journeys.ts), written once by the database's journey triggers or the lapse sweep. */
export const DonorJourneyTransition = defineEntity({
  name: 'DonorJourneyTransition',
  tableName: 'donor_journey_transitions',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    /** Orders transitions recorded at the same `at`. */
    sequence: p.bigint().generated('identity'),
    client: belongsToClient(),
    donor: p.manyToOne(Donor).ref().deleteRule('cascade'),
    fromStage: choice(DONOR_STAGES, 20).nullable(),
    toStage: choice(DONOR_STAGES, 20),
    at: p.datetime(),
    cause: choice(['created', 'gift', 'refund', 'lapse'], 20),
    donation: p.manyToOne(Donation).ref().nullable().deleteRule('set null'),
    campaign: p.manyToOne(Campaign).ref().nullable().deleteRule('set null'),
    recordedAt: p.datetime().defaultRaw('now()'),
  },
});

export const journeyEntities = [Conversation, Message, SmsOptOut, DonorJourneyTransition];
