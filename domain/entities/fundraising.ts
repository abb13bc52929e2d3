import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { AgreementAcceptance, belongsToClient, ContentVersion } from './client';
import { choice, createdAt, jsonObject, numeric, senderIdentity, textArray, timestamp, updatedAt, uuidPk, varchar } from './columns';
import { tenantFilter } from './tenant';
import { DONOR_SOURCES, DONOR_STAGES } from '../journeys';

/** Nullable RFM segment column (donors.rfm_segment, campaign_recipients.segment_at_start). */
export const rfmSegment = () =>
  choice(['Champions', 'Loyal', 'Potential Loyalists', 'New Donors', 'Promising', 'Need Attention', 'At Risk'], 30).nullable();

/** Seed 000 campaigns with every track15_* column (their names do not follow the naming strategy's camelCase split). */
export const Campaign = defineEntity({
  name: 'Campaign',
  tableName: 'campaigns',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    name: varchar(255),
    description: p.text().nullable(),
    goalAmount: numeric(12, 2).nullable(),
    startDate: p.date().nullable(),
    endDate: p.date().nullable(),
    status: varchar(50).nullable().default('draft'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: timestamp(),
    /** Seed 002's counters, bumped only through increment_campaign_stat() (atomic). */
    stats: jsonObject<Record<string, number>>(),
    track15Enabled: p.boolean().fieldName('track15_enabled').default(false),
    track15Season: choice(['spring', 'summer', 'fall', 'year_end'], 20).fieldName('track15_season').nullable(),
    track15Stage: choice(['draft', 'ready_for_launch', 'active', 'paused', 'completed'], 30).fieldName('track15_stage').nullable(),
    track15TemplateKey: varchar(100).fieldName('track15_template_key').nullable(),
    track15CoreStory: p.json<Record<string, string>>().fieldName('track15_core_story').nullable(),
    track15ControlConversion: numeric(5, 4).fieldName('track15_control_conversion').nullable(),
    track15TestConversion: numeric(5, 4).fieldName('track15_test_conversion').nullable(),
    track15ControlRevenue: numeric(12, 2).fieldName('track15_control_revenue').nullable(),
    track15TestRevenue: numeric(12, 2).fieldName('track15_test_revenue').nullable(),
    track15ActivatedAt: timestamp().fieldName('track15_activated_at'),
    track15CompletedAt: timestamp().fieldName('track15_completed_at'),
    track15SendHour: p.smallint().fieldName('track15_send_hour').default(9),
    track15Timezone: varchar(64).fieldName('track15_timezone').default('UTC'),
    track15DayLengthSeconds: p.integer().fieldName('track15_day_length_seconds').default(86_400),
    /** Rehearsals started so far; the next one is numbered this plus one (its workflow id's suffix). */
    track15Rehearsals: p.integer().fieldName('track15_rehearsals').default(0),
    track15ControlShare: numeric(4, 3).fieldName('track15_control_share').default('0.100'),
    track15ControlTreatment: choice(['holdout', 'standard_appeal'], 20).fieldName('track15_control_treatment').default('holdout'),
    track15PausedAt: timestamp().fieldName('track15_paused_at'),
    track15PauseReason: p.text().fieldName('track15_pause_reason').nullable(),
    track15StopReason: p.text().fieldName('track15_stop_reason').nullable(),
    /** Lift, confidence interval, p-value and per-group numbers computed at completion. */
    track15Analytics: p.json<Record<string, unknown>>().fieldName('track15_analytics').nullable(),
    /** The frozen audience's size by group, written at activation. */
    track15TestRecipients: p.integer().fieldName('track15_test_recipients').nullable(),
    track15ControlRecipients: p.integer().fieldName('track15_control_recipients').nullable(),
    /** The failure that ended the arc, as the workflow recorded it: {step, activity, type, reason, at}. */
    track15LastFailure: p.json<Record<string, unknown>>().fieldName('track15_last_failure').nullable(),
    /** Who the audience is (domain/audience.ts), applied when it is frozen at activation. */
    track15AudienceFilter: jsonObject().fieldName('track15_audience_filter'),
    /** Overrides of the client's sender identity for this campaign's mail. */
    ...senderIdentity(),
  },
});
export type ICampaign = InferEntity<typeof Campaign>;

/** Seed 000: one of a campaign's 15 touchpoints. */
export const NarrativeStep = defineEntity({
  name: 'NarrativeStep',
  tableName: 'track15_narrative_steps',
  filters: tenantFilter('client'),
  uniques: [{ properties: ['campaign', 'stepNumber'] }],
  properties: {
    id: uuidPk(),
    campaign: p.manyToOne(Campaign).ref().deleteRule('cascade'),
    client: belongsToClient(),
    stepNumber: p.integer(),
    stage: choice(['awareness', 'engagement', 'consideration', 'conversion', 'gratitude'], 20),
    day: p.integer(),
    subjectLine: p.text(),
    message: p.text(),
    callToAction: p.text(),
    segmentCustomization: p.json<Record<string, Record<string, string>>>().nullable(),
    /** `email_and_sms`: each donor gets the email and the text, each under its own channel's rules. */
    channel: choice(['email', 'sms', 'email_and_sms'], 20).default('email'),
    /** Issue 14's A/B test on the step: 2–4 variants, metric, test share, wait (shape: api/schemas/narrative.ts). */
    abTest: p.json<Record<string, unknown>>().nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type INarrativeStep = InferEntity<typeof NarrativeStep>;

/** Seed 000 donors + seed 001 customer lifecycle: the people a client talks to. Email or phone, at least one. */
export const Donor = defineEntity({
  name: 'Donor',
  tableName: 'donors',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    email: varchar(255).nullable(),
    phone: varchar(20).nullable(),
    firstName: varchar(100).nullable(),
    lastName: varchar(100).nullable(),
    timezone: varchar(64).nullable(),
    /** Kept by the product (domain/journeys.ts): moved by gifts, refunds and the lapse sweep, never set through the API. */
    stage: choice(DONOR_STAGES, 20).default('lead'),
    source: choice(DONOR_SOURCES, 30).default('website'),
    stageEnteredAt: p.datetime().defaultRaw('now()'),
    lastGiftAt: timestamp(),
    /** The first gift's attribution (seed 001's conversion, its `subscribed_at`): the earliest succeeded gift. */
    firstGiftAt: timestamp(),
    firstGiftDonationId: p.uuid().nullable(),
    firstGiftCampaignId: p.uuid().nullable(),
    firstGiftStepNumber: p.smallint().nullable(),
    firstGiftSource: choice(DONOR_SOURCES, 30).nullable(),
    rfmSegment: rfmSegment(),
    rfmRecencyScore: p.integer().nullable(),
    rfmFrequencyScore: p.integer().nullable(),
    rfmMonetaryScore: p.integer().nullable(),
    rfmLastCalculated: timestamp(),
    emailSuppressedAt: timestamp(),
    emailSuppressionReason: choice(['bounce', 'spamreport', 'invalid', 'manual', 'unsubscribed', 'erased'], 30).nullable(),
    tags: textArray(),
    metadata: jsonObject(),
    isActive: p.boolean().default(true),
    /** Optimistic locking of corrections (PATCH with If-Match). */
    version: p.integer().version().default(1),
    /** Set when the donor's personal data was erased on request; the row stays, anonymised, for the gifts. */
    erasedAt: timestamp(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type IDonor = InferEntity<typeof Donor>;

/** Seed 003: a Stripe payment (amount in cents), linked to the content version that converted. */
export const Payment = defineEntity({
  name: 'Payment',
  tableName: 'payments',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    contentVersion: p.manyToOne(ContentVersion).ref().nullable().deleteRule('set null'),
    /** The agreement acceptance the payment was started from (issue 16). */
    acceptance: p.manyToOne(AgreementAcceptance).ref().nullable().deleteRule('set null').index('idx_payments_acceptance'),
    donor: p.manyToOne(Donor).ref().nullable().deleteRule('set null'),
    campaign: p.manyToOne(Campaign).ref().nullable().deleteRule('set null'),
    stripePaymentIntentId: varchar(255).nullable().unique(),
    idempotencyKey: varchar(255).nullable().unique(),
    amount: p.integer(),
    currency: p.character().length(3).default('usd'),
    status: choice(['pending', 'succeeded', 'failed', 'cancelled', 'refunded'], 20),
    failureReason: p.text().nullable(),
    /** An activation payment's Stripe Checkout Session and where it sends the client (issue 16). */
    stripeCheckoutSessionId: varchar(255).nullable().unique(),
    checkoutUrl: p.text().nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type IPayment = InferEntity<typeof Payment>;

/** Issue 11: a monthly gift (a Stripe subscription), from its start to its cancellation; each month paid is a Donation. */
export const RecurringGift = defineEntity({
  name: 'RecurringGift',
  tableName: 'recurring_gifts',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    donor: p.manyToOne(Donor).ref().nullable().deleteRule('set null'),
    campaign: p.manyToOne(Campaign).ref().nullable().deleteRule('set null'),
    stepNumber: p.smallint().nullable(),
    stripeSubscriptionId: varchar(255).unique(),
    /** Minor units of `currency`, each month. */
    amount: p.integer(),
    currency: p.character().length(3),
    status: choice(['active', 'cancelled'], 20).default('active'),
    startedAt: p.datetime().defaultRaw('now()'),
    cancelledAt: p.datetime().nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});

/** Seed 000: a gift. Deleting the donor deletes it; deleting the campaign keeps it, unattributed. */
export const Donation = defineEntity({
  name: 'Donation',
  tableName: 'donations',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    donor: p.manyToOne(Donor).ref().deleteRule('cascade'),
    campaign: p.manyToOne(Campaign).ref().nullable().deleteRule('set null'),
    /** Major units with the currency's own decimals (domain/money.ts); a trigger keeps the currency the client's reporting currency. */
    amount: p.decimal(),
    currency: p.character().length(3).default('usd'),
    status: choice(['pending', 'succeeded', 'failed', 'refunded'], 20).default('succeeded'),
    donatedAt: p.datetime().defaultRaw('now()'),
    refundedAt: timestamp(),
    source: choice(['offline', 'stripe', 'import'], 20).default('offline'),
    payment: p.manyToOne(Payment).ref().nullable().deleteRule('set null').foreignKeyName('fk_donations_payment'),
    stripePaymentIntentId: varchar(255).nullable().unique(),
    /** The touchpoint whose give link converted (issue 11). */
    stepNumber: p.smallint().nullable(),
    /** A month of a monthly gift: the Stripe invoice that paid it, and the gift it belongs to. */
    stripeInvoiceId: varchar(255).nullable().unique(),
    recurringGift: p.manyToOne(RecurringGift).ref().nullable().deleteRule('set null'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type IDonation = InferEntity<typeof Donation>;

export const fundraisingEntities = [Campaign, NarrativeStep, Donor, Payment, RecurringGift, Donation];
