import { Pool } from 'pg';
import { type TestDatabase, createTestDatabase } from '../support/database';
import { type TenantRows, seedTenant, TENANT_TABLES } from '../support/tenant-rows';

/**
 * For every CHECK constraint: a change that breaks it, and only it, applied to the seeded row of its
 * table. The first test fails when a migration adds a CHECK this list does not exercise.
 */
const VIOLATIONS: Record<string, [table: string, set: string]> = {
  chk_clients_activation_token: ['clients', `activation_token = 'X1234'`],
  chk_clients_status: ['clients', `status = 'archived'`],
  chk_clients_reporting_currency: ['clients', `reporting_currency = 'US$'`],
  chk_clients_frequency_cap_messages: ['clients', 'frequency_cap_messages = 0, frequency_cap_window_days = 7'],
  chk_clients_frequency_cap_window: ['clients', 'frequency_cap_messages = 3, frequency_cap_window_days = 0'],
  chk_clients_frequency_cap: ['clients', 'frequency_cap_messages = 3, frequency_cap_window_days = null'],
  chk_clients_historical_conversion_rate: ['clients', 'historical_conversion_rate = 1'],
  chk_clients_expected_lift_percent: ['clients', 'expected_lift_percent = 0'],
  chk_clients_activation_amount: ['clients', 'activation_amount = 49'],
  chk_clients_activation_reminder_days: ['clients', 'activation_reminder_days = 0'],
  chk_clients_activation_expiry_days: ['clients', 'activation_expiry_days = 366'],
  chk_clients_activation_day_length: ['clients', 'activation_day_length_seconds = 0'],
  chk_campaign_deliveries_ab_variant: ['campaign_deliveries', 'ab_variant = 4'],
  chk_step_ab_decisions_metric: ['step_ab_decisions', `metric = 'replies'`],
  step_ab_decisions_step_number_check: ['step_ab_decisions', 'step_number = 16'],
  step_ab_decisions_winner_check: ['step_ab_decisions', 'winner = 4'],
  chk_donors_version: ['donors', 'version = 0'],
  chk_erased_addresses_kind: ['erased_addresses', `kind = 'fax'`],
  chk_erased_addresses_hash: ['erased_addresses', `address_hash = repeat('Z', 64)`],
  chk_clients_rfm_tier_rate: ['clients', 'rfm_tier_rate = 0'],
  chk_clients_sms_from_number: ['clients', `sms_from_number = '5550100'`],
  chk_clients_quiet_hours: ['clients', `quiet_hours_start = '21:00', quiet_hours_end = null`],
  chk_track15_control_share: ['campaigns', 'track15_control_share = 0.6'],
  chk_track15_control_treatment: ['campaigns', `track15_control_treatment = 'nothing'`],
  chk_track15_conversion_range: ['campaigns', 'track15_test_conversion = 1.5'],
  chk_track15_day_length: ['campaigns', 'track15_day_length_seconds = 0'],
  chk_track15_rehearsals: ['campaigns', 'track15_rehearsals = -1'],
  chk_track15_revenue_positive: ['campaigns', 'track15_control_revenue = -1'],
  chk_track15_season: ['campaigns', `track15_season = 'winter'`],
  chk_track15_send_hour: ['campaigns', 'track15_send_hour = 24'],
  chk_track15_stage: ['campaigns', `track15_stage = 'stopped'`],
  chk_track15_step_channel: ['track15_narrative_steps', `channel = 'fax'`],
  track15_narrative_steps_day_check: ['track15_narrative_steps', 'day = 16'],
  track15_narrative_steps_stage_check: ['track15_narrative_steps', `stage = 'closing'`],
  track15_narrative_steps_step_number_check: ['track15_narrative_steps', 'step_number = 0'],
  chk_donors_reachable: ['donors', 'email = null, phone = null'],
  chk_donors_source: ['donors', `source = 'tv'`],
  chk_donors_stage: ['donors', `stage = 'vip'`],
  chk_donors_first_gift_source: ['donors', `first_gift_source = 'tv'`],
  chk_clients_lapse_after_days: ['clients', 'lapse_after_days = 0'],
  chk_donor_journey_from_stage: ['donor_journey_transitions', `from_stage = 'trial'`],
  chk_donor_journey_to_stage: ['donor_journey_transitions', `to_stage = 'churned'`],
  chk_donor_journey_cause: ['donor_journey_transitions', `cause = 'whim'`],
  chk_donor_journey_moves: ['donor_journey_transitions', `to_stage = 'new_donor'`],
  chk_donors_suppression_reason: ['donors', `email_suppression_reason = 'annoyed'`],
  chk_rfm_segment: ['donors', `rfm_segment = 'Whales'`],
  donors_rfm_recency_score_check: ['donors', 'rfm_recency_score = 6'],
  donors_rfm_frequency_score_check: ['donors', 'rfm_frequency_score = 0'],
  donors_rfm_monetary_score_check: ['donors', 'rfm_monetary_score = 6'],
  chk_donations_amount_positive: ['donations', 'amount = 0'],
  chk_donations_amount_scale: ['donations', 'amount = 1.2345'],
  chk_donations_source: ['donations', `source = 'cash'`],
  chk_donations_status: ['donations', `status = 'disputed'`],
  chk_donations_step: ['donations', 'step_number = 16'],
  chk_give_prices_amount: ['give_prices', 'amount = 0'],
  chk_give_prices_currency: ['give_prices', `currency = 'US$'`],
  chk_give_prices_interval: ['give_prices', `recurring_interval = 'week'`],
  chk_give_checkouts_step: ['give_checkouts', 'step_number = 0'],
  chk_give_checkouts_frequency: ['give_checkouts', `frequency = 'yearly'`],
  chk_give_checkouts_amount: ['give_checkouts', 'amount = 0'],
  chk_recurring_gifts_step: ['recurring_gifts', 'step_number = 16'],
  chk_recurring_gifts_amount: ['recurring_gifts', 'amount = -5'],
  chk_recurring_gifts_status: ['recurring_gifts', `status = 'paused'`],
  chk_receipt_counters_last: ['receipt_counters', 'last_number = -1'],
  chk_receipts_number: ['receipts', 'number = 0'],
  chk_receipts_amount: ['receipts', 'amount = 0'],
  chk_receipts_email_status: ['receipts', `email_status = 'lost'`],
  chk_content_versions_outcome: ['content_versions', `outcome = 'maybe'`],
  chk_content_versions_page_type: ['content_versions', `page_type = 'landing'`],
  chk_content_version_views_visitor_hash: ['content_version_views', `visitor_hash = repeat('Z', 64)`],
  chk_agreement_acceptances_visitor_hash: ['agreement_acceptances', `visitor_hash = repeat('Z', 64)`],
  chk_payments_amount_positive: ['payments', 'amount = 0'],
  chk_payments_status: ['payments', `status = 'disputed'`],
  chk_email_sends_status: ['email_sends', `status = 'read'`],
  chk_notification_preferences_category: ['notification_preferences', `category = 'spam'`],
  chk_sendgrid_unsubscribe_groups_category: ['sendgrid_unsubscribe_groups', `category = 'all'`],
  chk_events_capacity: ['events', 'capacity = -1'],
  chk_events_ends_after_start: ['events', `ends_at = starts_at - interval '1 hour'`],
  chk_events_status: ['events', `status = 'postponed'`],
  chk_ticket_types_amount: ['ticket_types', 'unit_amount = -1'],
  chk_ticket_types_capacity: ['ticket_types', 'capacity = -1'],
  chk_ticket_types_donation_amount: ['ticket_types', 'donation_amount = 2600'],
  chk_ticket_types_held: ['ticket_types', 'held = -1'],
  chk_ticket_types_sold: ['ticket_types', 'sold = -1'],
  chk_ticket_types_within_capacity: ['ticket_types', 'sold = 101'],
  chk_ticket_types_max_per_order: ['ticket_types', 'max_per_order = 0'],
  chk_ticket_types_sales_window: ['ticket_types', `sales_start_at = now(), sales_end_at = now() - interval '1 day'`],
  chk_ticket_orders_status: ['ticket_orders', `status = 'lost'`],
  chk_ticket_orders_amount: ['ticket_orders', 'amount_total = -1'],
  chk_ticket_orders_fingerprint: ['ticket_orders', `idempotency_key = 'gala-order-1'`],
  chk_event_tickets_unit_amount: ['event_tickets', 'unit_amount = -1'],
  chk_event_tickets_donation_amount: ['event_tickets', 'donation_amount = -1'],
  chk_ticket_mails_kind: ['ticket_mails', `kind = 'sms'`],
  chk_ticket_mails_status: ['ticket_mails', `status = 'lost'`],
  chk_event_tickets_status: ['event_tickets', `status = 'lost'`],
  target_customer_profiles_version_check: ['target_customer_profiles', 'version = 0'],
  brand_guidelines_version_check: ['brand_guidelines', 'version = 0'],
  chk_brand_guidelines_detail_level: ['brand_guidelines', `detail_level = 'medium'`],
  budgets_version_check: ['budgets', 'version = 0'],
  chk_budgets_amount: ['budgets', 'amount = -1'],
  chk_budgets_amount_spent: ['budgets', 'amount_spent = -1'],
  chk_budgets_lifetime_spent: ['budgets', 'lifetime_spent = -1'],
  chk_budget_alert_events_email_status: ['budget_alert_events', `email_status = 'sent'`],
  chk_budget_alert_events_webhook_status: ['budget_alert_events', `webhook_status = 'sent'`],
  chk_budget_alert_attempts_attempt: ['budget_alert_attempts', 'attempt = 0'],
  chk_budget_alert_attempts_channel: ['budget_alert_attempts', `channel = 'sms'`],
  chk_budget_alert_attempts_outcome: ['budget_alert_attempts', `outcome = 'lost'`],
  chk_budget_alert_settings_webhook_url: ['budget_alert_settings', `webhook_url = 'ftp://hooks.test/a'`],
  chk_budgets_cost_per_message: ['budgets', 'cost_per_message = -0.01'],
  chk_budgets_delivery_method: ['budgets', `delivery_method = 'SLOW'`],
  chk_budgets_period: ['budgets', `period = 'HOURLY'`],
  chk_budgets_status: ['budgets', `status = 'DELETED'`],
  chk_budgets_type: ['budgets', `type = 'GLOBAL'`],
  chk_containers_status: ['customer_profile_containers', `status = 'GONE'`],
  customer_profile_containers_version_check: ['customer_profile_containers', 'version = 0'],
  chk_usage_type: ['campaign_profile_usage', `usage_type = 'MIXED'`],
  chk_usage_type_references: ['campaign_profile_usage', `usage_type = 'INDIVIDUAL'`],
  chk_campaign_recipients_group: ['campaign_recipients', `recipient_group = 'holdout'`],
  chk_campaign_recipients_segment: ['campaign_recipients', `segment_at_start = 'Whales'`],
  chk_campaign_recipients_shard: ['campaign_recipients', 'shard = -1'],
  chk_campaign_deliveries_channel: ['campaign_deliveries', `channel = 'fax'`],
  chk_campaign_deliveries_skip_reason: ['campaign_deliveries', `skip_reason = 'bored'`],
  chk_campaign_deliveries_sms_segments: ['campaign_deliveries', 'sms_segments = 0'],
  chk_campaign_deliveries_skipped_has_reason: ['campaign_deliveries', `status = 'skipped', skip_reason = null`],
  chk_campaign_deliveries_status: ['campaign_deliveries', `status = 'lost'`],
  chk_campaign_deliveries_step: ['campaign_deliveries', 'step_number = 16'],
  chk_campaign_delivery_counts_outcome: ['campaign_delivery_counts', `outcome = 'delivered'`],
  chk_campaign_delivery_counts_channel: ['campaign_delivery_counts', `channel = 'fax'`],
  chk_budget_spend_amount: ['budget_spend', 'amount = -1'],
  chk_budget_spend_messages: ['budget_spend', 'messages = -1'],
  chk_processed_webhook_events_provider: ['processed_webhook_events', `provider = 'pigeon'`],
  chk_processed_webhook_events_outcome: ['processed_webhook_events', `outcome = 'skipped'`],
  chk_api_keys_operator_has_no_client: ['api_keys', `role = 'operator'`],
  chk_api_keys_role: ['api_keys', `role = 'admin'`],
  chk_conversations_message_count: ['conversations', 'message_count = -1'],
  chk_conversations_status: ['conversations', `status = 'open'`],
  chk_messages_direction: ['messages', `direction = 'sideways'`],
  chk_messages_status: ['messages', `status = 'read'`],
  chk_sms_opt_outs_phone: ['sms_opt_outs', `phone = '+1 555 0100'`],
};

describe('CHECK and unique constraints', () => {
  let db: TestDatabase;
  let owner: Pool;
  let rows: TenantRows;

  beforeAll(async () => {
    db = await createTestDatabase();
    owner = new Pool({ connectionString: db.ownerUrl, max: 2 });
    rows = await seedTenant(owner);
  });
  afterAll(async () => {
    await owner?.end();
    await db?.drop();
  });

  it('exercises every CHECK constraint of the schema', async () => {
    const { rows: checks } = await owner.query<{ name: string }>(
      `select conname as name from pg_constraint where contype = 'c' and connamespace = 'public'::regnamespace`);
    expect(checks.map((c) => c.name).sort()).toEqual(Object.keys(VIOLATIONS).sort());
  });

  it.each(Object.entries(VIOLATIONS))('%s rejects a bad row and names itself', async (constraint, [table, set]) => {
    const update = owner.query(`update ${table} set ${set} where ${TENANT_TABLES[table]} = $1`, [rows.clientId]);
    await expect(update).rejects.toMatchObject({ code: '23514', constraint, message: expect.stringContaining(constraint) });
  });

  it('a donor\'s email is unique per client whatever its case, and so is a phone', async () => {
    const [{ email, phone }] = (await owner.query('select email, phone from donors where id = $1', [rows.donorId])).rows;
    await expect(owner.query('insert into donors (client_id, email) values ($1, $2)', [rows.clientId, String(email).toUpperCase()]))
      .rejects.toMatchObject({ code: '23505', constraint: 'donors_client_email_unique' });
    await expect(owner.query('insert into donors (client_id, phone) values ($1, $2)', [rows.clientId, phone]))
      .rejects.toMatchObject({ code: '23505', constraint: 'donors_client_phone_unique' });
    const other = await seedTenant(owner);
    await expect(owner.query('insert into donors (client_id, email) values ($1, $2)', [other.clientId, email])).resolves.toBeDefined();
  });

  it('one delivery per (campaign, step, donor), one spend per batch, one active profile usage per campaign', async () => {
    await expect(owner.query(`insert into campaign_deliveries (campaign_id, step_number, donor_id, client_id) values ($1, 1, $2, $3)`,
      [rows.campaignId, rows.donorId, rows.clientId])).rejects.toMatchObject({ code: '23505', constraint: 'campaign_deliveries_pkey' });
    const [{ batch_key: batchKey }] = (await owner.query('select batch_key from budget_spend where id = $1', [rows.spendId])).rows;
    await expect(owner.query(`insert into budget_spend (client_id, budget_id, campaign_id, batch_key, messages, amount) values ($1, $2, $3, $4, 1, 1)`,
      [rows.clientId, rows.budgetId, rows.campaignId, batchKey])).rejects.toMatchObject({ code: '23505', constraint: 'budget_spend_batch_key_key' });
    await expect(owner.query(`insert into campaign_profile_usage (client_id, campaign_id, budget_id, usage_type) values ($1, $2, $3, 'INDIVIDUAL')`,
      [rows.clientId, rows.campaignId, rows.budgetId])).rejects.toMatchObject({ code: '23505', constraint: 'idx_campaign_profile_usage_active' });
  });

  it('budget figures always agree with amount and amount spent, even overspent', async () => {
    const figures = async (spent: number, amount = 100) => (await owner.query<{ remaining: string; percentage: string }>(
      `update budgets set amount = $2, amount_spent = $3 where id = $1 returning amount_remaining as remaining, percentage_spent as percentage`,
      [rows.budgetId, amount, spent])).rows[0];
    expect(await figures(0)).toEqual({ remaining: '100.00', percentage: '0.00' });
    expect(await figures(33.333)).toEqual({ remaining: '66.67', percentage: '33.33' });
    expect(await figures(250)).toEqual({ remaining: '-150.00', percentage: '250.00' });
    expect(await figures(1e6)).toEqual({ remaining: '-999900.00', percentage: '999.99' });
    expect(await figures(5, 0)).toEqual({ remaining: '-5.00', percentage: '100.00' });
  });

  it('a container knows which of its three profiles it lacks', async () => {
    const { rows: [container] } = await owner.query(
      `insert into customer_profile_containers (client_id, name, budget_id) values ($1, 'Partial', $2) returning is_complete, missing_profiles`,
      [rows.clientId, rows.budgetId]);
    expect(container).toEqual({ is_complete: false, missing_profiles: ['customer_profile', 'brand_guidelines'] });
    const { rows: [complete] } = await owner.query('select is_complete, missing_profiles from customer_profile_containers where id = $1', [rows.containerId]);
    expect(complete).toEqual({ is_complete: true, missing_profiles: [] });
  });
});
