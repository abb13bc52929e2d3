import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { belongsToClient } from './client';
import { choice, createdAt, timestamp, uuidPk, varchar } from './columns';
import { Campaign, Donation, Donor, RecurringGift } from './fundraising';
import { tenantFilter } from './tenant';

/** Issue 11: the Stripe Price of a monthly gift amount, made once per (client, amount, currency). */
export const GivePrice = defineEntity({
  name: 'GivePrice',
  tableName: 'give_prices',
  filters: tenantFilter('client'),
  uniques: [{ properties: ['client', 'amount', 'currency', 'recurringInterval'] }],
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    /** Minor units of `currency`. */
    amount: p.integer(),
    currency: p.character().length(3),
    recurringInterval: choice(['month'], 10).default('month'),
    stripePriceId: varchar(255).unique(),
    createdAt: createdAt(),
  },
});

/** Issue 11: one Stripe Checkout Session per (give link, amount, frequency), its idempotency key unique. */
export const GiveCheckout = defineEntity({
  name: 'GiveCheckout',
  tableName: 'give_checkouts',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    donor: p.manyToOne(Donor).ref().nullable().deleteRule('set null'),
    campaign: p.manyToOne(Campaign).ref().nullable().deleteRule('set null'),
    stepNumber: p.smallint().nullable(),
    idempotencyKey: varchar(255).unique(),
    frequency: choice(['once', 'monthly'], 10),
    amount: p.integer(),
    currency: p.character().length(3),
    stripeSessionId: varchar(255).nullable().unique(),
    sessionUrl: p.text().nullable(),
    createdAt: createdAt(),
  },
});

/** Issue 11: the last receipt number given per client and calendar year, locked while a gift is recorded (gapless). */
export const ReceiptCounter = defineEntity({
  name: 'ReceiptCounter',
  tableName: 'receipt_counters',
  filters: tenantFilter('client'),
  properties: {
    client: belongsToClient().primary(),
    year: p.smallint().primary(),
    lastNumber: p.integer(),
  },
});

/** Issue 11: the receipt of one recorded gift, numbered per client and year; a refund voids it. */
export const Receipt = defineEntity({
  name: 'Receipt',
  tableName: 'receipts',
  filters: tenantFilter('client'),
  uniques: [{ properties: ['client', 'year', 'number'] }],
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    donation: p.manyToOne(Donation).ref().unique().deleteRule('cascade'),
    donor: p.manyToOne(Donor).ref().nullable().deleteRule('set null'),
    recurringGift: p.manyToOne(RecurringGift).ref().nullable().deleteRule('set null'),
    year: p.smallint(),
    number: p.integer(),
    /** Minor units of `currency`. */
    amount: p.integer(),
    currency: p.character().length(3),
    issuedAt: p.datetime().defaultRaw('now()'),
    voidedAt: timestamp(),
    emailStatus: choice(['pending', 'sending', 'sent', 'skipped'], 20).default('pending'),
    emailSkipReason: varchar(40).nullable(),
    sendKey: p.uuid().nullable(),
    emailedAt: timestamp(),
  },
});

export type IReceipt = InferEntity<typeof Receipt>;
export const givingEntities = [GivePrice, GiveCheckout, ReceiptCounter, Receipt];
