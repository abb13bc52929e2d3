import { Migration } from '@mikro-orm/migrations';

const AUDIT = `
        version integer not null default 1 check (version >= 1),
        metadata jsonb not null default '{}',
        created_by varchar(255),
        updated_by varchar(255),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        deleted_at timestamptz`;

/**
 * Seed 004: target customer profiles, brand guidelines, budgets, the containers that group them and the
 * record of which campaign uses which. Versions support optimistic locking; deletes are soft.
 */
export class Migration20261125000400Profiles extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table target_customer_profiles (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        name varchar(255) not null,
        description text,
        demographics jsonb not null default '{}',
        interests text[] not null default '{}',
        behavior jsonb not null default '{}',
        persona jsonb not null default '{}',
        is_default boolean not null default false,
        is_active boolean not null default true,${AUDIT}
      );`);
    this.addSql('create index idx_target_customer_profiles_client on target_customer_profiles(client_id);');
    this.addSql('create index idx_target_customer_profiles_demographics on target_customer_profiles using gin (demographics);');
    this.addSql('create index idx_target_customer_profiles_interests on target_customer_profiles using gin (interests);');
    this.addSql('create index idx_target_customer_profiles_deleted_at on target_customer_profiles(deleted_at) where deleted_at is null;');
    this.addSql('create index idx_target_customer_profiles_name_trgm on target_customer_profiles using gin (name gin_trgm_ops);');

    this.addSql(`
      create table brand_guidelines (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        brand_name varchar(255) not null,
        detail_level varchar(50) not null default 'high-level' constraint chk_brand_guidelines_detail_level check (detail_level in ('high-level', 'full')),
        high_level_guidelines jsonb not null default '{}',
        full_style_guide jsonb,
        industry varchar(255),
        brand_values text[] not null default '{}',
        is_default boolean not null default false,${AUDIT}
      );`);
    this.addSql('create index idx_brand_guidelines_client on brand_guidelines(client_id);');
    this.addSql('create index idx_brand_guidelines_full_style_guide on brand_guidelines using gin (full_style_guide);');
    this.addSql('create index idx_brand_guidelines_deleted_at on brand_guidelines(deleted_at) where deleted_at is null;');

    this.addSql(`
      create table budgets (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        name varchar(255) not null,
        amount decimal(15,2) not null constraint chk_budgets_amount check (amount >= 0),
        currency char(3) not null default 'usd',
        delivery_method varchar(50) not null default 'STANDARD' constraint chk_budgets_delivery_method check (delivery_method in ('STANDARD', 'ACCELERATED')),
        period varchar(50) not null default 'LIFETIME' constraint chk_budgets_period check (period in ('DAILY', 'WEEKLY', 'MONTHLY', 'QUARTERLY', 'YEARLY', 'LIFETIME')),
        status varchar(50) not null default 'ACTIVE' constraint chk_budgets_status check (status in ('ACTIVE', 'PAUSED', 'EXHAUSTED', 'ARCHIVED')),
        type varchar(50) not null default 'CAMPAIGN' constraint chk_budgets_type check (type in ('CAMPAIGN', 'ACCOUNT', 'SHARED')),
        amount_spent decimal(15,2) not null default 0 constraint chk_budgets_amount_spent check (amount_spent >= 0),
        amount_remaining decimal(15,2),
        percentage_spent decimal(5,2),
        cost_per_message decimal(10,4) not null default 0 constraint chk_budgets_cost_per_message check (cost_per_message >= 0),
        hard_cap boolean not null default true,
        is_shared boolean not null default false,
        campaign_ids text[] not null default '{}',
        alerts jsonb not null default '[]',
        start_date date,
        end_date date,${AUDIT}
      );`);
    this.addSql('create index idx_budgets_client_status on budgets(client_id, status);');
    this.addSql('create index idx_budgets_deleted_at on budgets(deleted_at) where deleted_at is null;');
    // amount_remaining and percentage_spent always agree with amount and amount_spent; the percentage is
    // capped at 999.99 so an overspent budget never overflows numeric(5,2).
    this.addSql(`
      create or replace function calculate_budget_figures() returns trigger as $$
      begin
        new.amount_remaining = new.amount - new.amount_spent;
        new.percentage_spent = case
          when new.amount > 0 then least(round(new.amount_spent * 100 / new.amount, 2), 999.99)
          when new.amount_spent > 0 then 100
          else 0 end;
        return new;
      end;
      $$ language plpgsql;`);
    this.addSql('create trigger calculate_budget_figures before insert or update on budgets for each row execute function calculate_budget_figures();');

    this.addSql(`
      create table budget_alert_events (
        budget_id uuid not null references budgets(id) on delete cascade,
        client_id uuid not null references clients(id) on delete cascade,
        threshold_percent decimal(5,2) not null,
        fired_at timestamptz not null default now(),
        primary key (budget_id, threshold_percent)
      );`);

    this.addSql(`
      create table customer_profile_containers (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        name varchar(255) not null,
        description text,
        customer_profile_id uuid references target_customer_profiles(id) on delete restrict on update cascade,
        brand_guidelines_id uuid references brand_guidelines(id) on delete restrict on update cascade,
        budget_id uuid references budgets(id) on delete restrict on update cascade,
        is_default boolean not null default false,
        is_primary boolean not null default false,
        status varchar(50) not null default 'ACTIVE' constraint chk_containers_status check (status in ('ACTIVE', 'INACTIVE', 'DRAFT', 'ARCHIVED')),
        is_complete boolean not null default false,
        missing_profiles text[] not null default '{}',${AUDIT}
      );`);
    this.addSql('create index idx_containers_client on customer_profile_containers(client_id);');
    this.addSql('create index idx_containers_account_status on customer_profile_containers(client_id, status, created_at desc);');
    this.addSql('create index idx_containers_deleted_at on customer_profile_containers(deleted_at) where deleted_at is null;');
    this.addSql('create index idx_containers_name_trgm on customer_profile_containers using gin (name gin_trgm_ops);');
    this.addSql('create unique index idx_containers_unique_default_per_account on customer_profile_containers(client_id, is_default) where is_default = true and deleted_at is null;');
    this.addSql(`
      create or replace function update_container_completeness() returns trigger as $$
      begin
        new.missing_profiles = array_remove(array[
          case when new.customer_profile_id is null then 'customer_profile' end,
          case when new.brand_guidelines_id is null then 'brand_guidelines' end,
          case when new.budget_id is null then 'budget' end], null);
        new.is_complete = cardinality(new.missing_profiles) = 0;
        return new;
      end;
      $$ language plpgsql;`);
    this.addSql('create trigger update_container_completeness before insert or update on customer_profile_containers for each row execute function update_container_completeness();');

    this.addSql(`
      create table campaign_profile_usage (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        campaign_id uuid not null references campaigns(id) on delete cascade on update cascade,
        container_id uuid references customer_profile_containers(id) on delete cascade on update cascade,
        customer_profile_id uuid references target_customer_profiles(id) on delete cascade on update cascade,
        brand_guidelines_id uuid references brand_guidelines(id) on delete cascade on update cascade,
        budget_id uuid references budgets(id) on delete cascade on update cascade,
        usage_type varchar(50) not null constraint chk_usage_type check (usage_type in ('CONTAINER', 'INDIVIDUAL', 'HYBRID')),
        is_active boolean not null default true,
        created_by varchar(255),
        updated_by varchar(255),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint chk_usage_type_references check (
          (usage_type = 'CONTAINER' and container_id is not null and customer_profile_id is null and brand_guidelines_id is null and budget_id is null) or
          (usage_type = 'INDIVIDUAL' and container_id is null and num_nonnulls(customer_profile_id, brand_guidelines_id, budget_id) > 0) or
          (usage_type = 'HYBRID' and container_id is not null and num_nonnulls(customer_profile_id, brand_guidelines_id, budget_id) > 0))
      );`);
    this.addSql('create unique index idx_campaign_profile_usage_active on campaign_profile_usage(campaign_id) where is_active = true;');
    this.addSql('create index idx_campaign_profile_usage_client on campaign_profile_usage(client_id);');

    for (const table of ['target_customer_profiles', 'brand_guidelines', 'budgets', 'customer_profile_containers', 'campaign_profile_usage']) {
      this.addSql(`create trigger update_${table}_updated_at before update on ${table} for each row execute function update_updated_at_column();`);
    }
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists campaign_profile_usage;');
    this.addSql('drop table if exists customer_profile_containers;');
    this.addSql('drop function if exists update_container_completeness();');
    this.addSql('drop table if exists budget_alert_events;');
    this.addSql('drop table if exists budgets;');
    this.addSql('drop function if exists calculate_budget_figures();');
    this.addSql('drop table if exists brand_guidelines;');
    this.addSql('drop table if exists target_customer_profiles;');
  }
}
