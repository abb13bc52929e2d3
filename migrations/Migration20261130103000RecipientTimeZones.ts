import { Migration } from '@mikro-orm/migrations';

/**
 * Local delivery (issue 14, item 6): each recipient's time zone is frozen with the audience at activation
 * (the donor's, else the campaign's), so a touchpoint's waves and the recipients of each are fixed for the
 * campaign however donors are edited later. Campaigns activated before have null zones and deliver as one
 * wave, as they always did. The index answers "which zones does this audience span" per touchpoint plan.
 */
export class Migration20261130103000RecipientTimeZones extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table campaign_recipients add column timezone varchar(64);');
    this.addSql('create index idx_campaign_recipients_timezone on campaign_recipients(campaign_id, timezone);');
  }

  override async down(): Promise<void> {
    this.addSql('drop index idx_campaign_recipients_timezone;');
    this.addSql('alter table campaign_recipients drop column timezone;');
  }
}
