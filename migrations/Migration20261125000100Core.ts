import { Migration } from '@mikro-orm/migrations';

/** Seed 000: clients (the tenant), Track15 campaigns and their narrative steps, donors with RFM, donations. */
export class Migration20261125000100Core extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create or replace function update_updated_at_column() returns trigger as $$
      begin
        new.updated_at = now();
        return new;
      end;
      $$ language plpgsql;`);

    this.addSql(`
      create table clients (
        id uuid primary key default gen_random_uuid(),
        name varchar(255) not null,
        activation_token varchar(5) unique constraint chk_clients_activation_token check (activation_token ~ '^G[0-9]{4}$'),
        current_version_id uuid,
        status varchar(20) not null default 'pending' constraint chk_clients_status check (status in ('pending', 'active', 'paid', 'failed')),
        metadata jsonb not null default '{}',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);

    this.addSql(`
      create table campaigns (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        name varchar(255) not null,
        description text,
        goal_amount decimal(12,2),
        start_date date,
        end_date date,
        status varchar(50) default 'draft',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        deleted_at timestamptz,
        stats jsonb not null default '{}',
        track15_enabled boolean not null default false,
        track15_season varchar(20),
        track15_stage varchar(30),
        track15_template_key varchar(100),
        track15_core_story jsonb,
        track15_control_conversion decimal(5,4),
        track15_test_conversion decimal(5,4),
        track15_control_revenue decimal(12,2),
        track15_test_revenue decimal(12,2),
        track15_activated_at timestamptz,
        track15_completed_at timestamptz,
        track15_send_hour smallint not null default 9 constraint chk_track15_send_hour check (track15_send_hour between 0 and 23),
        track15_timezone varchar(64) not null default 'UTC',
        track15_day_length_seconds integer not null default 86400 constraint chk_track15_day_length check (track15_day_length_seconds > 0),
        track15_control_share numeric(4,3) not null default 0.100 constraint chk_track15_control_share check (track15_control_share between 0 and 0.5),
        track15_control_treatment varchar(20) not null default 'holdout' constraint chk_track15_control_treatment check (track15_control_treatment in ('holdout', 'standard_appeal')),
        track15_paused_at timestamptz,
        track15_pause_reason text,
        track15_stop_reason text,
        track15_analytics jsonb,
        constraint chk_track15_season check (track15_season in ('spring', 'summer', 'fall', 'year_end')),
        constraint chk_track15_stage check (track15_stage in ('draft', 'ready_for_launch', 'active', 'paused', 'completed')),
        constraint chk_track15_conversion_range check (
          (track15_control_conversion is null or track15_control_conversion between 0 and 1) and
          (track15_test_conversion is null or track15_test_conversion between 0 and 1)),
        constraint chk_track15_revenue_positive check (
          (track15_control_revenue is null or track15_control_revenue >= 0) and
          (track15_test_revenue is null or track15_test_revenue >= 0))
      );`);
    this.addSql('create index idx_campaigns_track15_enabled on campaigns(track15_enabled) where track15_enabled = true;');
    this.addSql('create index idx_campaigns_track15_season on campaigns(track15_season) where track15_season is not null;');
    this.addSql('create index idx_campaigns_track15_stage on campaigns(track15_stage) where track15_stage is not null;');
    this.addSql('create index idx_campaigns_client_track15 on campaigns(client_id, track15_enabled) where track15_enabled = true;');
    this.addSql('create index idx_campaigns_client_active on campaigns(client_id, created_at desc) where deleted_at is null;');
    this.addSql('create trigger update_campaigns_updated_at before update on campaigns for each row execute function update_updated_at_column();');
    this.addSql('create trigger update_clients_updated_at before update on clients for each row execute function update_updated_at_column();');

    this.addSql(`
      create table track15_narrative_steps (
        id uuid primary key default gen_random_uuid(),
        campaign_id uuid not null references campaigns(id) on delete cascade,
        client_id uuid not null references clients(id) on delete cascade,
        step_number integer not null check (step_number between 1 and 15),
        stage varchar(20) not null check (stage in ('awareness', 'engagement', 'consideration', 'conversion', 'gratitude')),
        day integer not null check (day between 1 and 15),
        subject_line text not null,
        message text not null,
        call_to_action text not null,
        segment_customization jsonb,
        channel varchar(10) not null default 'email' constraint chk_track15_step_channel check (channel in ('email', 'sms')),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (campaign_id, step_number)
      );`);
    this.addSql('create index idx_track15_narrative_steps_campaign on track15_narrative_steps(campaign_id);');
    this.addSql('create index idx_track15_narrative_steps_stage on track15_narrative_steps(stage);');
    this.addSql('create index idx_track15_narrative_steps_day on track15_narrative_steps(day);');
    this.addSql('create trigger update_track15_narrative_steps_updated_at before update on track15_narrative_steps for each row execute function update_updated_at_column();');

    this.addSql(`
      create table donors (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        email varchar(255),
        phone varchar(20),
        first_name varchar(100),
        last_name varchar(100),
        timezone varchar(64),
        stage varchar(20) not null default 'lead' constraint chk_donors_stage check (stage in ('lead', 'marketing', 'trial', 'active', 'churned', 'dormant')),
        source varchar(30) not null default 'website' constraint chk_donors_source check (source in ('website', 'sms_campaign', 'email_campaign', 'referral', 'organic', 'paid_ads', 'social', 'other', 'import')),
        marketing_qualified_at timestamptz,
        trial_started_at timestamptz,
        subscribed_at timestamptz,
        churned_at timestamptz,
        rfm_segment varchar(30),
        rfm_recency_score integer check (rfm_recency_score between 1 and 5),
        rfm_frequency_score integer check (rfm_frequency_score between 1 and 5),
        rfm_monetary_score integer check (rfm_monetary_score between 1 and 5),
        rfm_last_calculated timestamptz,
        email_suppressed_at timestamptz,
        email_suppression_reason varchar(30) constraint chk_donors_suppression_reason check (email_suppression_reason in ('bounce', 'spamreport', 'invalid', 'manual')),
        tags text[] not null default '{}',
        metadata jsonb not null default '{}',
        is_active boolean not null default true,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint chk_rfm_segment check (rfm_segment in ('Champions', 'Loyal', 'Potential Loyalists', 'New Donors', 'Promising', 'Need Attention', 'At Risk')),
        constraint chk_donors_reachable check (email is not null or phone is not null)
      );`);
    this.addSql('create unique index donors_client_email_unique on donors(client_id, lower(email)) where email is not null;');
    this.addSql('create unique index donors_client_phone_unique on donors(client_id, phone) where phone is not null;');
    this.addSql('create index idx_donors_rfm_segment on donors(rfm_segment) where rfm_segment is not null;');
    this.addSql('create index idx_donors_client_rfm on donors(client_id, rfm_segment);');
    this.addSql('create index idx_donors_stage on donors(client_id, stage);');
    this.addSql('create index idx_donors_source on donors(client_id, source);');
    this.addSql('create index idx_donors_tags on donors using gin (tags);');
    this.addSql(`create index idx_donors_search on donors using gin (to_tsvector('simple', coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(email, '')));`);
    this.addSql('create index idx_donors_email_trgm on donors using gin (email gin_trgm_ops);');
    this.addSql(`create index idx_donors_name_trgm on donors using gin ((coalesce(first_name, '') || ' ' || coalesce(last_name, '')) gin_trgm_ops);`);
    this.addSql('create trigger update_donors_updated_at before update on donors for each row execute function update_updated_at_column();');

    this.addSql(`
      create table donations (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        donor_id uuid not null references donors(id) on delete cascade,
        campaign_id uuid references campaigns(id) on delete set null,
        amount decimal(12,2) not null constraint chk_donations_amount_positive check (amount > 0),
        currency char(3) not null default 'usd',
        status varchar(20) not null default 'succeeded' constraint chk_donations_status check (status in ('pending', 'succeeded', 'failed', 'refunded')),
        donated_at timestamptz not null default now(),
        refunded_at timestamptz,
        source varchar(20) not null default 'offline' constraint chk_donations_source check (source in ('offline', 'stripe', 'import')),
        payment_id uuid,
        stripe_payment_intent_id varchar(255) unique,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`create index idx_donations_donor_succeeded on donations(client_id, donor_id, donated_at) where status = 'succeeded';`);
    this.addSql('create index idx_donations_campaign on donations(campaign_id, donor_id);');
    this.addSql('create index idx_donations_donor on donations(donor_id);');
    this.addSql('create trigger update_donations_updated_at before update on donations for each row execute function update_updated_at_column();');

    // Seed 002's function: one UPDATE reads and writes the row under its lock, so concurrent calls lose nothing.
    this.addSql(`
      create or replace function increment_campaign_stat(p_campaign_id uuid, p_stat_name text, p_increment integer default 1)
      returns void as $$
      begin
        update campaigns
           set stats = jsonb_set(coalesce(stats, '{}'), array[p_stat_name],
                                 to_jsonb(coalesce((stats->>p_stat_name)::integer, 0) + p_increment)),
               updated_at = now()
         where id = p_campaign_id;
      end;
      $$ language plpgsql;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop function if exists increment_campaign_stat(uuid, text, integer);');
    this.addSql('drop table if exists donations;');
    this.addSql('drop table if exists donors;');
    this.addSql('drop table if exists track15_narrative_steps;');
    this.addSql('drop table if exists campaigns;');
    this.addSql('drop table if exists clients;');
    this.addSql('drop function if exists update_updated_at_column();');
  }
}
