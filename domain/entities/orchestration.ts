import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { belongsToClient, Client } from './client';
import { choice, createdAt, numeric, timestamp, updatedAt, varchar, uuidPk } from './columns';
import { Campaign, Donor, rfmSegment } from './fundraising';
import { Budget } from './profiles';
import { tenantFilter } from './tenant';

/** The audience frozen at activation: each donor's group and RFM segment at the start. */
export const CampaignRecipient = defineEntity({
  name: 'CampaignRecipient',
  tableName: 'campaign_recipients',
  filters: tenantFilter('client'),
  properties: {
    campaign: p.manyToOne(Campaign).ref().primary().deleteRule('cascade'),
    donor: p.manyToOne(Donor).ref().primary().deleteRule('cascade'),
    client: belongsToClient(),
    recipientGroup: choice(['test', 'control'], 10),
    segmentAtStart: rfmSegment(),
    /** Hash shard a touchpoint's lanes page through side by side. */
    shard: p.smallint().default(0),
    /** IANA zone frozen at activation (the donor's, else the campaign's): the touchpoint wave the recipient is in. */
    timezone: varchar(64).nullable(),
    createdAt: createdAt(),
  },
});
export type ICampaignRecipient = InferEntity<typeof CampaignRecipient>;

/**
 * The delivery ledger: at most one row per (campaign, step, donor), written pending before the provider
 * is called and settled after, so a retried batch never sends twice.
 */
export const CampaignDelivery = defineEntity({
  name: 'CampaignDelivery',
  tableName: 'campaign_deliveries',
  filters: tenantFilter('client'),
  properties: {
    campaign: p.manyToOne(Campaign).ref().primary().deleteRule('cascade'),
    stepNumber: p.smallint().primary(),
    donor: p.manyToOne(Donor).ref().primary().deleteRule('cascade'),
    client: belongsToClient(),
    /** A step sent by email and SMS has one row per channel for each donor (the channel is part of the key). */
    channel: choice(['email', 'sms'], 10).primary().default('email'),
    status: choice(['pending', 'sent', 'delivered', 'opened', 'clicked', 'bounced', 'skipped', 'failed'], 20).default('pending'),
    skipReason: choice(['unsubscribed', 'suppressed', 'no_address', 'control_group', 'already_gave', 'budget_exhausted', 'frequency_cap', 'sms_opted_out', 'no_sms_consent'], 30).nullable(),
    failureReason: p.text().nullable(),
    providerMessageId: varchar(255).nullable(),
    /** Tags one send attempt, so an attempt a crash interrupted can be matched with the provider's records. */
    sendKey: p.uuid().nullable(),
    /** The A/B variant (0–3) a recipient of the step's test share was sent; null for the rest and for steps without a test. */
    abVariant: p.smallint().nullable(),
    costCents: p.integer().default(0),
    /** Segments a text was billed as (domain/sms.ts); null for email. */
    smsSegments: p.smallint().nullable(),
    attempts: p.smallint().default(0),
    createdAt: createdAt(),
    settledAt: timestamp(),
    updatedAt: updatedAt(),
  },
});
export type ICampaignDelivery = InferEntity<typeof CampaignDelivery>;

/**
 * How many ledger rows of a step are in each outcome (pending, sent, failed, skipped by reason), kept by
 * triggers on campaign_deliveries in the same transaction as the ledger write, spread over the delivery
 * lanes' hash shards. What the campaign status reads, at a cost independent of the audience's size.
 */
export const CampaignDeliveryCount = defineEntity({
  name: 'CampaignDeliveryCount',
  tableName: 'campaign_delivery_counts',
  filters: tenantFilter('client'),
  properties: {
    campaign: p.manyToOne(Campaign).ref().primary().deleteRule('cascade'),
    client: belongsToClient(),
    stepNumber: p.smallint().primary(),
    channel: choice(['email', 'sms'], 10).primary().default('email'),
    shard: p.smallint().primary(),
    outcome: choice(['pending', 'sent', 'failed', 'skipped'], 20).primary(),
    /** '' when the outcome is not `skipped`. */
    skipReason: varchar(30).primary().default(''),
    n: p.integer().default(0),
  },
});
export type ICampaignDeliveryCount = InferEntity<typeof CampaignDeliveryCount>;

/** The A/B decision a touchpoint made, one per campaign step: per-variant rates with 95% intervals, the winner. */
export const StepAbDecision = defineEntity({
  name: 'StepAbDecision',
  tableName: 'step_ab_decisions',
  filters: tenantFilter('client'),
  properties: {
    campaign: p.manyToOne(Campaign).ref().primary().deleteRule('cascade'),
    stepNumber: p.integer().primary(),
    client: belongsToClient(),
    metric: choice(['opens', 'clicks'], 10),
    /** [{index, recipients, conversions, rate, ci95: [low, high]}] in variant order. */
    variants: p.json<Array<Record<string, unknown>>>(),
    winner: p.smallint(),
    significant: p.boolean(),
    pValue: p.double().nullable(),
    decidedAt: p.datetime().defaultRaw('now()'),
  },
});
export type IStepAbDecision = InferEntity<typeof StepAbDecision>;

/** What each batch spent; batch_key is unique, so a retried batch never spends twice. */
export const BudgetSpend = defineEntity({
  name: 'BudgetSpend',
  tableName: 'budget_spend',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    budget: p.manyToOne(Budget).ref().deleteRule('cascade'),
    campaign: p.manyToOne(Campaign).ref().deleteRule('cascade'),
    stepNumber: p.smallint().nullable(),
    batchKey: varchar(200).unique(),
    messages: p.integer(),
    amount: numeric(15, 2),
    /** The budget period the spend counts in (domain/budgets/budget-period.ts). */
    periodKey: varchar(40).default('LIFETIME'),
    createdAt: createdAt(),
  },
});
export type IBudgetSpend = InferEntity<typeof BudgetSpend>;

/**
 * Webhook deduplication by the provider's event id. A webhook arrives before its client is known, so
 * client_id may be null; row-level security lets the application see null-client rows and its own.
 */
export const ProcessedWebhookEvent = defineEntity({
  name: 'ProcessedWebhookEvent',
  tableName: 'processed_webhook_events',
  filters: tenantFilter('client'),
  properties: {
    provider: choice(['stripe', 'sendgrid', 'twilio'], 20).primary(),
    eventId: varchar(255).primary(),
    client: p.manyToOne(Client).ref().nullable().deleteRule('cascade'),
    receivedAt: p.datetime().defaultRaw('now()'),
    /** `ignored`: an event the product did not cause (another integration on the same account). */
    outcome: choice(['applied', 'ignored'], 20).default('applied'),
    ignoredReason: p.text().nullable(),
  },
});
export type IProcessedWebhookEvent = InferEntity<typeof ProcessedWebhookEvent>;

/**
 * API keys, stored as SHA-256 hashes. Operator keys belong to no client. Authentication goes through
 * the authenticate_api_key() definer-rights function, since no tenant is known before it.
 */
export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: p.manyToOne(Client).ref().nullable().deleteRule('cascade'),
    role: choice(['operator', 'client'], 20),
    name: varchar(255),
    keyPrefix: varchar(16),
    keyHash: p.character().length(64).unique(),
    createdAt: createdAt(),
    lastUsedAt: timestamp(),
    revokedAt: timestamp(),
  },
});
export type IApiKey = InferEntity<typeof ApiKey>;

export const orchestrationEntities = [CampaignRecipient, CampaignDelivery, CampaignDeliveryCount, StepAbDecision, BudgetSpend, ProcessedWebhookEvent, ApiKey];
