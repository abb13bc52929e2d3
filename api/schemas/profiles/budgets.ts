import { z } from 'zod';
import { choice, decimal, isoDate, jsonObject, page, text, uuid } from '../common';
import { currencyCode } from '../money';
import { auditFields, baseVersion, listQuery, resourceName } from './shared';

/**
 * Seed 004's budgets (table budgets). Amounts cross the API in major units of the budget's currency,
 * as every amount in this API does (README, Currencies); amount_spent, amount_remaining and
 * percentage_spent are the product's to write (spend ledger and trigger), never the caller's.
 */

const deliveryMethod = () => choice({
  STANDARD: 'spend paced evenly over the period',
  ACCELERATED: 'spend as fast as sends go, until the amount is used',
}, 'How spend is paced (as advertising platforms use the terms)');
const budgetPeriod = () => choice({
  DAILY: 'renews every UTC calendar day',
  WEEKLY: 'renews every ISO week',
  MONTHLY: 'renews every calendar month',
  QUARTERLY: 'renews every calendar quarter',
  YEARLY: 'renews every calendar year',
  LIFETIME: 'never renews: the amount covers the budget\'s whole life',
}, 'How often the amount renews: spend is counted per period');
const budgetStatus = () => choice({
  ACTIVE: 'spend is charged against it',
  PAUSED: 'set aside by a manager',
  EXHAUSTED: 'the amount is spent (for the current period)',
  ARCHIVED: 'kept for the record only',
}, 'Where the budget stands');
const budgetType = () => choice({
  CAMPAIGN: 'funds one campaign',
  ACCOUNT: 'funds the client\'s account as a whole',
  SHARED: 'shared by several campaigns (campaign_ids)',
}, 'What the budget funds');

/** Whole hundredths at most (numeric(15,2)); the currency's own exponent is checked by the service. */
const budgetAmount = z.number().min(0).max(9_999_999_999_999.99)
  .refine((value) => Math.abs(Math.round(value * 100) - value * 100) < 1e-6, 'must have at most two decimals')
  .describe('In major units of `currency`, at most two decimals and no more than the currency has (0 for JPY); the seed\'s CHECK: 0 or more');
const costPerMessage = z.number().min(0).max(999_999.9999)
  .refine((value) => Math.abs(Math.round(value * 10_000) - value * 10_000) < 1e-6, 'must have at most four decimals')
  .describe('What one message costs, in major units of `currency` (a fraction of a cent is allowed)');

export const BudgetAlert = z.strictObject({
  threshold_percent: z.number().gt(0).max(100)
    .refine((value) => Math.abs(Math.round(value * 100) - value * 100) < 1e-6, 'must have at most two decimals')
    .describe('Fires once (per period) when percentage_spent reaches it'),
});

export const BudgetAlerts = z.array(BudgetAlert).max(10)
  .refine((alerts) => new Set(alerts.map((a) => a.threshold_percent)).size === alerts.length, 'each threshold_percent may appear once');

const budgetShape = {
  name: resourceName,
  amount: budgetAmount,
  currency: currencyCode,
  delivery_method: deliveryMethod(),
  period: budgetPeriod(),
  status: budgetStatus(),
  type: budgetType(),
  cost_per_message: costPerMessage,
  hard_cap: z.boolean().describe('true: sending stops at the amount (touchpoints wait for the next period, or the campaign pauses); false: alerts only'),
  is_shared: z.boolean(),
  campaign_ids: z.array(uuid).max(1000).describe('Campaigns sharing this budget (seed 004); each must be the client\'s'),
  alerts: BudgetAlerts,
  start_date: isoDate.nullable(),
  end_date: isoDate.nullable(),
  metadata: jsonObject,
};

export const BudgetCreate = z.strictObject({
  ...budgetShape,
  currency: currencyCode.optional().describe('ISO 4217; the client\'s reporting_currency when omitted'),
  delivery_method: budgetShape.delivery_method.default('STANDARD'),
  period: budgetShape.period.default('LIFETIME'),
  status: budgetShape.status.default('ACTIVE'),
  type: budgetShape.type.default('CAMPAIGN'),
  cost_per_message: costPerMessage.default(0),
  hard_cap: z.boolean().default(true),
  is_shared: z.boolean().default(false),
  campaign_ids: budgetShape.campaign_ids.default([]),
  alerts: BudgetAlerts.default([]),
  start_date: isoDate.nullable().optional(),
  end_date: isoDate.nullable().optional(),
  metadata: jsonObject.default({}),
});

export const BudgetUpdate = z.strictObject({
  ...Object.fromEntries(Object.entries(budgetShape).map(([key, schema]) => [key, schema.optional()])) as { [K in keyof typeof budgetShape]: z.ZodOptional<(typeof budgetShape)[K]> },
  version: baseVersion,
});

export const Budget = z.object({
  id: uuid,
  name: z.string(),
  amount: decimal,
  currency: z.string(),
  delivery_method: deliveryMethod(),
  period: budgetPeriod(),
  status: budgetStatus(),
  type: budgetType(),
  amount_spent: decimal.describe('In the current period (`period_key`), in major units; over the budget\'s life for LIFETIME'),
  amount_remaining: decimal.nullable().describe('amount − amount_spent: what the current period has left'),
  percentage_spent: decimal.nullable().describe('amount_spent as a percentage of amount (the current period\'s); alerts compare with it'),
  period_key: z.string().describe('The period the spend figures are for: `LIFETIME`, `DAILY:2026-11-30`, `WEEKLY:2026-W49`, `MONTHLY:2026-11`, `QUARTERLY:2026-Q4`, `YEARLY:2026`; the first spend of a later period renews them'),
  lifetime_spent: decimal.describe('Over the budget\'s life, in major units'),
  cost_per_message: decimal,
  hard_cap: z.boolean(),
  is_shared: z.boolean(),
  campaign_ids: z.array(z.string()),
  alerts: z.array(z.record(z.string(), z.unknown())),
  start_date: z.string().nullable(),
  end_date: z.string().nullable(),
  ...auditFields,
}).meta({ id: 'Budget' });

export const BudgetQuery = listQuery(['created_at', 'updated_at', 'name', 'amount'], {
  search: text().trim().min(1).max(100).optional().describe('Part of the name, case-insensitive (trigram index)'),
  status: budgetStatus().optional(),
  period: budgetPeriod().optional(),
});

export const BudgetPage = page(Budget);
