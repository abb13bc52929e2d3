import { Migration } from '@mikro-orm/migrations';
import { tenantIsolationSql } from './tenant-policies';

/** Every table that belongs to one client, by the column that says which. */
export const TENANT_TABLES: Record<string, string> = {
  clients: 'id',
  campaigns: 'client_id',
  track15_narrative_steps: 'client_id',
  donors: 'client_id',
  donations: 'client_id',
  content_versions: 'client_id',
  content_version_counters: 'client_id',
  payments: 'client_id',
  email_sends: 'client_id',
  notification_preferences: 'client_id',
  events: 'client_id',
  ticket_types: 'client_id',
  event_tickets: 'client_id',
  target_customer_profiles: 'client_id',
  brand_guidelines: 'client_id',
  budgets: 'client_id',
  budget_alert_events: 'client_id',
  customer_profile_containers: 'client_id',
  campaign_profile_usage: 'client_id',
  conversations: 'client_id',
  messages: 'client_id',
  campaign_recipients: 'client_id',
  campaign_deliveries: 'client_id',
  budget_spend: 'client_id',
  api_keys: 'client_id',
  processed_webhook_events: 'client_id',
};

/**
 * Row-level security: the application role sees and writes only the rows of the client named by the
 * transaction-local setting app.client_id (nothing at all when it is unset); the operator role reads
 * and writes across clients. FORCE makes the policies hold for the tables' owner too, except superusers.
 */
export class Migration20261125000700TenantIsolation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create or replace function app_current_client_id() returns uuid as $$
        select nullif(current_setting('app.client_id', true), '')::uuid
      $$ language sql stable;`);
    for (const sql of tenantIsolationSql(TENANT_TABLES)) this.addSql(sql);
    this.addSql('grant select on customer_analytics to track15_app, track15_operator;');
  }

  override async down(): Promise<void> {
    this.addSql('revoke select on customer_analytics from track15_app, track15_operator;');
    for (const table of Object.keys(TENANT_TABLES)) {
      this.addSql(`drop policy if exists operator_access on ${table};`);
      this.addSql(`drop policy if exists tenant_isolation on ${table};`);
      this.addSql(`alter table ${table} no force row level security;`);
      this.addSql(`alter table ${table} disable row level security;`);
      this.addSql(`revoke select, insert, update, delete on ${table} from track15_app, track15_operator;`);
    }
    this.addSql('drop function if exists app_current_client_id();');
  }
}
