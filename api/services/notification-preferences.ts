import type { EntityManager } from '@mikro-orm/postgresql';
import type { SuppressionSyncInput } from '../../activities/email/suppression-sync';
import type { LifecycleDeps } from '../../workflows/campaigns/lifecycle';
import { preferencesChangedSignal, suppressionSyncWorkflow, suppressionSyncWorkflowId } from '../../workflows/suppression-sync';
import { PREFERENCE_CATEGORIES } from '../schemas/donors';

type Category = (typeof PREFERENCE_CATEGORIES)[number];

export interface PreferenceRow {
  category: Category; email_enabled: boolean; sms_enabled: boolean; push_enabled: boolean;
  unsubscribed_at: string | null; updated_at: string | null;
}

/** The table's column defaults, which apply to a category the donor never set. */
const DEFAULTS = { email_enabled: true, sms_enabled: false, push_enabled: false, unsubscribed_at: null, updated_at: null };

/** Every category, stored or default, so a client sees what sending will actually respect. */
export async function listPreferences(em: EntityManager, donorId: string): Promise<PreferenceRow[]> {
  const stored = await em.execute<PreferenceRow[]>(
    `select category, email_enabled, sms_enabled, push_enabled, unsubscribed_at, updated_at
       from notification_preferences where donor_id = ?`, [donorId]);
  return PREFERENCE_CATEGORIES.map((category) => stored.find((row) => row.category === category) ?? { category, ...DEFAULTS });
}

export interface PreferenceUpdate { email_enabled?: boolean; sms_enabled?: boolean; push_enabled?: boolean; unsubscribed?: boolean }

/** Upsert of one category: settings not named keep their value (or the default). */
export async function updatePreference(em: EntityManager, clientId: string, donorId: string, category: Category, update: PreferenceUpdate): Promise<PreferenceRow> {
  const unsubscribe = update.unsubscribed === undefined ? null : update.unsubscribed;
  const [row] = await em.execute<PreferenceRow[]>(
    `insert into notification_preferences as p (client_id, donor_id, category, email_enabled, sms_enabled, push_enabled, unsubscribed_at)
     values (?, ?, ?, coalesce(?::boolean, true), coalesce(?::boolean, false), coalesce(?::boolean, false), case when ?::boolean then now() end)
     on conflict (donor_id, client_id, category) do update set
       email_enabled = coalesce(?::boolean, p.email_enabled),
       sms_enabled = coalesce(?::boolean, p.sms_enabled),
       push_enabled = coalesce(?::boolean, p.push_enabled),
       unsubscribed_at = case when ?::boolean is null then p.unsubscribed_at when ?::boolean then coalesce(p.unsubscribed_at, now()) end
     returning category, email_enabled, sms_enabled, push_enabled, unsubscribed_at, updated_at`,
    [clientId, donorId, category, update.email_enabled ?? null, update.sms_enabled ?? null, update.push_enabled ?? null, unsubscribe,
      update.email_enabled ?? null, update.sms_enabled ?? null, update.push_enabled ?? null, unsubscribe, unsubscribe],
  );
  return row;
}

/**
 * Hands the change to SendGrid through the per-donor sync workflow (signal-with-start): the activity
 * retries through provider outages, and a change made while a sync runs makes it sync again.
 */
export async function queueSuppressionSync(deps: Pick<LifecycleDeps, 'temporal' | 'taskQueue'>, input: SuppressionSyncInput): Promise<void> {
  await deps.temporal.workflow.signalWithStart(suppressionSyncWorkflow, {
    workflowId: suppressionSyncWorkflowId(input),
    taskQueue: deps.taskQueue,
    args: [input],
    signal: preferencesChangedSignal,
  });
}
