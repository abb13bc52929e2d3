import { Migration } from '@mikro-orm/migrations';

/**
 * What running campaigns need: the audience frozen at activation, the per-recipient delivery ledger
 * (one row per campaign, step and donor), the budget spend ledger, webhook deduplication and API keys.
 */
export class Migration20261125000600Orchestration extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table campaign_recipients (
        campaign_id uuid not null references campaigns(id) on delete cascade,
        donor_id uuid not null references donors(id) on delete cascade,
        client_id uuid not null references clients(id) on delete cascade,
        recipient_group varchar(10) not null constraint chk_campaign_recipients_group check (recipient_group in ('test', 'control')),
        segment_at_start varchar(30) constraint chk_campaign_recipients_segment check (segment_at_start in ('Champions', 'Loyal', 'Potential Loyalists', 'New Donors', 'Promising', 'Need Attention', 'At Risk')),
        shard smallint not null default 0 constraint chk_campaign_recipients_shard check (shard >= 0),
        created_at timestamptz not null default now(),
        primary key (campaign_id, donor_id)
      );`);
    this.addSql('create index idx_campaign_recipients_group on campaign_recipients(campaign_id, recipient_group, donor_id);');
    // A touchpoint pages each shard of the audience in its own lane, side by side.
    this.addSql('create index idx_campaign_recipients_shard on campaign_recipients(campaign_id, shard, donor_id);');
    this.addSql('create index idx_campaign_recipients_donor on campaign_recipients(donor_id);');

    // A row is written (pending) before the provider is called and settled after; send_key tags the
    // attempt, so one that a crash interrupted can be reconciled against the provider's records.
    this.addSql(`
      create table campaign_deliveries (
        campaign_id uuid not null references campaigns(id) on delete cascade,
        step_number smallint not null constraint chk_campaign_deliveries_step check (step_number between 1 and 15),
        donor_id uuid not null references donors(id) on delete cascade,
        client_id uuid not null references clients(id) on delete cascade,
        channel varchar(10) not null default 'email' constraint chk_campaign_deliveries_channel check (channel in ('email', 'sms')),
        status varchar(20) not null default 'pending' constraint chk_campaign_deliveries_status
          check (status in ('pending', 'sent', 'delivered', 'opened', 'clicked', 'bounced', 'skipped', 'failed')),
        skip_reason varchar(30) constraint chk_campaign_deliveries_skip_reason
          check (skip_reason in ('unsubscribed', 'suppressed', 'no_address', 'control_group', 'already_gave', 'budget_exhausted')),
        failure_reason text,
        provider_message_id varchar(255),
        email_send_id uuid references email_sends(id) on delete set null,
        send_key uuid,
        cost_cents integer not null default 0,
        attempts smallint not null default 0,
        created_at timestamptz not null default now(),
        settled_at timestamptz,
        updated_at timestamptz not null default now(),
        primary key (campaign_id, step_number, donor_id),
        constraint chk_campaign_deliveries_skipped_has_reason check (status <> 'skipped' or skip_reason is not null)
      );`);
    this.addSql('create index idx_campaign_deliveries_donor on campaign_deliveries(client_id, donor_id);');
    this.addSql(`create index idx_campaign_deliveries_pending on campaign_deliveries(campaign_id, step_number, donor_id) where status = 'pending';`);
    this.addSql('create trigger update_campaign_deliveries_updated_at before update on campaign_deliveries for each row execute function update_updated_at_column();');

    this.addSql(`
      create table budget_spend (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        budget_id uuid not null references budgets(id) on delete cascade,
        campaign_id uuid not null references campaigns(id) on delete cascade,
        step_number smallint,
        batch_key varchar(200) not null unique,
        messages integer not null constraint chk_budget_spend_messages check (messages >= 0),
        amount decimal(15,2) not null constraint chk_budget_spend_amount check (amount >= 0),
        created_at timestamptz not null default now()
      );`);
    this.addSql('create index idx_budget_spend_budget on budget_spend(budget_id);');
    this.addSql('create index idx_budget_spend_campaign on budget_spend(campaign_id);');

    this.addSql(`
      create table processed_webhook_events (
        provider varchar(20) not null constraint chk_processed_webhook_events_provider check (provider in ('stripe', 'sendgrid')),
        event_id varchar(255) not null,
        client_id uuid references clients(id) on delete cascade,
        received_at timestamptz not null default now(),
        primary key (provider, event_id)
      );`);

    this.addSql(`
      create table api_keys (
        id uuid primary key default gen_random_uuid(),
        client_id uuid references clients(id) on delete cascade,
        role varchar(20) not null constraint chk_api_keys_role check (role in ('operator', 'client')),
        name varchar(255) not null,
        key_prefix varchar(16) not null,
        key_hash char(64) not null unique,
        created_at timestamptz not null default now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        constraint chk_api_keys_operator_has_no_client check ((role = 'operator') = (client_id is null))
      );`);
    this.addSql('create index idx_api_keys_client on api_keys(client_id);');
    // Authentication happens before a tenant is known, so it cannot go through row-level security:
    // this definer-rights function answers exactly one question, for one hash.
    this.addSql(`
      create or replace function authenticate_api_key(p_hash text)
      returns table (id uuid, client_id uuid, role varchar) as $$
        update api_keys k set last_used_at = now()
         where k.key_hash = p_hash and k.revoked_at is null
        returning k.id, k.client_id, k.role;
      $$ language sql security definer set search_path = public;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop function if exists authenticate_api_key(text);');
    this.addSql('drop table if exists api_keys;');
    this.addSql('drop table if exists processed_webhook_events;');
    this.addSql('drop table if exists budget_spend;');
    this.addSql('drop table if exists campaign_deliveries;');
    this.addSql('drop table if exists campaign_recipients;');
  }
}
