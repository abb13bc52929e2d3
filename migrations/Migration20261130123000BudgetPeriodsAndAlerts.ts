import { Migration } from '@mikro-orm/migrations';
import { tenantIsolationSql } from './tenant-policies';

/** The tenant tables this migration adds, by the column that names their client. */
export const BUDGET_ALERT_TENANT_TABLES: Record<string, string> = { budget_alert_settings: 'client_id', budget_alert_attempts: 'client_id' };

/**
 * Budgets by period, and alerts that reach someone (issue 15 items 6 and 7):
 * - `budgets.period_key` names the period the spend figures are for (`DAILY:2026-11-30`, `LIFETIME`…):
 *   for a periodic budget `amount_spent` (and so `amount_remaining`, `percentage_spent`, by the seed's
 *   trigger) is the current period's, renewed when spend first arrives in a new period; `lifetime_spent`
 *   keeps the total. Each spend row records its period;
 * - an alert fires once per budget, period and threshold (the unique key), keeps the figures it fired at
 *   and each channel's delivery state; every delivery attempt is a row of budget_alert_attempts;
 * - budget_alert_settings: where a client's alerts go (an address, a webhook URL and its signing secret).
 */
export class Migration20261130123000BudgetPeriodsAndAlerts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table budgets
        add column period_key varchar(40) not null default 'LIFETIME',
        add column lifetime_spent decimal(15,2) not null default 0 constraint chk_budgets_lifetime_spent check (lifetime_spent >= 0);`);
    this.addSql('update budgets set lifetime_spent = amount_spent;');
    this.addSql(`alter table budget_spend add column period_key varchar(40) not null default 'LIFETIME';`);
    this.addSql('create index idx_budget_spend_budget_period on budget_spend(budget_id, period_key);');

    this.addSql('alter table budget_alert_events drop constraint budget_alert_events_pkey;');
    this.addSql(`
      alter table budget_alert_events
        add column id uuid not null default gen_random_uuid() primary key,
        add column period_key varchar(40) not null default 'LIFETIME',
        add column percentage_spent decimal(5,2),
        add column amount_spent decimal(15,2),
        add column handed_at timestamptz,
        add column email_status varchar(20) not null default 'pending'
          constraint chk_budget_alert_events_email_status check (email_status in ('pending', 'delivered', 'gave_up', 'not_configured')),
        add column webhook_status varchar(20) not null default 'pending'
          constraint chk_budget_alert_events_webhook_status check (webhook_status in ('pending', 'delivered', 'gave_up', 'not_configured')),
        add constraint uq_budget_alert_events_once unique (budget_id, period_key, threshold_percent);`);
    this.addSql('create index idx_budget_alert_events_unhanded on budget_alert_events(budget_id) where handed_at is null;');

    this.addSql(`
      create table budget_alert_settings (
        client_id uuid primary key references clients(id) on delete cascade,
        email varchar(320),
        webhook_url varchar(2048) constraint chk_budget_alert_settings_webhook_url check (webhook_url ~ '^https?://'),
        signing_secret varchar(100) not null,
        updated_by varchar(255),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);
    this.addSql('create trigger update_budget_alert_settings_updated_at before update on budget_alert_settings for each row execute function update_updated_at_column();');
    this.addSql(`
      create table budget_alert_attempts (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        alert_id uuid not null references budget_alert_events(id) on delete cascade,
        channel varchar(10) not null constraint chk_budget_alert_attempts_channel check (channel in ('email', 'webhook')),
        attempt integer not null constraint chk_budget_alert_attempts_attempt check (attempt >= 1),
        target varchar(2048) not null,
        started_at timestamptz not null default now(),
        finished_at timestamptz,
        outcome varchar(20) constraint chk_budget_alert_attempts_outcome check (outcome in ('delivered', 'failed')),
        http_status integer,
        error text
      );`);
    this.addSql('create index idx_budget_alert_attempts_alert on budget_alert_attempts(alert_id, started_at);');
    for (const sql of tenantIsolationSql(BUDGET_ALERT_TENANT_TABLES)) this.addSql(sql);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists budget_alert_attempts;');
    this.addSql('drop table if exists budget_alert_settings;');
    this.addSql('drop index if exists idx_budget_alert_events_unhanded;');
    this.addSql(`
      alter table budget_alert_events
        drop constraint uq_budget_alert_events_once, drop column webhook_status, drop column email_status, drop column handed_at,
        drop column amount_spent, drop column percentage_spent, drop column period_key, drop column id;`);
    this.addSql('alter table budget_alert_events add primary key (budget_id, threshold_percent);');
    this.addSql('drop index if exists idx_budget_spend_budget_period;');
    this.addSql('alter table budget_spend drop column period_key;');
    this.addSql('alter table budgets drop column lifetime_spent, drop column period_key;');
  }
}
