import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 16 item 1: a version's outcome is set with a note saying why it worked or not, and who decided
 * it when, so the learning record of a content experiment is complete (seed 003 names only `outcome`).
 */
export class Migration20261130106000ContentOutcomes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table content_versions
      add column outcome_note text,
      add column outcome_set_at timestamptz,
      add column outcome_set_by text;`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table content_versions drop column outcome_note, drop column outcome_set_at, drop column outcome_set_by;');
  }
}
