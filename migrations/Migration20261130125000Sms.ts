import { Migration } from '@mikro-orm/migrations';
import { tenantIsolationSql } from './tenant-policies';

/** The tenant table this migration adds, by the column naming its client. */
export const SMS_TENANT_TABLES = { sms_opt_outs: 'client_id' };

const SKIP_REASONS = ['unsubscribed', 'suppressed', 'no_address', 'control_group', 'already_gave', 'budget_exhausted', 'frequency_cap'];

/**
 * Issue 18 items 2 and 4: text messages as a channel. A client texts from its own number (E.164; one
 * Twilio account serves every client, so an inbound text finds its client by the number it was sent to,
 * which is therefore unique). The ledger records each text's billed segments and two SMS skip reasons.
 * `sms_opt_outs` is the compliance record: a number that texted STOP to any of the client's numbers is
 * never texted by the client again until it texts START. Message SIDs are unique, and an inbound text's
 * SID is recorded as a processed Twilio webhook event (dedup of Twilio's redeliveries).
 */
export class Migration20261130125000Sms extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table clients add column sms_from_number varchar(20)
                   constraint chk_clients_sms_from_number check (sms_from_number ~ '^\\+[1-9][0-9]{1,14}$');`);
    this.addSql('create unique index clients_sms_from_number_unique on clients(sms_from_number) where sms_from_number is not null;');

    this.addSql(`alter table campaign_deliveries add column sms_segments smallint
                   constraint chk_campaign_deliveries_sms_segments check (sms_segments between 1 and 1600);`);
    this.addSql('alter table campaign_deliveries drop constraint chk_campaign_deliveries_skip_reason;');
    this.addSql(`alter table campaign_deliveries add constraint chk_campaign_deliveries_skip_reason
      check (skip_reason in (${[...SKIP_REASONS, 'sms_opted_out', 'no_sms_consent'].map((r) => `'${r}'`).join(', ')}));`);

    this.addSql(`
      create table sms_opt_outs (
        client_id uuid not null references clients(id) on delete cascade,
        phone varchar(20) not null constraint chk_sms_opt_outs_phone check (phone ~ '^\\+[1-9][0-9]{1,14}$'),
        opted_out_at timestamptz not null default now(),
        keyword varchar(20) not null,
        message_sid varchar(64),
        primary key (client_id, phone)
      );`);
    for (const statement of tenantIsolationSql(SMS_TENANT_TABLES)) this.addSql(statement);
    this.addSql('create unique index messages_external_id_unique on messages(external_id) where external_id is not null;');
    this.addSql('alter table processed_webhook_events drop constraint chk_processed_webhook_events_provider;');
    this.addSql(`alter table processed_webhook_events add constraint chk_processed_webhook_events_provider check (provider in ('stripe', 'sendgrid', 'twilio'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from processed_webhook_events where provider = 'twilio';`);
    this.addSql('alter table processed_webhook_events drop constraint chk_processed_webhook_events_provider;');
    this.addSql(`alter table processed_webhook_events add constraint chk_processed_webhook_events_provider check (provider in ('stripe', 'sendgrid'));`);
    this.addSql('drop index if exists messages_external_id_unique;');
    this.addSql('drop table if exists sms_opt_outs;');
    this.addSql(`delete from campaign_deliveries where skip_reason in ('sms_opted_out', 'no_sms_consent');`);
    this.addSql('alter table campaign_deliveries drop constraint chk_campaign_deliveries_skip_reason;');
    this.addSql(`alter table campaign_deliveries add constraint chk_campaign_deliveries_skip_reason
      check (skip_reason in (${SKIP_REASONS.map((r) => `'${r}'`).join(', ')}));`);
    this.addSql('alter table campaign_deliveries drop column if exists sms_segments;');
    this.addSql('alter table clients drop column if exists sms_from_number;');
  }
}
