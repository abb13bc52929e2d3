import { Migration } from '@mikro-orm/migrations';

/**
 * The write path of a touchpoint, made cheaper for the database (issue 14 item 8, the fan-out bench). Per
 * recipient a touchpoint inserts a `pending` ledger row (the claim), updates it once sent (the
 * settlement) and inserts an email send; EXPLAIN ANALYZE of one page of 1,000 put the claim at 68 ms and the
 * settlement at about 120 ms, over a third of it foreign-key checks, most of the rest index upkeep.
 *
 * 1. Keys: every ledger row and every campaign email send is about one recipient of the campaign's frozen
 *    audience, so each now references that recipient row (campaign, donor and client together) instead of
 *    the campaign, the donor and the client apart. PostgreSQL checks a foreign key once per inserted row,
 *    with a row lock on the parent: one composite check replaces three on the ledger and two of three on
 *    email_sends (41 ms and 37 ms a page before).
 * 2. Settlements as HOT updates: a ledger row is written once and updated at least once (settled), usually
 *    more (delivered, opened, clicked). An update that touches no indexed column and finds room on its page
 *    writes no index entry (a heap-only tuple). `idx_campaign_deliveries_pending` made `status` an indexed
 *    column; it goes (the few lookups of pending rows probe the primary key by donor instead), and the
 *    table keeps half of each page free (fillfactor 50) for the versions its rows will have. New pages
 *    only: existing rows move as they are rewritten.
 *
 * What it keeps or tightens:
 * - Cascades: deleting a campaign, donor or client deletes their recipients, and with them these rows,
 *   as the direct keys did (test/db/cascades.test.ts).
 * - Tenancy: a row's client must be its recipient's client (before, each id was only known to exist).
 * - `email_sends.donor_id` keeps its own key to donors (seed 002: sends relate to members), which also
 *   covers a send outside any campaign (campaign_id null, which the composite key does not check).
 * - `idx_email_sends_campaign` goes: the unique (campaign_id, step_number, donor_id) index answers the
 *   same lookups by campaign, and each index is one more insert per send.
 */
export class Migration20261201000000LedgerWritePath extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table campaign_recipients add constraint campaign_recipients_tenant_key unique (campaign_id, donor_id, client_id);');
    this.addSql(`
      alter table campaign_deliveries
        drop constraint campaign_deliveries_campaign_id_fkey,
        drop constraint campaign_deliveries_donor_id_fkey,
        drop constraint campaign_deliveries_client_id_fkey,
        add constraint campaign_deliveries_recipient_fkey foreign key (campaign_id, donor_id, client_id)
          references campaign_recipients (campaign_id, donor_id, client_id) on delete cascade;`);
    this.addSql(`
      alter table email_sends
        drop constraint email_sends_campaign_id_fkey,
        drop constraint email_sends_client_id_fkey,
        add constraint email_sends_recipient_fkey foreign key (campaign_id, donor_id, client_id)
          references campaign_recipients (campaign_id, donor_id, client_id) on delete cascade;`);
    this.addSql('drop index idx_email_sends_campaign;');
    this.addSql('drop index idx_campaign_deliveries_pending;');
    this.addSql('alter table campaign_deliveries set (fillfactor = 50);');
  }

  override async down(): Promise<void> {
    this.addSql('alter table campaign_deliveries reset (fillfactor);');
    this.addSql(`create index idx_campaign_deliveries_pending on campaign_deliveries(campaign_id, step_number, donor_id) where status = 'pending';`);
    this.addSql('create index idx_email_sends_campaign on email_sends(campaign_id);');
    this.addSql(`
      alter table email_sends
        drop constraint email_sends_recipient_fkey,
        add constraint email_sends_campaign_id_fkey foreign key (campaign_id) references campaigns(id) on delete cascade,
        add constraint email_sends_client_id_fkey foreign key (client_id) references clients(id) on delete cascade;`);
    this.addSql(`
      alter table campaign_deliveries
        drop constraint campaign_deliveries_recipient_fkey,
        add constraint campaign_deliveries_campaign_id_fkey foreign key (campaign_id) references campaigns(id) on delete cascade,
        add constraint campaign_deliveries_donor_id_fkey foreign key (donor_id) references donors(id) on delete cascade,
        add constraint campaign_deliveries_client_id_fkey foreign key (client_id) references clients(id) on delete cascade;`);
    this.addSql('alter table campaign_recipients drop constraint campaign_recipients_tenant_key;');
  }
}
