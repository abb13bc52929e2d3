import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 11 item 4: the campaign view and status show what the campaign raised (api/services/campaigns/campaign-progress.ts).
 * Its succeeded gifts, with donor and amount in the index, are an index-only scan of that campaign's own
 * gifts, so the status (benchmarked: bench/api.ts) stays one cheap statement however many gifts the
 * client has.
 */
export class Migration20261130121000CampaignProgress extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index idx_donations_campaign_succeeded on donations(campaign_id, donor_id) include (amount)
                   where status = 'succeeded' and campaign_id is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists idx_donations_campaign_succeeded;');
  }
}
