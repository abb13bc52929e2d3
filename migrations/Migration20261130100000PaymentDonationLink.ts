import { Migration } from '@mikro-orm/migrations';

/**
 * A payment shows the gift it recorded (GET …/payments): donations are found by payment_id, which had
 * no index, so each payment of a listed page scanned the client's donations.
 */
export class Migration20261130100000PaymentDonationLink extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index idx_donations_payment on donations(payment_id) where payment_id is not null;');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists idx_donations_payment;');
  }
}
