import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Client, belongsToClient } from './client';
import { audited, choice, createdAt, numeric, textArray, updatedAt, uuidPk, varchar } from './columns';
import { Campaign } from './fundraising';
import { tenantFilter } from './tenant';

/** Seed 004: who a client's campaigns are for. Nested data stays JSONB, as the seed chose. */
export const TargetCustomerProfile = defineEntity({
  name: 'TargetCustomerProfile',
  tableName: 'target_customer_profiles',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    name: varchar(255),
    description: p.text().nullable(),
    demographics: p.json<Record<string, unknown>>().defaultRaw(`'{}'`),
    interests: textArray(),
    behavior: p.json<Record<string, unknown>>().defaultRaw(`'{}'`),
    persona: p.json<Record<string, unknown>>().defaultRaw(`'{}'`),
    isDefault: p.boolean().default(false),
    isActive: p.boolean().default(true),
    ...audited(),
  },
});
export type ITargetCustomerProfile = InferEntity<typeof TargetCustomerProfile>;

export const BrandGuideline = defineEntity({
  name: 'BrandGuideline',
  tableName: 'brand_guidelines',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    brandName: varchar(255),
    detailLevel: choice(['high-level', 'full'], 50).default('high-level'),
    highLevelGuidelines: p.json<Record<string, unknown>>().defaultRaw(`'{}'`),
    fullStyleGuide: p.json<Record<string, unknown>>().nullable(),
    industry: varchar(255).nullable(),
    brandValues: textArray(),
    isDefault: p.boolean().default(false),
    ...audited(),
  },
});
export type IBrandGuideline = InferEntity<typeof BrandGuideline>;

/**
 * Seed 004 budgets plus per-message cost and a hard cap. amount_remaining and percentage_spent are
 * written by the calculate_budget_figures() trigger from amount and amount_spent, never by the ORM.
 */
export const Budget = defineEntity({
  name: 'Budget',
  tableName: 'budgets',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    name: varchar(255),
    amount: numeric(15, 2),
    currency: p.character().length(3).default('usd'),
    deliveryMethod: choice(['STANDARD', 'ACCELERATED'], 50).default('STANDARD'),
    period: choice(['DAILY', 'WEEKLY', 'MONTHLY', 'QUARTERLY', 'YEARLY', 'LIFETIME'], 50).default('LIFETIME'),
    status: choice(['ACTIVE', 'PAUSED', 'EXHAUSTED', 'ARCHIVED'], 50).default('ACTIVE'),
    type: choice(['CAMPAIGN', 'ACCOUNT', 'SHARED'], 50).default('CAMPAIGN'),
    /** The current period's spend (`periodKey`); over the budget's life for LIFETIME. */
    amountSpent: numeric(15, 2).default('0'),
    /** Which period amount_spent is for, e.g. `DAILY:2026-11-30` (domain/budgets/budget-period.ts). */
    periodKey: varchar(40).default('LIFETIME'),
    lifetimeSpent: numeric(15, 2).default('0'),
    // Written by the calculate_budget_figures() trigger; declared with a raw default (the columns have none)
    // so an INSERT leaves them out and reads them back. After an update, em.refresh() shows the new figures.
    amountRemaining: numeric(15, 2).nullable().defaultRaw('null'),
    percentageSpent: numeric(5, 2).nullable().defaultRaw('null'),
    costPerMessage: numeric(10, 4).default('0'),
    hardCap: p.boolean().default(true),
    isShared: p.boolean().default(false),
    campaignIds: textArray(),
    /** [{ "threshold_percent": 80 }, …]; each fires once, recorded in budget_alert_events. */
    alerts: p.json<{ threshold_percent: number }[]>().defaultRaw(`'[]'`),
    startDate: p.date().nullable(),
    endDate: p.date().nullable(),
    ...audited(),
  },
});
export type IBudget = InferEntity<typeof Budget>;

/**
 * One row per (budget, period, threshold) that has fired: the unique key is what makes an alert fire once
 * a period. It keeps the figures it fired at and each channel's delivery state.
 */
export const BudgetAlertEvent = defineEntity({
  name: 'BudgetAlertEvent',
  tableName: 'budget_alert_events',
  filters: tenantFilter('client'),
  uniques: [{ properties: ['budget', 'periodKey', 'thresholdPercent'] }],
  properties: {
    id: uuidPk(),
    budget: p.manyToOne(Budget).ref().deleteRule('cascade'),
    client: belongsToClient(),
    periodKey: varchar(40).default('LIFETIME'),
    thresholdPercent: numeric(5, 2),
    percentageSpent: numeric(5, 2).nullable(),
    amountSpent: numeric(15, 2).nullable(),
    firedAt: p.datetime().defaultRaw('now()'),
    /** When its delivery workflow was started. */
    handedAt: p.datetime().nullable(),
    emailStatus: choice(['pending', 'delivered', 'gave_up', 'not_configured'], 20).default('pending'),
    webhookStatus: choice(['pending', 'delivered', 'gave_up', 'not_configured'], 20).default('pending'),
  },
});
export type IBudgetAlertEvent = InferEntity<typeof BudgetAlertEvent>;

/** Seed 004: a profile, guidelines and budget grouped; completeness is kept by trigger. */
export const CustomerProfileContainer = defineEntity({
  name: 'CustomerProfileContainer',
  tableName: 'customer_profile_containers',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    name: varchar(255),
    description: p.text().nullable(),
    customerProfile: p.manyToOne(TargetCustomerProfile).ref().nullable().deleteRule('restrict').updateRule('cascade'),
    brandGuidelines: p.manyToOne(BrandGuideline).ref().nullable().deleteRule('restrict').updateRule('cascade'),
    budget: p.manyToOne(Budget).ref().nullable().deleteRule('restrict').updateRule('cascade'),
    isDefault: p.boolean().default(false),
    isPrimary: p.boolean().default(false),
    status: choice(['ACTIVE', 'INACTIVE', 'DRAFT', 'ARCHIVED'], 50).default('ACTIVE'),
    // Kept by the update_container_completeness() trigger.
    isComplete: p.boolean().default(false),
    missingProfiles: textArray(),
    ...audited(),
  },
});
export type ICustomerProfileContainer = InferEntity<typeof CustomerProfileContainer>;

/** Seed 004: which profiles a campaign uses (at most one active row per campaign); its budget is found here. */
export const CampaignProfileUsage = defineEntity({
  name: 'CampaignProfileUsage',
  tableName: 'campaign_profile_usage',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    campaign: p.manyToOne(Campaign).ref().deleteRule('cascade').updateRule('cascade'),
    container: p.manyToOne(CustomerProfileContainer).ref().nullable().deleteRule('cascade').updateRule('cascade'),
    customerProfile: p.manyToOne(TargetCustomerProfile).ref().nullable().deleteRule('cascade').updateRule('cascade'),
    brandGuidelines: p.manyToOne(BrandGuideline).ref().nullable().deleteRule('cascade').updateRule('cascade'),
    budget: p.manyToOne(Budget).ref().nullable().deleteRule('cascade').updateRule('cascade'),
    usageType: choice(['CONTAINER', 'INDIVIDUAL', 'HYBRID'], 50),
    isActive: p.boolean().default(true),
    createdBy: varchar(255).nullable(),
    updatedBy: varchar(255).nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type ICampaignProfileUsage = InferEntity<typeof CampaignProfileUsage>;

/** Where a client's budget alerts go: an address (transactional email) and a webhook signed with `signingSecret`. */
export const BudgetAlertSettings = defineEntity({
  name: 'BudgetAlertSettings',
  tableName: 'budget_alert_settings',
  filters: tenantFilter('client'),
  properties: {
    client: () => p.manyToOne(Client).ref().primary().deleteRule('cascade'),
    email: varchar(320).nullable(),
    webhookUrl: varchar(2048).nullable(),
    signingSecret: varchar(100),
    updatedBy: varchar(255).nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type IBudgetAlertSettings = InferEntity<typeof BudgetAlertSettings>;

/** One delivery attempt of an alert on one channel; `outcome` null while under way (or when its worker died). */
export const BudgetAlertAttempt = defineEntity({
  name: 'BudgetAlertAttempt',
  tableName: 'budget_alert_attempts',
  filters: tenantFilter('client'),
  properties: {
    id: uuidPk(),
    client: belongsToClient(),
    alert: p.manyToOne(BudgetAlertEvent).ref().deleteRule('cascade'),
    channel: choice(['email', 'webhook'], 10),
    attempt: p.integer(),
    target: varchar(2048),
    startedAt: p.datetime().defaultRaw('now()'),
    finishedAt: p.datetime().nullable(),
    outcome: choice(['delivered', 'failed'], 20).nullable(),
    httpStatus: p.integer().nullable(),
    error: p.text().nullable(),
  },
});
export type IBudgetAlertAttempt = InferEntity<typeof BudgetAlertAttempt>;

export const profileEntities = [
  TargetCustomerProfile, BrandGuideline, Budget, BudgetAlertEvent, BudgetAlertSettings, BudgetAlertAttempt, CustomerProfileContainer, CampaignProfileUsage,
];
