import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 17, "nothing is done twice": a ticket purchase is made at most once per (client, idempotency_key),
 * as online gifts are (payments.idempotency_key) and give-page checkouts (give_checkouts.idempotency_key).
 * - `idempotency_key`: the caller's key for one purchase attempt (8-200 printable ASCII characters); a
 *   repeat finds the order made under it instead of holding seats and opening a Checkout Session again.
 *   Unique per client (the constraint, not timing, decides between concurrent repeats). Null only on
 *   orders made before this migration, and on an attempt that failed before checkout (its key freed so
 *   the same key can try again).
 * - `request_fingerprint`: SHA-256 (hex) of the purchase as asked (event, buyer, items, URLs), so a
 *   repeat of the key with a different purchase is refused (409) rather than answered with the first order
 *   (the "fingerprint" of draft-ietf-httpapi-idempotency-key-header §2.4).
 */
export class Migration20261130124500TicketOrderIdempotency extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table ticket_orders
      add column idempotency_key varchar(200),
      add column request_fingerprint char(64),
      add constraint chk_ticket_orders_fingerprint check ((idempotency_key is null) = (request_fingerprint is null)),
      add constraint uq_ticket_orders_idempotency_key unique (client_id, idempotency_key);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table ticket_orders
      drop constraint if exists uq_ticket_orders_idempotency_key,
      drop constraint if exists chk_ticket_orders_fingerprint,
      drop column if exists request_fingerprint,
      drop column if exists idempotency_key;`);
  }
}
