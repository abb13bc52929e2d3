import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Seed 004's usage examples 6 (first-time user detection) and 10 (account profile summary), for the
 * client (the seed's "account"). Live rows only; the active budget total is per currency, because
 * amounts in different currencies are never added.
 */

export interface ProfileStatus {
  client_id: string;
  is_first_time_user: boolean;
  has_customer_profile: boolean;
  has_brand_guidelines: boolean;
  has_budget: boolean;
  has_container: boolean;
  profile_counts: { customer_profiles: number; brand_guidelines: number; budgets: number; containers: number };
}

export interface ProfileSummary {
  client_id: string;
  total_profiles: number;
  total_guidelines: number;
  total_budgets: number;
  total_containers: number;
  total_active_budget: { currency: string; amount: number }[];
  total_campaign_usage: number;
}

interface Counts { customer_profiles: number; brand_guidelines: number; budgets: number; containers: number; campaign_usage: number }

async function counts(em: EntityManager): Promise<Counts> {
  const [row] = await em.execute<Counts[]>(`
    select (select count(*)::int from target_customer_profiles where deleted_at is null) as customer_profiles,
           (select count(*)::int from brand_guidelines where deleted_at is null) as brand_guidelines,
           (select count(*)::int from budgets where deleted_at is null) as budgets,
           (select count(*)::int from customer_profile_containers where deleted_at is null) as containers,
           (select count(*)::int from campaign_profile_usage where is_active) as campaign_usage`);
  return row;
}

/** A first-time user has no profile, no guidelines and no budget yet (the seed's rule), so onboarding can start. */
export async function profileStatus(em: EntityManager, clientId: string): Promise<ProfileStatus> {
  const { campaign_usage: _usage, ...profileCounts } = await counts(em);
  return {
    client_id: clientId,
    is_first_time_user: profileCounts.customer_profiles === 0 && profileCounts.brand_guidelines === 0 && profileCounts.budgets === 0,
    has_customer_profile: profileCounts.customer_profiles > 0,
    has_brand_guidelines: profileCounts.brand_guidelines > 0,
    has_budget: profileCounts.budgets > 0,
    has_container: profileCounts.containers > 0,
    profile_counts: profileCounts,
  };
}

export async function profileSummary(em: EntityManager, clientId: string): Promise<ProfileSummary> {
  const all = await counts(em);
  const totals = await em.execute<{ currency: string; amount: string }[]>(
    `select trim(currency) as currency, sum(amount)::text as amount from budgets
      where status = 'ACTIVE' and deleted_at is null group by 1 order by 1`);
  return {
    client_id: clientId,
    total_profiles: all.customer_profiles,
    total_guidelines: all.brand_guidelines,
    total_budgets: all.budgets,
    total_containers: all.containers,
    total_active_budget: totals.map((t) => ({ currency: t.currency, amount: Number(t.amount) })),
    total_campaign_usage: all.campaign_usage,
  };
}
