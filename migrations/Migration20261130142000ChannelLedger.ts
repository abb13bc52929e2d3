import { Migration } from '@mikro-orm/migrations';
import { COUNT_DELIVERY_CHANGES_SQL } from './Migration20261130101000StatusCounters';

/**
 * Issue 18 item 2, "email and SMS": a step may reach each donor by both channels, so the delivery ledger
 * holds one row per (campaign, step, donor, channel) instead of one per (campaign, step, donor): the
 * channel joins the primary key, and each channel's row is claimed, fenced, settled and counted on its own.
 *
 * - `track15_narrative_steps.channel` also takes `email_and_sms` (wider column for it).
 * - `campaign_deliveries`: primary key (campaign_id, step_number, donor_id, channel).
 * - `campaign_delivery_counts`: a `channel` column in its key, kept by the same statement-level trigger,
 *   so the status can show each step's counts by channel; the counters are rebuilt from the ledger.
 *
 * Down keeps, for a donor the ledger has under both channels of one step, the email row only (the old key
 * holds one), and turns `email_and_sms` steps into email steps.
 */
export class Migration20261130142000ChannelLedger extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table track15_narrative_steps drop constraint chk_track15_step_channel;');
    this.addSql(`alter table track15_narrative_steps alter column channel type varchar(20),
                   add constraint chk_track15_step_channel check (channel in ('email', 'sms', 'email_and_sms'));`);

    this.addSql(`alter table campaign_deliveries drop constraint campaign_deliveries_pkey,
                   add primary key (campaign_id, step_number, donor_id, channel);`);

    this.addSql(`alter table campaign_delivery_counts drop constraint campaign_delivery_counts_pkey,
                   add column channel varchar(10) not null default 'email'
                     constraint chk_campaign_delivery_counts_channel check (channel in ('email', 'sms'));`);
    this.addSql('delete from campaign_delivery_counts;');
    this.addSql('alter table campaign_delivery_counts add primary key (campaign_id, step_number, channel, shard, outcome, skip_reason);');
    this.addSql(COUNT_BY_CHANNEL_SQL);
    this.addSql(`
      insert into campaign_delivery_counts (campaign_id, client_id, step_number, channel, shard, outcome, skip_reason, n)
      select campaign_id, client_id, step_number, channel, delivery_count_shard(donor_id), delivery_outcome(status), coalesce(skip_reason, ''), count(*)
        from campaign_deliveries group by 1, 2, 3, 4, 5, 6, 7;`);
  }

  override async down(): Promise<void> {
    this.addSql(COUNT_DELIVERY_CHANGES_SQL.replace('create function', 'create or replace function'));
    this.addSql(`delete from campaign_deliveries l where l.channel = 'sms'
                   and exists (select 1 from campaign_deliveries e where e.campaign_id = l.campaign_id and e.step_number = l.step_number
                                                                    and e.donor_id = l.donor_id and e.channel = 'email');`);
    this.addSql('delete from campaign_delivery_counts;');
    this.addSql('alter table campaign_delivery_counts drop constraint campaign_delivery_counts_pkey, drop column channel;');
    this.addSql('alter table campaign_delivery_counts add primary key (campaign_id, step_number, shard, outcome, skip_reason);');
    this.addSql(`
      insert into campaign_delivery_counts (campaign_id, client_id, step_number, shard, outcome, skip_reason, n)
      select campaign_id, client_id, step_number, delivery_count_shard(donor_id), delivery_outcome(status), coalesce(skip_reason, ''), count(*)
        from campaign_deliveries group by 1, 2, 3, 4, 5, 6;`);
    this.addSql('alter table campaign_deliveries drop constraint campaign_deliveries_pkey, add primary key (campaign_id, step_number, donor_id);');

    this.addSql(`update track15_narrative_steps set channel = 'email' where channel = 'email_and_sms';`);
    this.addSql('alter table track15_narrative_steps drop constraint chk_track15_step_channel;');
    this.addSql(`alter table track15_narrative_steps alter column channel type varchar(10),
                   add constraint chk_track15_step_channel check (channel in ('email', 'sms'));`);
  }
}

/** The counter trigger's function with the channel in each counter's key (otherwise as before). */
const COUNT_BY_CHANNEL_SQL = `
      create or replace function count_delivery_changes() returns trigger as $$
      begin
        if tg_op = 'INSERT' then
          insert into campaign_delivery_counts as c (campaign_id, client_id, step_number, channel, shard, outcome, skip_reason, n)
          select campaign_id, client_id, step_number, channel, delivery_count_shard(donor_id), delivery_outcome(status), coalesce(skip_reason, ''), count(*)
            from new_rows group by 1, 2, 3, 4, 5, 6, 7 order by 1, 3, 4, 5, 6, 7
          on conflict (campaign_id, step_number, channel, shard, outcome, skip_reason) do update set n = c.n + excluded.n;
        elsif tg_op = 'DELETE' then
          -- Only rows that exist are decremented: a deleted row was counted when it was written, and when a
          -- campaign or client is being deleted its counters go with it (inserting one would break its FK).
          update campaign_delivery_counts c set n = c.n - gone.n
            from (select campaign_id, step_number, channel, delivery_count_shard(donor_id) as shard, delivery_outcome(status) as outcome,
                         coalesce(skip_reason, '') as skip_reason, count(*) as n
                    from old_rows group by 1, 2, 3, 4, 5, 6) gone
           where c.campaign_id = gone.campaign_id and c.step_number = gone.step_number and c.channel = gone.channel
             and c.shard = gone.shard and c.outcome = gone.outcome and c.skip_reason = gone.skip_reason;
        else
          insert into campaign_delivery_counts as c (campaign_id, client_id, step_number, channel, shard, outcome, skip_reason, n)
          select campaign_id, client_id, step_number, channel, shard, outcome, skip_reason, sum(n) from (
                   select campaign_id, client_id, step_number, channel, delivery_count_shard(donor_id) as shard, delivery_outcome(status) as outcome,
                          coalesce(skip_reason, '') as skip_reason, 1 as n from new_rows
                   union all
                   select campaign_id, client_id, step_number, channel, delivery_count_shard(donor_id), delivery_outcome(status),
                          coalesce(skip_reason, ''), -1 from old_rows) changes
           group by 1, 2, 3, 4, 5, 6, 7 having sum(n) <> 0 order by 1, 3, 4, 5, 6, 7
          on conflict (campaign_id, step_number, channel, shard, outcome, skip_reason) do update set n = c.n + excluded.n;
        end if;
        return null;
      end
      $$ language plpgsql;`;
