import { Migration } from '@mikro-orm/migrations';
import { tenantIsolationSql } from './tenant-policies';

/** The tenant tables this migration adds, by the column that names their client. */
export const UNSUBSCRIBE_GROUP_TENANT_TABLES: Record<string, string> = { sendgrid_unsubscribe_groups: 'client_id' };

/**
 * One SendGrid account serves every client, so each client's opt-outs live in SendGrid unsubscribe
 * groups of its own (one per client and mail category), created through the API and recorded here;
 * mail is sent with its group's asm.group_id. Nothing is written to the account-wide global list, so no
 * client's preference change can add or remove another client's suppression.
 */
export class Migration20261130030100UnsubscribeGroups extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table sendgrid_unsubscribe_groups (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        category text not null constraint chk_sendgrid_unsubscribe_groups_category check (category in ('marketing', 'newsletter', 'events')),
        group_id integer not null unique,
        created_at timestamptz not null default now(),
        unique (client_id, category)
      );`);
    for (const sql of tenantIsolationSql(UNSUBSCRIBE_GROUP_TENANT_TABLES)) this.addSql(sql);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists sendgrid_unsubscribe_groups;');
  }
}
