import { Migration } from '@mikro-orm/migrations';
import { tenantIsolationSql } from './tenant-policies';

/** The tenant tables this migration adds, by the column that names their client. */
export const GIVING_TENANT_TABLES: Record<string, string> = {
  give_checkouts: 'client_id',
  give_prices: 'client_id',
  recurring_gifts: 'client_id',
  receipt_counters: 'client_id',
  receipts: 'client_id',
};

/**
 * Issue 11, the money loop: a donor's give link starts a Stripe Checkout Session, Stripe's webhooks record
 * the gift, the donor gets a numbered receipt.
 * - give_checkouts: one row per (give token, amount, frequency), the idempotency key also sent to Stripe,
 *   so a double click or a reload reuses one session.
 * - give_prices: the Stripe Price of a monthly amount, created once per (client, amount, currency).
 * - recurring_gifts: a monthly gift (a Stripe subscription) from its start to its cancellation.
 * - receipts + receipt_counters: receipt numbers run 1, 2, 3... per client and calendar year, without gaps:
 *   the counter row is taken FOR UPDATE (an upsert) in the transaction that records the gift, so a
 *   rolled-back gift takes its number back and two gifts never share one.
 * - donations name the step that converted and, for a monthly gift, its invoice and recurring gift.
 */
export class Migration20261130102000Giving extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table give_prices (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        amount integer not null constraint chk_give_prices_amount check (amount > 0),
        currency char(3) not null constraint chk_give_prices_currency check (currency ~ '^[a-z]{3}$'),
        recurring_interval varchar(10) not null default 'month' constraint chk_give_prices_interval check (recurring_interval in ('month')),
        stripe_price_id varchar(255) not null unique,
        created_at timestamptz not null default now(),
        unique (client_id, amount, currency, recurring_interval)
      );`);
    this.addSql(`
      create table give_checkouts (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        donor_id uuid references donors(id) on delete set null,
        campaign_id uuid references campaigns(id) on delete set null,
        step_number smallint constraint chk_give_checkouts_step check (step_number between 1 and 15),
        idempotency_key varchar(255) not null unique,
        frequency varchar(10) not null constraint chk_give_checkouts_frequency check (frequency in ('once', 'monthly')),
        amount integer not null constraint chk_give_checkouts_amount check (amount > 0),
        currency char(3) not null,
        stripe_session_id varchar(255) unique,
        session_url text,
        created_at timestamptz not null default now()
      );`);
    this.addSql('create index idx_give_checkouts_client on give_checkouts(client_id, created_at desc);');
    this.addSql(`
      create table recurring_gifts (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        donor_id uuid references donors(id) on delete set null,
        campaign_id uuid references campaigns(id) on delete set null,
        step_number smallint constraint chk_recurring_gifts_step check (step_number between 1 and 15),
        stripe_subscription_id varchar(255) not null unique,
        amount integer not null constraint chk_recurring_gifts_amount check (amount > 0),
        currency char(3) not null,
        status varchar(20) not null default 'active' constraint chk_recurring_gifts_status check (status in ('active', 'cancelled')),
        started_at timestamptz not null default now(),
        cancelled_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);
    this.addSql('create index idx_recurring_gifts_campaign on recurring_gifts(campaign_id);');
    this.addSql('create trigger update_recurring_gifts_updated_at before update on recurring_gifts for each row execute function update_updated_at_column();');

    this.addSql(`
      alter table donations
        add column step_number smallint constraint chk_donations_step check (step_number between 1 and 15),
        add column stripe_invoice_id varchar(255) unique,
        add column recurring_gift_id uuid references recurring_gifts(id) on delete set null;`);
    this.addSql('create index idx_donations_recurring_gift on donations(recurring_gift_id) where recurring_gift_id is not null;');

    this.addSql(`
      create table receipt_counters (
        client_id uuid not null references clients(id) on delete cascade,
        year smallint not null,
        last_number integer not null constraint chk_receipt_counters_last check (last_number >= 0),
        primary key (client_id, year)
      );`);
    this.addSql(`
      create table receipts (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        donation_id uuid not null unique references donations(id) on delete cascade,
        donor_id uuid references donors(id) on delete set null,
        recurring_gift_id uuid references recurring_gifts(id) on delete set null,
        year smallint not null,
        number integer not null constraint chk_receipts_number check (number > 0),
        amount integer not null constraint chk_receipts_amount check (amount > 0),
        currency char(3) not null,
        issued_at timestamptz not null default now(),
        voided_at timestamptz,
        email_status varchar(20) not null default 'pending' constraint chk_receipts_email_status check (email_status in ('pending', 'sending', 'sent', 'skipped')),
        email_skip_reason varchar(40),
        send_key uuid,
        emailed_at timestamptz,
        unique (client_id, year, number)
      );`);
    this.addSql('create index idx_receipts_donor on receipts(client_id, donor_id);');

    for (const sql of tenantIsolationSql(GIVING_TENANT_TABLES)) this.addSql(sql);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists receipts;');
    this.addSql('drop table if exists receipt_counters;');
    this.addSql('alter table donations drop column if exists recurring_gift_id, drop column if exists stripe_invoice_id, drop column if exists step_number;');
    this.addSql('drop table if exists recurring_gifts;');
    this.addSql('drop table if exists give_checkouts;');
    this.addSql('drop table if exists give_prices;');
  }
}
