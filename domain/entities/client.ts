import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { choice, createdAt, jsonObject, numeric, senderIdentity, timestamp, updatedAt, uuidPk, varchar } from './columns';
import { tenantFilter } from './tenant';

/** Seed 000/003: the tenant. Its activation token is `G` + 4 digits; its current content is a version. */
export const Client = defineEntity({
  name: 'Client',
  tableName: 'clients',
  filters: tenantFilter('id'),
  properties: {
    id: uuidPk(),
    name: varchar(255),
    activationToken: varchar(5).nullable().unique(),
    status: choice(['pending', 'active', 'paid', 'failed'], 20).default('pending'),
    // Lazy: clients and content versions point at each other.
    currentVersion: () => p.manyToOne(ContentVersion).ref().nullable().deleteRule('set null').foreignKeyName('fk_clients_current_version'),
    metadata: jsonObject(),
    /** Lowercase ISO 4217 code every gift of the client is in, so reports never add currencies. */
    reportingCurrency: p.character().length(3).default('usd'),
    /** Units of the reporting currency per US dollar, placing totals on the RFM dollar tiers; null means 1. */
    rfmTierRate: p.decimal().precision(18).scale(6).nullable(),
    /** When the client's RFM scores were last recalculated (donor rows change only when their scores do). */
    rfmCalculatedAt: p.datetime().columnType('timestamptz').nullable(),
    /** Days without a gift after which a donor is lapsed (domain/journeys.ts; 365 by the LYBUNT / FEP convention). */
    lapseAfterDays: p.integer().default(365),
    ...senderIdentity(),
    /** The number the client's texts come from and donors reply to (E.164), unique across clients: inbound texts find their client by it. */
    smsFromNumber: varchar(20).nullable(),
    /** Local wall-clock times (the donor's zone) between which no campaign email starts; both or neither. */
    quietHoursStart: p.time().nullable(),
    quietHoursEnd: p.time().nullable(),
    /** At most this many marketing emails per donor per rolling window, across the client's campaigns; both or neither. */
    frequencyCapMessages: p.integer().nullable(),
    frequencyCapWindowDays: p.integer().nullable(),
    /** Share of a campaign's audience that usually gives (0-1), and the relative lift hoped for: the pre-activation power estimate. */
    historicalConversionRate: numeric(6, 5).nullable(),
    expectedLiftPercent: numeric(7, 2).nullable(),
    /** Issue 16: the activation price in minor units of USD (50000 = $500), the reminder and expiry in days after the token was issued, and the length of those days in seconds (86,400; shorter only in tests). */
    activationAmount: p.integer().default(50000),
    activationReminderDays: p.integer().default(3),
    activationExpiryDays: p.integer().default(30),
    activationDayLengthSeconds: p.integer().default(86400),
    activationRemindedAt: timestamp(),
    activationExpiredAt: timestamp(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type IClient = InferEntity<typeof Client>;

/** Every tenant entity's owner: deleting a client deletes everything it owns. */
export const belongsToClient = () => p.manyToOne(Client).ref().deleteRule('cascade');

/** Seed 003: one version of one activation page; version_number is assigned by trigger, gapless per (client, page type). */
export const ContentVersion = defineEntity({
  name: 'ContentVersion',
  tableName: 'content_versions',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    pageType: choice(['activation', 'agreement', 'confirmation', 'processing'], 50),
    content: p.json<Record<string, unknown>>(),
    iterationNotes: p.text().nullable(),
    hypothesis: p.text().nullable(),
    outcome: choice(['success', 'failure', 'pending'], 20).nullable(),
    /** Why the outcome was judged so, when, and by which API key (issue 16). */
    outcomeNote: p.text().nullable(),
    outcomeSetAt: timestamp(),
    outcomeSetBy: p.text().nullable(),
    isCurrent: p.boolean().default(false),
    // Assigned by the set_version_number() trigger. Declared as a raw default (the column has none) so the
    // ORM leaves it out of the INSERT and reads the trigger's number back with RETURNING.
    versionNumber: p.integer().defaultRaw('0'),
    createdAt: createdAt(),
    createdBy: p.text().nullable().default('admin'),
    metadata: jsonObject(),
  },
});
export type IContentVersion = InferEntity<typeof ContentVersion>;

/** The last version number handed out per (client, page type): the row concurrent inserts queue on. */
export const ContentVersionCounter = defineEntity({
  name: 'ContentVersionCounter',
  tableName: 'content_version_counters',
  filters: tenantFilter('client'),
  properties: {
    client: belongsToClient().primary(),
    pageType: varchar(50).primary(),
    lastNumber: p.integer(),
  },
});
export type IContentVersionCounter = InferEntity<typeof ContentVersionCounter>;

/** Issue 16: one visitor (a salted hash, nothing personal) seeing one version on one day. */
export const ContentVersionView = defineEntity({
  name: 'ContentVersionView',
  tableName: 'content_version_views',
  filters: tenantFilter('client'),
  uniques: [{ properties: ['contentVersion', 'visitorHash', 'viewDay'] }],
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    contentVersion: () => p.manyToOne(ContentVersion).ref().deleteRule('cascade'),
    visitorHash: p.character().length(64),
    viewDay: p.date(),
    createdAt: createdAt(),
  },
});
export type IContentVersionView = InferEntity<typeof ContentVersionView>;

/** Issue 16: an agreement version accepted, when, and the activation version the visitor had been shown. */
export const AgreementAcceptance = defineEntity({
  name: 'AgreementAcceptance',
  tableName: 'agreement_acceptances',
  filters: tenantFilter('client'),
  uniques: [{ name: 'idx_agreement_acceptances_submission', properties: ['client', 'submissionId'] }],
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    contentVersion: () => p.manyToOne(ContentVersion).ref().deleteRule('cascade').index('idx_agreement_acceptances_version'),
    activationVersion: () => p.manyToOne(ContentVersion).ref().nullable().deleteRule('set null').index('idx_agreement_acceptances_activation_version'),
    visitorHash: p.character().length(64),
    /** The id of the agreement form as rendered: a resubmission of the same form is the same acceptance. */
    submissionId: p.uuid().nullable(),
    acceptedAt: createdAt(),
  },
});
export type IAgreementAcceptance = InferEntity<typeof AgreementAcceptance>;

export const clientEntities = [Client, ContentVersion, ContentVersionCounter, ContentVersionView, AgreementAcceptance];
