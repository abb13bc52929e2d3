import type { EntityManager } from '@mikro-orm/postgresql';
import { notFound } from '../../problem';

export interface CampaignState {
  id: string;
  track15_enabled: boolean;
  track15_stage: 'draft' | 'ready_for_launch' | 'active' | 'paused' | 'completed' | null;
  track15_activated_at: string | null;
}

/**
 * The campaign as far as the client may see it (row-level security hides other clients'; soft-deleted
 * ones are gone): every campaign route calls this before touching the campaign or its workflow, which
 * is addressed by campaign id alone. `forUpdate` holds the row until the transaction ends, so two
 * edits of one campaign's state do not interleave.
 */
export async function requireCampaign(em: EntityManager, campaignId: string, options: { field?: string; forUpdate?: boolean } = {}): Promise<CampaignState> {
  const [row] = await em.execute<CampaignState[]>(
    `select id, track15_enabled, track15_stage, track15_activated_at from campaigns
      where id = ? and deleted_at is null ${options.forUpdate ? 'for update' : ''}`,
    [campaignId],
  );
  if (!row) throw notFound('campaign', options.field);
  return row;
}

/** Steps, story and schedule are fixed once the workflow has the campaign (audience and due times are frozen at activation). */
export function isLaunched(campaign: CampaignState): boolean {
  return campaign.track15_activated_at !== null || campaign.track15_stage === 'active' || campaign.track15_stage === 'paused' || campaign.track15_stage === 'completed';
}
