import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 10 item 4: RFM monetary tiers are seed 000's US-dollar amounts ($50, $200, $500, $1,000). A client
 * reporting in another currency says how many units of its currency one US dollar is worth, so a ¥5,000 gift
 * is scored as about $33, not as $5,000. Null means 1 (US-dollar clients).
 */
export class Migration20261130110000RfmTierRate extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table clients add column rfm_tier_rate numeric(18, 6)
                   constraint chk_clients_rfm_tier_rate check (rfm_tier_rate > 0);`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table clients drop column if exists rfm_tier_rate;');
  }
}
