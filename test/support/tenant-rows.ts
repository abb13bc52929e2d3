import { randomBytes, randomUUID } from 'node:crypto';
import { TENANT_TABLES as FIRST_TENANT_TABLES } from '../../migrations/Migration20261125000700TenantIsolation';
import { UNSUBSCRIBE_GROUP_TENANT_TABLES } from '../../migrations/Migration20261130030100UnsubscribeGroups';
import { DONOR_CARE_TENANT_TABLES } from '../../migrations/Migration20261130105100DonorCare';
import { STATUS_COUNTER_TENANT_TABLES } from '../../migrations/Migration20261130101000StatusCounters';
import { GIVING_TENANT_TABLES } from '../../migrations/Migration20261130102000Giving';
import { AB_TEST_TENANT_TABLES } from '../../migrations/Migration20261130107000AbTests';
import { ACTIVATION_FUNNEL_TENANT_TABLES } from '../../migrations/Migration20261130106100ActivationFunnel';
import { BUDGET_ALERT_TENANT_TABLES } from '../../migrations/Migration20261130123000BudgetPeriodsAndAlerts';
import { TICKET_TENANT_TABLES } from '../../migrations/Migration20261130124000EventTickets';
import { SMS_TENANT_TABLES } from '../../migrations/Migration20261130125000Sms';
import { JOURNEY_TENANT_TABLES } from '../../migrations/Migration20261130130000DonorJourneys';

/** Every tenant table of the schema, by the column that names its client: the first set and those added since. */
export const TENANT_TABLES: Record<string, string> = {
  ...FIRST_TENANT_TABLES, ...UNSUBSCRIBE_GROUP_TENANT_TABLES, ...DONOR_CARE_TENANT_TABLES, ...STATUS_COUNTER_TENANT_TABLES, ...GIVING_TENANT_TABLES,
  ...AB_TEST_TENANT_TABLES,
  ...ACTIVATION_FUNNEL_TENANT_TABLES,
  ...BUDGET_ALERT_TENANT_TABLES,
  ...TICKET_TENANT_TABLES,
  ...SMS_TENANT_TABLES,
  ...JOURNEY_TENANT_TABLES,
};

/** Anything that runs parameterised SQL: a pg Pool, a pg client, or a small wrapper over an EntityManager. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** The ids of one row in every tenant table, all belonging to one client. */
export interface TenantRows {
  clientId: string;
  campaignId: string;
  stepId: string;
  donorId: string;
  contentVersionId: string;
  paymentId: string;
  donationId: string;
  emailSendId: string;
  preferenceId: string;
  eventId: string;
  ticketTypeId: string;
  ticketId: string;
  ticketOrderId: string;
  profileId: string;
  guidelineId: string;
  budgetId: string;
  containerId: string;
  usageId: string;
  conversationId: string;
  messageId: string;
  apiKeyId: string;
  spendId: string;
  recurringGiftId: string;
  alertId: string;
  transitionId: string;
}

type Insert = (rows: TenantRows) => { text: string; values: unknown[]; id?: keyof TenantRows };

const unique = () => randomBytes(6).toString('hex');

/**
 * One INSERT per tenant table, in foreign-key order, each reading the ids made before it. Unique values
 * are fresh on every call, so the same statement can be replayed (e.g. as another client, to prove
 * row-level security refuses it).
 */
export const TENANT_INSERTS: Record<string, Insert> = {
  clients: () => ({ text: `insert into clients (id, name) values ($1, 'Tenant') returning id`, values: [randomUUID()], id: 'clientId' }),
  campaigns: (r) => ({
    text: `insert into campaigns (client_id, name, track15_enabled, track15_season, track15_stage) values ($1, 'Spring', true, 'spring', 'draft') returning id`,
    values: [r.clientId], id: 'campaignId' }),
  track15_narrative_steps: (r) => ({
    text: `insert into track15_narrative_steps (campaign_id, client_id, step_number, stage, day, subject_line, message, call_to_action)
           values ($1, $2, 1, 'awareness', 1, 'Hello', 'Meet the families', 'Read more') returning id`,
    values: [r.campaignId, r.clientId], id: 'stepId' }),
  donors: (r) => ({
    text: `insert into donors (client_id, email, phone, first_name, last_name) values ($1, $2, $3, 'Ada', 'Lovelace') returning id`,
    values: [r.clientId, `${unique()}@donors.test`, `+1${unique().slice(0, 10)}`], id: 'donorId' }),
  content_versions: (r) => ({
    text: `insert into content_versions (client_id, page_type, content) values ($1, 'activation', '{"title":"Welcome"}') returning id`,
    values: [r.clientId], id: 'contentVersionId' }),
  content_version_counters: (r) => ({
    text: `insert into content_version_counters (client_id, page_type, last_number) values ($1, 'agreement', 0)
           on conflict (client_id, page_type) do update set last_number = excluded.last_number`,
    values: [r.clientId] }),
  content_version_views: (r) => ({
    text: `insert into content_version_views (client_id, content_version_id, visitor_hash, view_day) values ($1, $2, $3, current_date)`,
    values: [r.clientId, r.contentVersionId, randomBytes(32).toString('hex')] }),
  agreement_acceptances: (r) => ({
    text: `insert into agreement_acceptances (client_id, content_version_id, visitor_hash) values ($1, $2, $3)`,
    values: [r.clientId, r.contentVersionId, randomBytes(32).toString('hex')] }),
  payments: (r) => ({
    text: `insert into payments (client_id, content_version_id, donor_id, campaign_id, stripe_payment_intent_id, amount, status)
           values ($1, $2, $3, $4, $5, 5000, 'succeeded') returning id`,
    values: [r.clientId, r.contentVersionId, r.donorId, r.campaignId, `pi_${unique()}`], id: 'paymentId' }),
  donations: (r) => ({
    text: `insert into donations (client_id, donor_id, campaign_id, amount, payment_id) values ($1, $2, $3, 50, $4) returning id`,
    values: [r.clientId, r.donorId, r.campaignId, r.paymentId], id: 'donationId' }),
  // A campaign's sends and ledger rows are its recipients' (their foreign key is the recipient row).
  campaign_recipients: (r) => ({
    text: `insert into campaign_recipients (campaign_id, donor_id, client_id, recipient_group) values ($1, $2, $3, 'test')`,
    values: [r.campaignId, r.donorId, r.clientId] }),
  email_sends: (r) => ({
    text: `insert into email_sends (client_id, campaign_id, donor_id, step_number, email_address) values ($1, $2, $3, null, 'ada@donors.test') returning id`,
    values: [r.clientId, r.campaignId, r.donorId], id: 'emailSendId' }),
  notification_preferences: (r) => ({
    text: `insert into notification_preferences (client_id, donor_id, category) values ($1, $2, $3) returning id`,
    values: [r.clientId, r.donorId, 'marketing'], id: 'preferenceId' }),
  events: (r) => ({
    text: `insert into events (client_id, name, starts_at) values ($1, 'Gala', now()) returning id`, values: [r.clientId], id: 'eventId' }),
  ticket_types: (r) => ({
    text: `insert into ticket_types (client_id, event_id, name, unit_amount, currency, capacity, sold) values ($1, $2, 'Standard', 2500, 'usd', 100, 1) returning id`,
    values: [r.clientId, r.eventId], id: 'ticketTypeId' }),
  ticket_orders: (r) => ({
    text: `insert into ticket_orders (client_id, event_id, donor_id, status, currency, amount_total, hold_expires_at, payment_id)
           values ($1, $2, $3, 'paid', 'usd', 2500, now(), $4) returning id`,
    values: [r.clientId, r.eventId, r.donorId, r.paymentId], id: 'ticketOrderId' }),
  event_tickets: (r) => ({
    text: `insert into event_tickets (client_id, event_id, donor_id, ticket_type_id, order_id, ticket_number, check_in_code, payment_id, unit_amount, status, checked_in_by)
           values ($1, $2, $3, $4, $5, $6, $7, $8, 2500, 'paid', $3) returning id`,
    values: [r.clientId, r.eventId, r.donorId, r.ticketTypeId, r.ticketOrderId, `T-${unique()}`, unique(), r.paymentId], id: 'ticketId' }),
  ticket_mails: (r) => ({
    text: `insert into ticket_mails (client_id, order_id, kind) values ($1, $2, 'receipt') on conflict do nothing`,
    values: [r.clientId, r.ticketOrderId] }),
  target_customer_profiles: (r) => ({
    text: `insert into target_customer_profiles (client_id, name, demographics) values ($1, 'Young families', '{"ageRange":{"min":25,"max":40}}') returning id`,
    values: [r.clientId], id: 'profileId' }),
  brand_guidelines: (r) => ({
    text: `insert into brand_guidelines (client_id, brand_name) values ($1, 'Food Bank') returning id`, values: [r.clientId], id: 'guidelineId' }),
  budgets: (r) => ({
    text: `insert into budgets (client_id, name, amount, cost_per_message) values ($1, 'Spring', 100, 0.01) returning id`,
    values: [r.clientId], id: 'budgetId' }),
  budget_alert_events: (r) => ({
    text: `insert into budget_alert_events (budget_id, client_id, threshold_percent) values ($1, $2, $3) returning id`,
    values: [r.budgetId, r.clientId, 10 + Math.floor(Math.random() * 80)], id: 'alertId' }),
  budget_alert_attempts: (r) => ({
    text: `insert into budget_alert_attempts (client_id, alert_id, channel, attempt, target, outcome) values ($1, $2, 'webhook', 1, 'https://hooks.test/a', 'failed')`,
    values: [r.clientId, r.alertId] }),
  budget_alert_settings: (r) => ({
    text: `insert into budget_alert_settings (client_id, email, webhook_url, signing_secret) values ($1, 'finance@client.test', 'https://hooks.test/a', $2)
           on conflict (client_id) do update set signing_secret = excluded.signing_secret`,
    values: [r.clientId, `whsec_${unique()}`] }),
  customer_profile_containers: (r) => ({
    text: `insert into customer_profile_containers (client_id, name, customer_profile_id, brand_guidelines_id, budget_id)
           values ($1, 'Default', $2, $3, $4) returning id`,
    values: [r.clientId, r.profileId, r.guidelineId, r.budgetId], id: 'containerId' }),
  campaign_profile_usage: (r) => ({
    text: `insert into campaign_profile_usage (client_id, campaign_id, container_id, usage_type) values ($1, $2, $3, 'CONTAINER') returning id`,
    values: [r.clientId, r.campaignId, r.containerId], id: 'usageId' }),
  conversations: (r) => ({
    text: `insert into conversations (client_id, donor_id, customer_phone, brand_phone, campaign_id) values ($1, $2, $3, '+15550000', $4) returning id`,
    values: [r.clientId, r.donorId, `+1${unique().slice(0, 10)}`, r.campaignId], id: 'conversationId' }),
  messages: (r) => ({
    text: `insert into messages (client_id, conversation_id, direction, content) values ($1, $2, 'outbound', 'Hi Ada') returning id`,
    values: [r.clientId, r.conversationId], id: 'messageId' }),
  donor_journey_transitions: (r) => ({
    text: `insert into donor_journey_transitions (client_id, donor_id, from_stage, to_stage, at, cause) values ($1, $2, 'new_donor', 'lapsed', now(), 'lapse') returning id`,
    values: [r.clientId, r.donorId], id: 'transitionId' }),
  sms_opt_outs: (r) => ({
    text: `insert into sms_opt_outs (client_id, phone, keyword) values ($1, $2, 'STOP')`,
    values: [r.clientId, `+1${randomBytes(5).readUIntBE(0, 5).toString().padStart(13, '0').slice(0, 10)}`] }),
  campaign_deliveries: (r) => ({
    text: `insert into campaign_deliveries (campaign_id, step_number, donor_id, client_id, status) values ($1, 1, $2, $3, 'sent')`,
    values: [r.campaignId, r.donorId, r.clientId] }),
  campaign_delivery_counts: (r) => ({
    text: `insert into campaign_delivery_counts as c (campaign_id, client_id, step_number, shard, outcome, skip_reason, n)
           values ($1, $2, 15, 0, 'skipped', 'control_group', 1)
           on conflict (campaign_id, step_number, channel, shard, outcome, skip_reason) do update set n = c.n + 1`,
    values: [r.campaignId, r.clientId] }),
  budget_spend: (r) => ({
    text: `insert into budget_spend (client_id, budget_id, campaign_id, step_number, batch_key, messages, amount) values ($1, $2, $3, 1, $4, 1, 0.01) returning id`,
    values: [r.clientId, r.budgetId, r.campaignId, `batch-${unique()}`], id: 'spendId' }),
  processed_webhook_events: (r) => ({
    text: `insert into processed_webhook_events (provider, event_id, client_id) values ('stripe', $1, $2)`, values: [`evt_${unique()}`, r.clientId] }),
  sendgrid_unsubscribe_groups: (r) => ({
    text: `insert into sendgrid_unsubscribe_groups (client_id, category, group_id) values ($1, 'marketing', $2)`,
    values: [r.clientId, 1 + Math.floor(Math.random() * 2_000_000_000)] }),
  erased_addresses: (r) => ({
    text: `insert into erased_addresses (client_id, kind, address_hash) values ($1, 'email', $2)`, values: [r.clientId, randomBytes(32).toString('hex')] }),
  give_prices: (r) => ({
    text: `insert into give_prices (client_id, amount, currency, stripe_price_id) values ($1, $2, 'usd', $3)`,
    values: [r.clientId, 100 + Math.floor(Math.random() * 1_000_000), `price_${unique()}`] }),
  give_checkouts: (r) => ({
    text: `insert into give_checkouts (client_id, donor_id, campaign_id, step_number, idempotency_key, frequency, amount, currency)
           values ($1, $2, $3, 11, $4, 'once', 5000, 'usd')`,
    values: [r.clientId, r.donorId, r.campaignId, `give:${unique()}`] }),
  recurring_gifts: (r) => ({
    text: `insert into recurring_gifts (client_id, donor_id, campaign_id, stripe_subscription_id, amount, currency) values ($1, $2, $3, $4, 2500, 'usd') returning id`,
    values: [r.clientId, r.donorId, r.campaignId, `sub_${unique()}`], id: 'recurringGiftId' }),
  receipt_counters: (r) => ({
    text: `insert into receipt_counters (client_id, year, last_number) values ($1, 2026, 1)
           on conflict (client_id, year) do update set last_number = excluded.last_number`,
    values: [r.clientId] }),
  receipts: (r) => ({
    text: `insert into receipts (client_id, donation_id, donor_id, year, number, amount, currency) values ($1, $2, $3, 2026, $4, 5000, 'usd')`,
    values: [r.clientId, r.donationId, r.donorId, 1 + Math.floor(Math.random() * 2_000_000_000)] }),
  step_ab_decisions: (r) => ({
    text: `insert into step_ab_decisions (campaign_id, client_id, step_number, metric, variants, winner, significant) values ($1, $2, 1, 'opens', '[]', 0, false)`,
    values: [r.campaignId, r.clientId] }),
  api_keys: (r) => ({
    text: `insert into api_keys (client_id, role, name, key_prefix, key_hash) values ($1, 'client', 'ci', 'tk_test', $2) returning id`,
    values: [r.clientId, randomBytes(32).toString('hex')], id: 'apiKeyId' }),
};

/** A client with one row in every tenant table, inserted through `db` (the owner, to arrange fixtures). */
export async function seedTenant(db: Queryable): Promise<TenantRows> {
  const rows = {} as TenantRows;
  for (const insert of Object.values(TENANT_INSERTS)) {
    const { text, values, id } = insert(rows);
    const result = await db.query(text, values);
    if (id) rows[id] = result.rows[0].id as string;
  }
  return rows;
}

/**
 * Runs `$n`-numbered SQL through an EntityManager (whose driver binds `?` in order), so the statements
 * above can run inside withClient/asOperator exactly as application code would.
 */
export function viaEntityManager(em: { execute(sql: string, params: unknown[]): Promise<unknown> }): Queryable {
  return {
    async query(text, values = []) {
      const ordered: unknown[] = [];
      const sql = text.replace(/\$(\d+)/g, (_, n: string) => {
        ordered.push(values[Number(n) - 1]);
        return '?';
      });
      return { rows: (await em.execute(sql, ordered)) as Record<string, unknown>[] };
    },
  };
}
