import { Migration } from '@mikro-orm/migrations';

/**
 * Seed 004 through the API (issue 15):
 * - one default target profile and one default brand guideline per client, as there is one default
 *   container (the seed's rule, extended to the two other "default" flags), among live rows only, so a
 *   restore that would make a second default is refused;
 * - trigram indexes for the name searches the seed does not index yet (brand names, budget names), and a
 *   GIN index on behavior for its containment filters (device preferences), like demographics has.
 */
export class Migration20261130105000ProfilesApi extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create unique index idx_target_customer_profiles_unique_default on target_customer_profiles(client_id)
                   where is_default and deleted_at is null;`);
    this.addSql(`create unique index idx_brand_guidelines_unique_default on brand_guidelines(client_id)
                   where is_default and deleted_at is null;`);
    this.addSql('create index idx_brand_guidelines_brand_name_trgm on brand_guidelines using gin (brand_name gin_trgm_ops);');
    this.addSql('create index idx_budgets_name_trgm on budgets using gin (name gin_trgm_ops);');
    this.addSql('create index idx_target_customer_profiles_behavior on target_customer_profiles using gin (behavior);');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists idx_target_customer_profiles_behavior;');
    this.addSql('drop index if exists idx_budgets_name_trgm;');
    this.addSql('drop index if exists idx_brand_guidelines_brand_name_trgm;');
    this.addSql('drop index if exists idx_brand_guidelines_unique_default;');
    this.addSql('drop index if exists idx_target_customer_profiles_unique_default;');
  }
}
