import type { EntityManager } from '@mikro-orm/postgresql';
import { notFound } from '../../problem';
import type { PageType } from '../../schemas/activation/content-versions';

/**
 * Seed 003's content versions: each client's activation pages as a controlled experiment. The database
 * owns the two rules that must hold under concurrency (migration 20261125000200): the trigger numbers
 * versions gaplessly per (client, page type), and make_content_version_current() leaves exactly one
 * current version, serialising concurrent calls on the (client, page type) counter row.
 */

export interface ContentVersionRow {
  id: string; client_id: string; page_type: PageType; version_number: number; content: Record<string, unknown>;
  hypothesis: string | null; iteration_notes: string | null; outcome: 'success' | 'failure' | 'pending' | null;
  outcome_note: string | null; outcome_set_at: string | null; outcome_set_by: string | null;
  is_current: boolean; created_by: string | null; created_at: string; metadata: Record<string, unknown>;
}

const COLUMNS = `id, client_id, page_type, version_number, content, hypothesis, iteration_notes, outcome, outcome_note,
  outcome_set_at::text as outcome_set_at, outcome_set_by, is_current, created_by, created_at::text as created_at, metadata`;

export interface ContentVersionInput {
  content: Record<string, unknown>;
  hypothesis?: string;
  iteration_notes?: string;
  metadata?: Record<string, unknown>;
  make_current: boolean;
}

/** Who acts: the calling API key's id, recorded in created_by / outcome_set_by. */
type Actor = string;

export async function getContentVersion(em: EntityManager, id: string): Promise<ContentVersionRow> {
  const [row] = await em.execute<ContentVersionRow[]>(`select ${COLUMNS} from content_versions where id = ?`, [id]);
  if (!row) throw notFound('content version');
  return row;
}

/** A new version numbered by the trigger; current at once when asked. */
export async function createContentVersion(
  em: EntityManager, clientId: string, pageType: PageType, actor: Actor, input: ContentVersionInput,
): Promise<ContentVersionRow> {
  const [{ id }] = await em.execute<{ id: string }[]>(
    `insert into content_versions (client_id, page_type, content, hypothesis, iteration_notes, metadata, created_by)
     values (?, ?, ?::jsonb, ?, ?, ?::jsonb, ?) returning id`,
    [clientId, pageType, JSON.stringify(input.content), input.hypothesis ?? null, input.iteration_notes ?? null,
      JSON.stringify(input.metadata ?? {}), actor],
  );
  if (input.make_current) await em.execute('select make_content_version_current(?)', [id]);
  return getContentVersion(em, id);
}

export interface ContentVersionFilter { current?: boolean; outcome?: string; limit: number; offset: number }

/** One page type's versions, newest first. */
export async function listContentVersions(em: EntityManager, pageType: PageType, filter: ContentVersionFilter): Promise<ContentVersionRow[]> {
  const where = ['page_type = ?'];
  const params: unknown[] = [pageType];
  if (filter.current !== undefined) { where.push('is_current = ?'); params.push(filter.current); }
  if (filter.outcome !== undefined) { where.push('outcome = ?'); params.push(filter.outcome); }
  return em.execute<ContentVersionRow[]>(
    `select ${COLUMNS} from content_versions where ${where.join(' and ')} order by version_number desc limit ? offset ?`,
    [...params, filter.limit, filter.offset],
  );
}

/** Makes the version its page type's current one; the previous current one stops being so. Idempotent. */
export async function makeContentVersionCurrent(em: EntityManager, id: string): Promise<ContentVersionRow> {
  await getContentVersion(em, id);
  await em.execute('select make_content_version_current(?)', [id]);
  return getContentVersion(em, id);
}

/** Records whether the version worked, why, who judged and when; setting it again replaces the judgement. */
export async function setContentVersionOutcome(
  em: EntityManager, id: string, actor: Actor, outcome: string, note: string | undefined,
): Promise<ContentVersionRow> {
  await getContentVersion(em, id);
  await em.execute(
    'update content_versions set outcome = ?, outcome_note = ?, outcome_set_at = now(), outcome_set_by = ? where id = ?',
    [outcome, note ?? null, actor, id],
  );
  return getContentVersion(em, id);
}
