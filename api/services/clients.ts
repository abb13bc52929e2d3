import type { EntityManager } from '@mikro-orm/postgresql';
import { generateActivationToken } from '../../domain/activation-token';
import type { SenderSettings } from '../../domain/delivery/sender';
import { toMinorUnits } from '../../domain/money';
import { notFound } from '../problem';
import type { ClientUpdateInput } from '../schemas/clients';
import { SENDER_VIEW_SQL, requireSendersOfRunningCampaigns, senderAssignments } from './sender-settings';

const CLIENT_COLUMNS = `id, name, status, activation_token, ${SENDER_VIEW_SQL},
  case when frequency_cap_messages is null then null
       else json_build_object('max_messages', frequency_cap_messages, 'window_days', frequency_cap_window_days) end as frequency_cap,
  case when quiet_hours_start is null then null
       else json_build_object('start', to_char(quiet_hours_start, 'HH24:MI'), 'end', to_char(quiet_hours_end, 'HH24:MI')) end as quiet_hours,
  sms_from_number, historical_conversion_rate, expected_lift_percent, lapse_after_days,
  json_build_object('amount', round(activation_amount / 100.0, 2), 'reminder_after_days', activation_reminder_days,
    'expires_after_days', activation_expiry_days, 'reminded_at', activation_reminded_at, 'expired_at', activation_expired_at) as activation,
  metadata, reporting_currency, rfm_tier_rate, created_at, updated_at`;
// A token taken between reading the taken set and inserting loses the race quietly (on conflict do
// nothing); a fresh read and pick then almost always succeeds.
const TOKEN_ATTEMPTS = 5;

export interface ClientRow {
  id: string; name: string; status: 'pending' | 'active' | 'paid' | 'failed'; activation_token: string | null;
  sender: SenderSettings; frequency_cap: { max_messages: number; window_days: number } | null; quiet_hours: { start: string; end: string } | null;
  sms_from_number: string | null; historical_conversion_rate: string | null; expected_lift_percent: string | null; lapse_after_days: number;
  activation: { amount: number; reminder_after_days: number; expires_after_days: number; reminded_at: string | null; expired_at: string | null };
  metadata: Record<string, unknown>; reporting_currency: string; rfm_tier_rate: string | null; created_at: string; updated_at: string;
}

/** Needs the operator role: picking a free activation token reads every client's. */
export async function createClient(em: EntityManager, input: { name: string; metadata: Record<string, unknown>; reporting_currency: string; rfm_tier_rate?: number }): Promise<ClientRow> {
  for (let attempt = 1; ; attempt++) {
    const taken = new Set((await em.execute<{ token: string }[]>(
      'select activation_token as token from clients where activation_token is not null')).map((row) => row.token));
    const token = generateActivationToken((candidate) => taken.has(candidate), taken.size, Math.random);
    const [row] = await em.execute<ClientRow[]>(
      `insert into clients (name, activation_token, metadata, reporting_currency, rfm_tier_rate) values (?, ?, ?::jsonb, ?, ?)
       on conflict (activation_token) do nothing returning ${CLIENT_COLUMNS}`,
      [input.name, token, JSON.stringify(input.metadata), input.reporting_currency, input.rfm_tier_rate ?? null],
    );
    if (row) return row;
    if (attempt >= TOKEN_ATTEMPTS) throw new Error(`no free activation token after ${TOKEN_ATTEMPTS} attempts`);
  }
}

export function listClients(em: EntityManager, page: { limit: number; offset: number }): Promise<ClientRow[]> {
  return em.execute<ClientRow[]>(`select ${CLIENT_COLUMNS} from clients order by created_at, id limit ? offset ?`, [page.limit, page.offset]);
}

export async function getClient(em: EntityManager, clientId: string): Promise<ClientRow> {
  const [row] = await em.execute<ClientRow[]>(`select ${CLIENT_COLUMNS} from clients where id = ?`, [clientId]);
  if (!row) throw notFound('client');
  return row;
}

/** Columns an update sets straight from the request field of the same name. */
const PLAIN_FIELDS = ['name', 'historical_conversion_rate', 'expected_lift_percent', 'rfm_tier_rate', 'sms_from_number', 'lapse_after_days'] as const;

/**
 * Changes the client's name, metadata, experiment defaults, activation settings, frequency cap, quiet hours, SMS number, lapse window or sender identity
 * (only the fields named). Refused with 409 when it would leave a running campaign without a From address or postal address, or take
 * an SMS number another client has (clients_sms_from_number_unique).
 */
export async function updateClient(em: EntityManager, clientId: string, input: ClientUpdateInput): Promise<ClientRow> {
  await getClient(em, clientId);
  const sender = senderAssignments(input.sender);
  const plain = PLAIN_FIELDS.filter((field) => input[field] !== undefined);
  const columns = [...plain.map((field) => `${field} = ?`), ...(input.metadata !== undefined ? ['metadata = ?::jsonb'] : []),
    ...sender.columns.map((column) => `${column} = ?`)];
  const values = [...plain.map((field) => input[field]), ...(input.metadata !== undefined ? [JSON.stringify(input.metadata)] : []), ...sender.values];
  if (input.frequency_cap !== undefined) {
    columns.push('frequency_cap_messages = ?', 'frequency_cap_window_days = ?');
    values.push(input.frequency_cap?.max_messages ?? null, input.frequency_cap?.window_days ?? null);
  }
  const activation = input.activation ?? {};
  for (const [field, column] of [['reminder_after_days', 'activation_reminder_days'], ['expires_after_days', 'activation_expiry_days']] as const) {
    if (activation[field] !== undefined) {
      columns.push(`${column} = ?`);
      values.push(activation[field]);
    }
  }
  if (activation.amount !== undefined) {
    columns.push('activation_amount = ?');
    values.push(toMinorUnits(activation.amount, 'usd'));
  }
  if (input.quiet_hours !== undefined) {
    columns.push('quiet_hours_start = ?::time', 'quiet_hours_end = ?::time');
    values.push(input.quiet_hours?.start ?? null, input.quiet_hours?.end ?? null);
  }
  await em.execute(`update clients set ${columns.join(', ')} where id = ?`, [...values, clientId]);
  if (input.sender) await requireSendersOfRunningCampaigns(em);
  return getClient(em, clientId);
}
