import { Migration } from '@mikro-orm/migrations';

/**
 * Rehearsals (issue 14 item 3) run as their own workflows, `campaign-rehearsal-<campaign id>-<n>`; the
 * counter hands out n under the campaign's row lock, so two rehearsals of one campaign never share an id.
 */
export class Migration20261130104000Rehearsals extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table campaigns
        add column track15_rehearsals integer not null default 0 constraint chk_track15_rehearsals check (track15_rehearsals >= 0);`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table campaigns drop column if exists track15_rehearsals;');
  }
}
