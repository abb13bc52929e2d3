import { Migration } from '@mikro-orm/migrations';

/**
 * A campaign email send checks one foreign key per row instead of two (issue 14 item 8, the fan-out bench).
 *
 * Every campaign send already references its recipient row (campaign, donor and client together:
 * Migration20261201000000LedgerWritePath), whose own key references the donor, with cascades all the way:
 * the direct key to donors checked, once per sent email, what that key already guaranteed. Timed alone,
 * a page's 1,000 email sends insert in 33-50 ms with both keys' checks and 12-20 ms with neither; the
 * fan-out bench ran 6,566-6,987 recipients/s without the donor key against 6,217-6,278 with it.
 *
 * A send outside any campaign (campaign_id null, which the composite key does not check) must still name a
 * donor that exists (seed 002: sends relate to members). The donor key moves to a stored generated column
 * that holds donor_id only for such sends and is null otherwise; PostgreSQL checks no key whose column is
 * null, so campaign sends skip it while the others keep the check and the cascade.
 */
export class Migration20261201100000EmailSendDonorKey extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table email_sends
        add column donor_outside_campaign uuid generated always as (case when campaign_id is null then donor_id else null end) stored
          constraint email_sends_donor_outside_campaign_fkey references donors(id) on delete cascade,
        drop constraint email_sends_donor_id_fkey;`);
  }

  override async down(): Promise<void> {
    this.addSql(`
      alter table email_sends
        add constraint email_sends_donor_id_fkey foreign key (donor_id) references donors(id) on delete cascade,
        drop column donor_outside_campaign;`);
  }
}
