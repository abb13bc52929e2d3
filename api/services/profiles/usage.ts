import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import { conflict, notFound } from '../../problem';
import type { ProfileUsage, ProfileUsageInput } from '../../schemas/profiles/containers';
import { requireCampaign } from '../campaigns/campaign-guard';
import type { Actor } from './store';

/**
 * Which profiles a campaign uses (campaign_profile_usage): at most one active usage per campaign (the
 * seed's unique index); setting a new one deactivates the old, so the history stays. The profile,
 * guidelines and budget in effect are the usage's own where it names them (INDIVIDUAL, HYBRID
 * overrides), else the container's: the same rule delivery applies (activities/delivery/deliver-batch.ts).
 */

type UsageRow = z.input<typeof ProfileUsage>;

const USAGE_COLUMNS = `u.id, u.campaign_id, u.usage_type, u.container_id, u.customer_profile_id, u.brand_guidelines_id, u.budget_id, u.is_active,
  json_build_object(
    'customer_profile_id', coalesce(u.customer_profile_id, c.customer_profile_id),
    'brand_guidelines_id', coalesce(u.brand_guidelines_id, c.brand_guidelines_id),
    'budget_id', coalesce(u.budget_id, c.budget_id)) as effective,
  u.created_by, u.updated_by, u.created_at, u.updated_at`;
const FROM_USAGE = 'campaign_profile_usage u left join customer_profile_containers c on c.id = u.container_id';

const REFERENCES = [
  { field: 'container_id', table: 'customer_profile_containers', what: 'container' },
  { field: 'customer_profile_id', table: 'target_customer_profiles', what: 'customer profile' },
  { field: 'brand_guidelines_id', table: 'brand_guidelines', what: 'brand guidelines' },
  { field: 'budget_id', table: 'budgets', what: 'budget' },
] as const;

export async function getActiveUsage(em: EntityManager, campaignId: string): Promise<UsageRow> {
  await requireCampaign(em, campaignId);
  const [row] = await em.execute<UsageRow[]>(`select ${USAGE_COLUMNS} from ${FROM_USAGE} where u.campaign_id = ? and u.is_active`, [campaignId]);
  if (!row) throw notFound('profile usage');
  return row;
}

/**
 * Attaches the campaign to a container, to individual profiles, or to a container with overrides,
 * replacing its active usage. The campaign's row is locked first, so two concurrent changes queue
 * rather than meeting at the unique index. Answers the new usage and whether one was replaced.
 */
export async function setUsage(em: EntityManager, clientId: string, campaignId: string, actor: Actor, input: ProfileUsageInput): Promise<{ usage: UsageRow; replaced: boolean }> {
  await requireCampaign(em, campaignId, { forUpdate: true });
  for (const reference of REFERENCES) {
    const id = input[reference.field];
    if (!id) continue;
    const [row] = await em.execute<{ deleted: boolean; status?: string }[]>(
      `select deleted_at is not null as deleted from ${reference.table} where id = ?`, [id]);
    if (!row) throw notFound(reference.what, `body.${reference.field}`);
    if (row.deleted) throw conflict(`body.${reference.field}: the ${reference.what} is deleted`, { errors: [{ field: `body.${reference.field}`, message: `refers to a deleted ${reference.what}` }] });
  }
  const replaced = await em.execute<{ id: string }[]>(
    'update campaign_profile_usage set is_active = false, updated_by = ? where campaign_id = ? and is_active returning id', [actor, campaignId]);
  const [{ id }] = await em.execute<{ id: string }[]>(
    `insert into campaign_profile_usage (client_id, campaign_id, usage_type, container_id, customer_profile_id, brand_guidelines_id, budget_id, created_by, updated_by)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`,
    [clientId, campaignId, input.usage_type, input.container_id ?? null, input.customer_profile_id ?? null, input.brand_guidelines_id ?? null,
      input.budget_id ?? null, actor, actor],
  );
  const [usage] = await em.execute<UsageRow[]>(`select ${USAGE_COLUMNS} from ${FROM_USAGE} where u.id = ?`, [id]);
  return { usage, replaced: replaced.length > 0 };
}

/** Detaches the campaign: its active usage is deactivated (kept for the record). */
export async function endUsage(em: EntityManager, campaignId: string, actor: Actor): Promise<UsageRow> {
  await requireCampaign(em, campaignId, { forUpdate: true });
  const [ended] = await em.execute<{ id: string }[]>(
    'update campaign_profile_usage set is_active = false, updated_by = ? where campaign_id = ? and is_active returning id', [actor, campaignId]);
  if (!ended) throw notFound('profile usage');
  const [usage] = await em.execute<UsageRow[]>(`select ${USAGE_COLUMNS} from ${FROM_USAGE} where u.id = ?`, [ended.id]);
  return usage;
}

export function listUsages(em: EntityManager, query: { include_inactive: boolean; container_id?: string; limit: number; offset: number }): Promise<UsageRow[]> {
  const where = [...(query.include_inactive ? [] : ['u.is_active']), ...(query.container_id ? ['u.container_id = ?'] : [])];
  return em.execute<UsageRow[]>(
    `select ${USAGE_COLUMNS} from ${FROM_USAGE} ${where.length ? `where ${where.join(' and ')}` : ''}
      order by u.created_at desc, u.id desc limit ? offset ?`,
    [...(query.container_id ? [query.container_id] : []), query.limit, query.offset],
  );
}
