import { Migration } from '@mikro-orm/migrations';
import { tenantIsolationSql } from './tenant-policies';

/** The tenant tables this migration adds, by the column that names their client. */
export const DONOR_CARE_TENANT_TABLES: Record<string, string> = { erased_addresses: 'client_id' };

/**
 * Donors get the care seed 004's rows get (issue 15 item 8):
 * - a version for optimistic locking of corrections (PATCH with If-Match);
 * - erasure on request (GDPR Art. 17): names, addresses, phone and metadata removed, the row kept,
 *   anonymised, so its gifts stay in the books and the analytics (erased_at says when);
 * - the erased address kept only as a SHA-256 hash on the client's suppression list (erased_addresses),
 *   and a trigger that suppresses any donor of the client who arrives again with that address, so it is
 *   never mailed again.
 */
export class Migration20261130105100DonorCare extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table donors
        add column version integer not null default 1 constraint chk_donors_version check (version >= 1),
        add column erased_at timestamptz;`);
    this.addSql('alter table donors drop constraint chk_donors_reachable;');
    this.addSql('alter table donors add constraint chk_donors_reachable check (email is not null or phone is not null or erased_at is not null);');
    this.addSql('alter table donors drop constraint chk_donors_suppression_reason;');
    this.addSql(`alter table donors add constraint chk_donors_suppression_reason
                   check (email_suppression_reason in ('bounce', 'spamreport', 'invalid', 'manual', 'unsubscribed', 'erased'));`);
    this.addSql(`
      create table erased_addresses (
        client_id uuid not null references clients(id) on delete cascade,
        kind varchar(10) not null constraint chk_erased_addresses_kind check (kind in ('email', 'phone')),
        address_hash char(64) not null constraint chk_erased_addresses_hash check (address_hash ~ '^[0-9a-f]{64}$'),
        erased_at timestamptz not null default now(),
        primary key (client_id, kind, address_hash)
      );`);
    for (const sql of tenantIsolationSql(DONOR_CARE_TENANT_TABLES)) this.addSql(sql);
    // The hash of an address as erasure stores it: e-mail addresses compare case-insensitively.
    this.addSql(`
      create or replace function erased_address_hash(kind text, address text) returns char(64) as $$
        select encode(sha256(convert_to(case when kind = 'email' then lower(trim(address)) else trim(address) end, 'UTF8')), 'hex')
      $$ language sql immutable;`);
    this.addSql(`
      create or replace function suppress_erased_address() returns trigger as $$
      begin
        if new.email is not null and exists (
             select 1 from erased_addresses e
              where e.client_id = new.client_id and e.kind = 'email' and e.address_hash = erased_address_hash('email', new.email)) then
          new.email_suppressed_at = coalesce(new.email_suppressed_at, now());
          new.email_suppression_reason = coalesce(new.email_suppression_reason, 'erased');
        end if;
        return new;
      end;
      $$ language plpgsql;`);
    this.addSql('create trigger suppress_erased_address before insert or update of email on donors for each row execute function suppress_erased_address();');
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger if exists suppress_erased_address on donors;');
    this.addSql('drop function if exists suppress_erased_address();');
    this.addSql('drop function if exists erased_address_hash(text, text);');
    this.addSql('drop table if exists erased_addresses;');
    this.addSql(`update donors set email_suppression_reason = 'manual' where email_suppression_reason = 'erased';`);
    this.addSql('alter table donors drop constraint chk_donors_suppression_reason;');
    this.addSql(`alter table donors add constraint chk_donors_suppression_reason
                   check (email_suppression_reason in ('bounce', 'spamreport', 'invalid', 'manual', 'unsubscribed'));`);
    this.addSql('alter table donors drop constraint chk_donors_reachable;');
    this.addSql('alter table donors add constraint chk_donors_reachable check (email is not null or phone is not null);');
    this.addSql('alter table donors drop column erased_at, drop column version;');
  }
}
