import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { belongsToClient } from './client';
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
    amountSpent: numeric(15, 2).default('0'),
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

/** One row per (budget, threshold) that has fired: the primary key is what makes an alert fire once. */
export const BudgetAlertEvent = defineEntity({
  name: 'BudgetAlertEvent',
  tableName: 'budget_alert_events',
  filters: tenantFilter('client'),
  properties: {
    budget: p.manyToOne(Budget).ref().primary().deleteRule('cascade'),
    client: belongsToClient(),
    thresholdPercent: numeric(5, 2).primary(),
    firedAt: p.datetime().defaultRaw('now()'),
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

export const profileEntities = [TargetCustomerProfile, BrandGuideline, Budget, BudgetAlertEvent, CustomerProfileContainer, CampaignProfileUsage];
