import { Migration } from '@mikro-orm/migrations';

/**
 * The delivery ledger and email_sends share their key (campaign, step, donor), so the ledger's
 * email_send_id repeated what the key already says. It cost a foreign-key check per settled message,
 * and with no index behind it, deleting email sends scanned the ledger once per row.
 */
export class Migration20261125001100LedgerWithoutEmailSendLink extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table campaign_deliveries drop column email_send_id;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table campaign_deliveries add column email_send_id uuid references email_sends(id) on delete set null;');
    this.addSql(`update campaign_deliveries l set email_send_id = s.id from email_sends s
                  where s.campaign_id = l.campaign_id and s.step_number = l.step_number and s.donor_id = l.donor_id;`);
  }
}
