import { Migration } from '@mikro-orm/migrations';
import { GIFT_FUNCTION } from './Migration20261130130000DonorJourneys';

/**
 * The journey trigger made a bulk insert of one donor's gifts quadratic (20,000 gifts in one statement
 * took minutes): every gift rewrote the donor's row, and a row rewritten n times in one transaction is
 * reached through a chain of n versions, and every gift looked the first gift up again among all of the
 * donor's gifts. Now the row is written only when the stage or the last gift date changes, and the first
 * gift is looked up only when this gift comes before the one on record (or there is none): the same
 * transitions and attribution, at a cost per gift that no longer grows with the donor's gifts.
 */
const REWRITES: [string, string][] = [
  ['create function donor_journey_on_donation()', 'create or replace function donor_journey_on_donation()'],
  ['select d.stage, d.stage_entered_at, d.last_gift_at, d.first_gift_donation_id into donor',
    'select d.stage, d.stage_entered_at, d.last_gift_at, d.first_gift_donation_id, d.first_gift_at into donor'],
  [`       where id = new.donor_id;
      perform donor_journey_attribute(new.donor_id);`,
  `       where id = new.donor_id
         and (stage is distinct from donor.stage or last_gift_at is null or last_gift_at < new.donated_at);
      if donor.first_gift_donation_id is null or (new.donated_at, new.id) < (donor.first_gift_at, donor.first_gift_donation_id) then
        perform donor_journey_attribute(new.donor_id);
      end if;`],
];

export class Migration20261130141000JourneyBulkGifts extends Migration {
  override async up(): Promise<void> {
    this.addSql(REWRITES.reduce((body, [from, to]) => {
      if (!body.includes(from)) throw new Error(`the journey gift function no longer reads ${JSON.stringify(from)}`);
      return body.replace(from, to);
    }, GIFT_FUNCTION));
  }

  override async down(): Promise<void> {
    this.addSql(GIFT_FUNCTION.replace('create function', 'create or replace function'));
  }
}
