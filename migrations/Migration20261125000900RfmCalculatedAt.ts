import { Migration } from '@mikro-orm/migrations';

/**
 * The nightly RFM recalculation rewrites only donors whose scores changed (a donor row rewrite touches
 * every index of donors), so "as of when are this client's scores current" is recorded on the client.
 */
export class Migration20261125000900RfmCalculatedAt extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table clients add column rfm_calculated_at timestamptz;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table clients drop column if exists rfm_calculated_at;');
  }
}
