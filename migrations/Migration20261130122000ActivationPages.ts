import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 16 items 2-4, the activation pages and their payment:
 * - clients: the activation price (minor units of USD, seed 003's $500 by default), when the activation
 *   reminder goes out and when the token expires (days after it was issued), the length of those days
 *   (86,400 s; only the tests shorten it, in the database, as with campaigns' track15_day_length_seconds),
 *   and when the reminder was sent and the token expired.
 * - agreement_acceptances.submission_id: the id of the agreement form as rendered, so a double click or
 *   a reload of the same form records one acceptance (and so one payment, one Checkout Session).
 * - payments: the Checkout Session started for an acceptance and its URL, so a repeat redirects to it.
 */
export class Migration20261130122000ActivationPages extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table clients
      add column activation_amount integer not null default 50000 constraint chk_clients_activation_amount check (activation_amount between 50 and 99999999),
      add column activation_reminder_days integer not null default 3 constraint chk_clients_activation_reminder_days check (activation_reminder_days between 1 and 365),
      add column activation_expiry_days integer not null default 30 constraint chk_clients_activation_expiry_days check (activation_expiry_days between 1 and 365),
      add column activation_day_length_seconds integer not null default 86400 constraint chk_clients_activation_day_length check (activation_day_length_seconds > 0),
      add column activation_reminded_at timestamptz,
      add column activation_expired_at timestamptz;`);
    this.addSql('alter table agreement_acceptances add column submission_id uuid;');
    this.addSql('create unique index idx_agreement_acceptances_submission on agreement_acceptances(client_id, submission_id);');
    this.addSql(`alter table payments
      add column stripe_checkout_session_id varchar(255) unique,
      add column checkout_url text;`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table payments drop column if exists checkout_url, drop column if exists stripe_checkout_session_id;');
    this.addSql('drop index if exists idx_agreement_acceptances_submission;');
    this.addSql('alter table agreement_acceptances drop column if exists submission_id;');
    this.addSql(`alter table clients drop column if exists activation_amount, drop column if exists activation_reminder_days,
      drop column if exists activation_expiry_days, drop column if exists activation_day_length_seconds,
      drop column if exists activation_reminded_at, drop column if exists activation_expired_at;`);
  }
}
