import { Migration } from '@mikro-orm/migrations';

/**
 * Campaign stats count what happened to an email, not how many events said so: each fact an Event
 * Webhook event records gets a column stamped the first time only (delivered_at, opened_at, clicked_at
 * and bounced_at existed). Rows already at a status are stamped from it, so a late repeat of an old
 * fact does not count again. A drop for an "Unsubscribed Address" suppresses the donor, with its reason.
 */
export class Migration20261130030000EmailFacts extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table email_sends add column dropped_at timestamptz, add column spam_reported_at timestamptz, add column unsubscribed_at timestamptz;');
    this.addSql(`update email_sends set dropped_at = bounced_at, bounced_at = null where bounce_reason = 'dropped';`);
    this.addSql(`update email_sends set spam_reported_at = updated_at where status = 'spamreport';`);
    this.addSql(`update email_sends set unsubscribed_at = updated_at where status = 'unsubscribed';`);
    this.addSql('alter table donors drop constraint chk_donors_suppression_reason;');
    this.addSql(`alter table donors add constraint chk_donors_suppression_reason
                   check (email_suppression_reason in ('bounce', 'spamreport', 'invalid', 'manual', 'unsubscribed'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`update donors set email_suppression_reason = 'manual' where email_suppression_reason = 'unsubscribed';`);
    this.addSql('alter table donors drop constraint chk_donors_suppression_reason;');
    this.addSql(`alter table donors add constraint chk_donors_suppression_reason
                   check (email_suppression_reason in ('bounce', 'spamreport', 'invalid', 'manual'));`);
    this.addSql('update email_sends set bounced_at = coalesce(bounced_at, dropped_at) where dropped_at is not null;');
    this.addSql('alter table email_sends drop column dropped_at, drop column spam_reported_at, drop column unsubscribed_at;');
  }
}
