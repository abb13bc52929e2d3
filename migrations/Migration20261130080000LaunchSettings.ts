import { Migration } from '@mikro-orm/migrations';

/**
 * What a campaign manager sets before a launch (issue 14):
 * - the sender identity per client, optionally overridden per campaign: From name and address, Reply-To,
 *   and the postal address CAN-SPAM requires in every commercial email (15 U.S.C. 7704(a)(5)(A)(iii));
 * - client quiet hours (local wall-clock times, in the donor's zone) and the cross-campaign frequency cap;
 * - the client's historical conversion rate and the lift it hopes to see, for the pre-activation estimate;
 * - the campaign's audience filter, applied when the audience is frozen at activation;
 * - the skip reason `frequency_cap`.
 */
export class Migration20261130080000LaunchSettings extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table clients
        add column sender_from_name varchar(100),
        add column sender_from_email varchar(255),
        add column sender_reply_to varchar(255),
        add column postal_address text,
        add column quiet_hours_start time,
        add column quiet_hours_end time,
        add column frequency_cap_messages integer constraint chk_clients_frequency_cap_messages check (frequency_cap_messages > 0),
        add column frequency_cap_window_days integer constraint chk_clients_frequency_cap_window check (frequency_cap_window_days between 1 and 365),
        add column historical_conversion_rate numeric(6,5) constraint chk_clients_historical_conversion_rate
          check (historical_conversion_rate > 0 and historical_conversion_rate < 1),
        add column expected_lift_percent numeric(7,2) constraint chk_clients_expected_lift_percent check (expected_lift_percent > 0),
        add constraint chk_clients_quiet_hours check ((quiet_hours_start is null) = (quiet_hours_end is null) and (quiet_hours_start is null or quiet_hours_start <> quiet_hours_end)),
        add constraint chk_clients_frequency_cap check ((frequency_cap_messages is null) = (frequency_cap_window_days is null));`);
    this.addSql(`
      alter table campaigns
        add column sender_from_name varchar(100),
        add column sender_from_email varchar(255),
        add column sender_reply_to varchar(255),
        add column postal_address text,
        add column track15_audience_filter jsonb not null default '{}'::jsonb;`);
    this.addSql('alter table campaign_deliveries drop constraint chk_campaign_deliveries_skip_reason;');
    this.addSql(`alter table campaign_deliveries add constraint chk_campaign_deliveries_skip_reason
      check (skip_reason in ('unsubscribed', 'suppressed', 'no_address', 'control_group', 'already_gave', 'budget_exhausted', 'frequency_cap'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from campaign_deliveries where skip_reason = 'frequency_cap';`);
    this.addSql('alter table campaign_deliveries drop constraint chk_campaign_deliveries_skip_reason;');
    this.addSql(`alter table campaign_deliveries add constraint chk_campaign_deliveries_skip_reason
      check (skip_reason in ('unsubscribed', 'suppressed', 'no_address', 'control_group', 'already_gave', 'budget_exhausted'));`);
    this.addSql(`alter table campaigns drop column sender_from_name, drop column sender_from_email, drop column sender_reply_to,
      drop column postal_address, drop column track15_audience_filter;`);
    this.addSql(`alter table clients drop constraint chk_clients_quiet_hours, drop constraint chk_clients_frequency_cap,
      drop column sender_from_name, drop column sender_from_email, drop column sender_reply_to, drop column postal_address,
      drop column quiet_hours_start, drop column quiet_hours_end, drop column frequency_cap_messages, drop column frequency_cap_window_days,
      drop column historical_conversion_rate, drop column expected_lift_percent;`);
  }
}
