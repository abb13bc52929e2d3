import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import { newSigningSecret } from '../../../domain/webhook-signature';
import { notFound } from '../../problem';
import type { PageWindow } from '../../schemas/common';
import type { BudgetAlert, BudgetAlertSettings, BudgetAlertSettingsInput } from '../../schemas/profiles/budget-alerts';
import type { Actor } from './store';

/**
 * Budget alert settings and the record of fired alerts (issue 15 item 7), in the caller's client
 * transaction (row-level security scopes every statement).
 */

type SettingsRow = z.input<typeof BudgetAlertSettings>;
type AlertRow = z.input<typeof BudgetAlert>;

const SETTINGS_COLUMNS = 'email, webhook_url, signing_secret, updated_by, updated_at';

/** The client's settings; 404 until they are first set. */
export async function getAlertSettings(em: EntityManager): Promise<SettingsRow> {
  const [row] = await em.execute<SettingsRow[]>(`select ${SETTINGS_COLUMNS} from budget_alert_settings`);
  if (!row) throw notFound('budget alert settings');
  return row;
}

/** Sets where alerts go; the signing secret is made on the first set and kept after. Answers whether the settings are new. */
export async function putAlertSettings(em: EntityManager, clientId: string, actor: Actor, input: BudgetAlertSettingsInput) {
  const [row] = await em.execute<(SettingsRow & { created: boolean })[]>(
    `insert into budget_alert_settings (client_id, email, webhook_url, signing_secret, updated_by) values (?, ?, ?, ?, ?)
     on conflict (client_id) do update set email = excluded.email, webhook_url = excluded.webhook_url, updated_by = excluded.updated_by
     returning ${SETTINGS_COLUMNS}, (xmax = 0) as created`,
    [clientId, input.email, input.webhook_url, newSigningSecret(), actor]);
  const { created, ...settings } = row;
  return { settings, created };
}

/** A new signing secret; deliveries from now on are signed with it. */
export async function rollAlertSecret(em: EntityManager, actor: Actor): Promise<SettingsRow> {
  const [row] = await em.execute<SettingsRow[]>(
    `update budget_alert_settings set signing_secret = ?, updated_by = ? returning ${SETTINGS_COLUMNS}`, [newSigningSecret(), actor]);
  if (!row) throw notFound('budget alert settings');
  return row;
}

const ATTEMPTS = (channel: 'email' | 'webhook') => `json_build_object('status', e.${channel}_status, 'attempts', coalesce((
    select json_agg(json_build_object('attempt', a.attempt, 'target', a.target, 'started_at', a.started_at, 'finished_at', a.finished_at,
                                      'outcome', a.outcome, 'http_status', a.http_status, 'error', a.error) order by a.started_at, a.attempt)
      from budget_alert_attempts a where a.alert_id = e.id and a.channel = '${channel}'), '[]'::json))`;
const ALERT_COLUMNS = `e.id, e.budget_id, e.period_key, e.threshold_percent, e.percentage_spent, e.amount_spent, e.fired_at, e.handed_at,
  ${ATTEMPTS('email')} as email, ${ATTEMPTS('webhook')} as webhook`;

/** A budget's fired alerts, newest first; 404 when the budget is not the client's (deleted ones still answer). */
export async function listBudgetAlerts(em: EntityManager, budgetId: string, window: PageWindow): Promise<AlertRow[]> {
  const [budget] = await em.execute('select 1 from budgets where id = ?', [budgetId]);
  if (!budget) throw notFound('budget');
  return em.execute<AlertRow[]>(
    `select ${ALERT_COLUMNS} from budget_alert_events e where e.budget_id = ?
      order by e.fired_at desc, e.threshold_percent desc, e.id limit ? offset ?`,
    [budgetId, window.limit, window.offset]);
}

export async function getBudgetAlert(em: EntityManager, alertId: string): Promise<AlertRow> {
  const [row] = await em.execute<AlertRow[]>(`select ${ALERT_COLUMNS} from budget_alert_events e where e.id = ?`, [alertId]);
  if (!row) throw notFound('budget alert');
  return row;
}
