import type { EntityManager } from '@mikro-orm/postgresql';
import { buildNarrativeSteps } from '../../../domain/campaigns/narrative';
import { conflict, invalid, notFound } from '../../problem';
import type { z } from 'zod';
import type { Campaign, CampaignCreateInput, CampaignUpdateInput } from '../../schemas/campaigns';
import { isLaunched, requireCampaign } from './campaign-guard';
import { type ProgressRow, progressSql, progressView } from './campaign-progress';
import { insertSteps, readinessProblems } from './narrative-steps';
import { SENDER_VIEW_SQL, requireSendersOfRunningCampaigns, senderAssignments } from '../sender-settings';

const CAMPAIGN_COLUMNS = `id, client_id, name, description, goal_amount, start_date::text as start_date, end_date::text as end_date,
  status, stats, ${SENDER_VIEW_SQL}, created_at, updated_at, track15_enabled, track15_season, track15_stage, track15_template_key, track15_core_story,
  track15_send_hour, track15_timezone, track15_day_length_seconds, track15_control_share, track15_control_treatment, track15_audience_filter,
  track15_activated_at, track15_completed_at, track15_paused_at, track15_pause_reason, track15_stop_reason,
  track15_control_conversion, track15_test_conversion, track15_control_revenue, track15_test_revenue, ${progressSql('campaigns')} as progress`;

type CampaignRow = z.input<typeof Campaign> & { track15_core_story: Record<string, string> | null };
type StoredCampaign = Omit<CampaignRow, 'progress'> & { progress: ProgressRow };

/** The campaign as the API shows it: its progress in the API's money units. */
const campaignView = (row: StoredCampaign): CampaignRow => ({ ...row, progress: progressView(row.progress, row.goal_amount as string | null) });

/** Plain columns a create or update may set, straight from the request field of the same name. */
const PLAIN_FIELDS = ['name', 'description', 'goal_amount', 'start_date', 'end_date'] as const;

/** Column and SQL placeholder for each settable field: request `track15.x` is column `track15_x`. */
function assignments(input: Omit<CampaignUpdateInput, 'track15'> & { track15?: Record<string, unknown> }): { columns: string[]; placeholders: string[]; values: unknown[] } {
  const sender = senderAssignments(input.sender);
  const columns: string[] = [...sender.columns];
  const placeholders: string[] = sender.columns.map(() => '?');
  const values: unknown[] = [...sender.values];
  for (const field of PLAIN_FIELDS) {
    if (input[field] !== undefined) { columns.push(field); placeholders.push('?'); values.push(input[field]); }
  }
  for (const [key, value] of Object.entries(input.track15 ?? {})) {
    if (value === undefined) continue;
    columns.push(`track15_${key}`);
    const json = key === 'core_story' || key === 'audience_filter';
    placeholders.push(json ? '?::jsonb' : '?');
    values.push(json ? JSON.stringify(value) : value);
  }
  return { columns, placeholders, values };
}

/** The campaign with its progress toward the goal (campaign-progress.ts); 404 when not the caller's or deleted. */
export async function getCampaign(em: EntityManager, campaignId: string): Promise<CampaignRow> {
  const [row] = await em.execute<StoredCampaign[]>(`select ${CAMPAIGN_COLUMNS} from campaigns where id = ? and deleted_at is null`, [campaignId]);
  if (!row) throw notFound('campaign');
  return campaignView(row);
}

/** A Track15 campaign on the seasonal template gets the season's fifteen steps, written around its core story. */
export async function createCampaign(em: EntityManager, clientId: string, input: CampaignCreateInput): Promise<CampaignRow> {
  const { track15, ...plain } = input;
  const set = assignments({ ...plain, track15: track15 ? { ...track15, enabled: true } : undefined });
  const [{ id }] = await em.execute<{ id: string }[]>(
    `insert into campaigns (client_id, ${set.columns.join(', ')}) values (?, ${set.placeholders.join(', ')}) returning id`,
    [clientId, ...set.values],
  );
  if (track15?.template_key === 'seasonal') await insertSteps(em, clientId, id, buildNarrativeSteps(track15.season, track15.core_story));
  if (track15?.stage === 'ready_for_launch') {
    const reasons = await readinessProblems(em, id, track15.core_story);
    if (reasons.length > 0) throw invalid([{ field: 'body.track15.stage', message: `not ready for launch: ${reasons.join('; ')}` }]);
  }
  return getCampaign(em, id);
}

export interface CampaignFilter { stage?: string; season?: string; track15?: 'true' | 'false'; limit: number; offset: number }

export async function listCampaigns(em: EntityManager, filter: CampaignFilter): Promise<CampaignRow[]> {
  const where = ['deleted_at is null'];
  const params: unknown[] = [];
  if (filter.stage) { where.push('track15_stage = ?'); params.push(filter.stage); }
  if (filter.season) { where.push('track15_season = ?'); params.push(filter.season); }
  if (filter.track15) { where.push('track15_enabled = ?'); params.push(filter.track15 === 'true'); }
  const rows = await em.execute<StoredCampaign[]>(
    `select ${CAMPAIGN_COLUMNS} from campaigns where ${where.join(' and ')} order by created_at desc, id limit ? offset ?`,
    [...params, filter.limit, filter.offset],
  );
  return rows.map(campaignView);
}

/**
 * Name, description, goal and dates can change at any time; Track15 settings only before activation
 * (the workflow has frozen the audience and the schedule by then). Moving to ready_for_launch is
 * checked against the campaign as it is after this change.
 */
export async function updateCampaign(em: EntityManager, campaignId: string, input: CampaignUpdateInput): Promise<CampaignRow> {
  const campaign = await requireCampaign(em, campaignId, { forUpdate: true });
  if (input.track15) {
    if (!campaign.track15_enabled) throw conflict('this is a standard campaign; Track15 settings do not apply');
    if (isLaunched(campaign)) throw conflict('the campaign has been activated; its Track15 settings can no longer change', { reasons: [`stage is ${campaign.track15_stage}`] });
  }
  const set = assignments(input);
  await em.execute(
    `update campaigns set ${set.columns.map((column, i) => `${column} = ${set.placeholders[i]}`).join(', ')} where id = ?`,
    [...set.values, campaignId],
  );
  if (input.sender) await requireSendersOfRunningCampaigns(em, campaignId);
  const updated = await getCampaign(em, campaignId);
  if (updated.start_date && updated.end_date && updated.start_date > updated.end_date) {
    throw invalid([{ field: input.end_date !== undefined ? 'body.end_date' : 'body.start_date', message: 'end_date must not be before start_date' }]);
  }
  if (input.track15?.stage === 'ready_for_launch') {
    const reasons = await readinessProblems(em, campaignId, updated.track15_core_story);
    if (reasons.length > 0) throw conflict('the campaign is not ready for launch', { reasons });
  }
  return updated;
}

/** Soft delete; a running arc must be stopped first, so no workflow keeps sending for a campaign nobody can see. */
export async function deleteCampaign(em: EntityManager, campaignId: string): Promise<void> {
  const campaign = await requireCampaign(em, campaignId, { forUpdate: true });
  if (campaign.track15_stage === 'active' || campaign.track15_stage === 'paused') {
    throw conflict('the campaign is running; stop it before deleting it', { reasons: [`stage is ${campaign.track15_stage}`] });
  }
  await em.execute('update campaigns set deleted_at = now() where id = ?', [campaignId]);
}
