import { Migration } from '@mikro-orm/migrations';

/**
 * Money has a currency (issue 10, item 4).
 * - Each client reports in one currency. A client's gifts are all in it: the trigger refuses any other,
 *   so RFM monetary scores, campaign revenue and analytics, which add amounts, never add currencies.
 *   An existing client whose gifts all share one currency takes that one; the rest report in usd.
 * - donations.amount keeps each currency's own decimals (three for KWD, none for JPY): numeric(12,2)
 *   could not hold 1.234 KWD. Writers store it with the currency's exponent (domain/money.ts).
 * - A Stripe event the product did not cause is recorded as ignored, with why (item 5).
 */
export class Migration20261130040000MoneyCurrency extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table clients add column reporting_currency char(3) not null default 'usd'
                   constraint chk_clients_reporting_currency check (reporting_currency ~ '^[a-z]{3}$');`);
    this.addSql(`update clients c set reporting_currency = g.currency
                   from (select client_id, min(currency) as currency from donations group by client_id having count(distinct currency) = 1) g
                  where g.client_id = c.id;`);

    this.addSql('alter table donations alter column amount type numeric;');
    this.addSql('alter table donations add constraint chk_donations_amount_scale check (scale(amount) <= 3);');
    this.addSql(`
      create function donations_in_reporting_currency() returns trigger as $$
      declare
        reporting char(3);
      begin
        select reporting_currency into reporting from clients where id = new.client_id;
        -- A client this transaction may not see is row-level security's to refuse.
        if reporting is not null and new.currency is distinct from reporting then
          raise exception 'donation currency % differs from the client''s reporting currency %', new.currency, reporting
            using errcode = 'check_violation', column = 'currency', table = 'donations';
        end if;
        return new;
      end $$ language plpgsql;`);
    this.addSql(`create trigger trg_donations_in_reporting_currency before insert or update of currency, client_id on donations
                   for each row execute function donations_in_reporting_currency();`);

    this.addSql(`alter table processed_webhook_events
                   add column outcome varchar(20) not null default 'applied'
                     constraint chk_processed_webhook_events_outcome check (outcome in ('applied', 'ignored')),
                   add column ignored_reason text;`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table processed_webhook_events drop column if exists ignored_reason, drop column if exists outcome;');
    this.addSql('drop trigger if exists trg_donations_in_reporting_currency on donations;');
    this.addSql('drop function if exists donations_in_reporting_currency();');
    this.addSql('alter table donations drop constraint if exists chk_donations_amount_scale;');
    this.addSql('alter table donations alter column amount type numeric(12,2);');
    this.addSql('alter table clients drop column if exists reporting_currency;');
  }
}
