import type { EntityManager } from '@mikro-orm/postgresql';
import { currencyExponent } from '../../../domain/money';
import { invalid, notFound } from '../../problem';
import type { ListFilter, ResourceSpec } from './store';

/**
 * What distinguishes seed 004's four versioned resources: their columns, sort keys, unique rules,
 * references and list filters. The store (store.ts) does the rest the same way for all of them.
 */

const AUDIT_COLUMNS = 'version, metadata, created_by, updated_by, created_at, updated_at, deleted_at';
const NAME_SORT = { created_at: 'created_at', updated_at: 'updated_at' };

export const customerProfiles: ResourceSpec = {
  what: 'customer profile',
  table: 'target_customer_profiles',
  columns: `id, name, description, demographics, interests, behavior, persona, is_default, is_active, ${AUDIT_COLUMNS}`,
  writable: ['name', 'description', 'demographics', 'interests', 'behavior', 'persona', 'is_default', 'is_active', 'metadata'],
  sortable: { ...NAME_SORT, name: 'name' },
  uniqueRules: { idx_target_customer_profiles_unique_default: { field: 'is_default', rule: 'a client has at most one default customer profile' } },
  references: [],
  referencedBy: [{ table: 'customer_profile_containers', column: 'customer_profile_id', what: 'container' }],
};

export const brandGuidelines: ResourceSpec = {
  what: 'brand guidelines',
  table: 'brand_guidelines',
  columns: `id, brand_name, detail_level, high_level_guidelines, full_style_guide, industry, brand_values, is_default, ${AUDIT_COLUMNS}`,
  writable: ['brand_name', 'detail_level', 'high_level_guidelines', 'full_style_guide', 'industry', 'brand_values', 'is_default', 'metadata'],
  sortable: { ...NAME_SORT, brand_name: 'brand_name' },
  uniqueRules: { idx_brand_guidelines_unique_default: { field: 'is_default', rule: 'a client has at most one default brand guideline' } },
  references: [],
  referencedBy: [{ table: 'customer_profile_containers', column: 'brand_guidelines_id', what: 'container' }],
};

export const budgets: ResourceSpec = {
  what: 'budget',
  table: 'budgets',
  columns: `id, name, amount, trim(currency) as currency, delivery_method, period, status, type, amount_spent, amount_remaining,
    percentage_spent, period_key, lifetime_spent, cost_per_message, hard_cap, is_shared, campaign_ids, alerts, start_date::text as start_date,
    end_date::text as end_date, ${AUDIT_COLUMNS}`,
  writable: ['name', 'amount', 'currency', 'delivery_method', 'period', 'status', 'type', 'cost_per_message', 'hard_cap', 'is_shared',
    'campaign_ids', 'alerts', 'start_date', 'end_date', 'metadata'],
  sortable: { ...NAME_SORT, name: 'name', amount: 'amount' },
  uniqueRules: {},
  references: [],
  referencedBy: [{ table: 'customer_profile_containers', column: 'budget_id', what: 'container' }],
};

export const containers: ResourceSpec = {
  what: 'container',
  table: 'customer_profile_containers',
  columns: `id, name, description, customer_profile_id, brand_guidelines_id, budget_id, is_default, is_primary, status, is_complete,
    missing_profiles, ${AUDIT_COLUMNS}`,
  writable: ['name', 'description', 'customer_profile_id', 'brand_guidelines_id', 'budget_id', 'is_default', 'is_primary', 'status', 'metadata'],
  sortable: { ...NAME_SORT, name: 'name' },
  uniqueRules: { idx_containers_unique_default_per_account: { field: 'is_default', rule: 'a client has at most one default container' } },
  references: [
    { field: 'customer_profile_id', table: 'target_customer_profiles', what: 'customer profile' },
    { field: 'brand_guidelines_id', table: 'brand_guidelines', what: 'brand guidelines' },
    { field: 'budget_id', table: 'budgets', what: 'budget' },
  ],
  referencedBy: [],
};

/** `%` and `_` in a search are literal characters, not patterns. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

type Page = Pick<ListFilter, 'includeDeleted' | 'sort' | 'order' | 'limit' | 'offset'>;
interface PageQuery { include_deleted: boolean; sort: string; order: 'asc' | 'desc'; limit: number; offset: number }

function pageOfQuery(query: PageQuery): Page {
  return { includeDeleted: query.include_deleted, sort: query.sort, order: query.order, limit: query.limit, offset: query.offset };
}

/** Builds a filter from conditions, each added only when its value is given. */
class Conditions {
  readonly where: string[] = [];
  readonly params: unknown[] = [];
  add(value: unknown, sql: string, ...params: unknown[]): this {
    if (value !== undefined) { this.where.push(sql); this.params.push(...params); }
    return this;
  }
}

/**
 * The seed's search: the name through its trigram index (ILIKE '%…%' uses gin_trgm_ops), demographics and
 * behavior by JSONB containment (@>, the GIN indexes), interests by array overlap (&&, its GIN index).
 */
export function customerProfileFilter(query: PageQuery & {
  search?: string; gender?: string; countries?: string[]; device_preferences?: string[]; interests?: string[]; is_active?: boolean;
}): ListFilter {
  const c = new Conditions()
    .add(query.search, 'name ilike ?', query.search && containsPattern(query.search))
    .add(query.gender, 'demographics @> ?::jsonb', JSON.stringify({ gender: query.gender }))
    .add(query.countries, 'demographics @> ?::jsonb', JSON.stringify({ location: { countries: query.countries } }))
    .add(query.device_preferences, 'behavior @> ?::jsonb', JSON.stringify({ devicePreferences: query.device_preferences }))
    .add(query.interests, 'interests && array(select jsonb_array_elements_text(?::jsonb))', JSON.stringify(query.interests))
    .add(query.is_active, 'is_active = ?', query.is_active);
  return { where: c.where, params: c.params, ...pageOfQuery(query) };
}

export function brandGuidelinesFilter(query: PageQuery & { search?: string; industry?: string; brand_voice?: string }): ListFilter {
  const c = new Conditions()
    .add(query.search, 'brand_name ilike ?', query.search && containsPattern(query.search))
    .add(query.industry, 'lower(industry) = lower(?)', query.industry)
    .add(query.brand_voice, 'full_style_guide @> ?::jsonb', JSON.stringify({ voiceGuidelines: { brandVoice: query.brand_voice } }));
  return { where: c.where, params: c.params, ...pageOfQuery(query) };
}

export function budgetFilter(query: PageQuery & { search?: string; status?: string; period?: string }): ListFilter {
  const c = new Conditions()
    .add(query.search, 'name ilike ?', query.search && containsPattern(query.search))
    .add(query.status, 'status = ?', query.status)
    .add(query.period, 'period = ?', query.period);
  return { where: c.where, params: c.params, ...pageOfQuery(query) };
}

export function containerFilter(query: PageQuery & { search?: string; status?: string; is_complete?: boolean }): ListFilter {
  const c = new Conditions()
    .add(query.search, 'name ilike ?', query.search && containsPattern(query.search))
    .add(query.status, 'status = ?', query.status)
    .add(query.is_complete, 'is_complete = ?', query.is_complete);
  return { where: c.where, params: c.params, ...pageOfQuery(query) };
}

interface BudgetFields {
  amount?: number; currency?: string; campaign_ids?: string[]; start_date?: string | null; end_date?: string | null;
}

/**
 * Budget rules the schema cannot see alone: the amounts fit the currency (no decimals for JPY), the
 * dates are in order, and every shared campaign is the client's. `current` is the row being changed.
 * The currency defaults to the client's reporting currency.
 */
export async function checkBudget<T extends BudgetFields>(em: EntityManager, input: T, current?: BudgetFields): Promise<T> {
  const currency = input.currency ?? current?.currency
    ?? (await em.execute<{ currency: string }[]>(`select reporting_currency as currency from clients where id = current_setting('app.client_id')::uuid`))[0].currency;
  const amount = input.amount;
  if (amount !== undefined && Math.abs(Math.round(amount * 10 ** currencyExponent(currency)) - amount * 10 ** currencyExponent(currency)) > 1e-6) {
    throw invalid([{ field: 'body.amount', message: `has more decimals than ${currency.toUpperCase()} has (${currencyExponent(currency)})` }]);
  }
  const start = input.start_date !== undefined ? input.start_date : current?.start_date;
  const end = input.end_date !== undefined ? input.end_date : current?.end_date;
  if (start && end && end < start) throw invalid([{ field: 'body.end_date', message: 'must not be before start_date' }]);
  for (const [index, campaignId] of (input.campaign_ids ?? []).entries()) {
    const [campaign] = await em.execute('select 1 from campaigns where id = ?', [campaignId]);
    if (!campaign) throw notFound('campaign', `body.campaign_ids.${index}`);
  }
  return { ...input, currency };
}
