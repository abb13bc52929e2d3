import { Migration } from '@mikro-orm/migrations';
import { tenantIsolationSql } from './tenant-policies';

/** The tenant tables this migration adds, by the column that names their client. */
export const STATUS_COUNTER_TENANT_TABLES: Record<string, string> = { campaign_delivery_counts: 'client_id' };

/**
 * The counter trigger's function as this migration made it (one counter row per campaign, step, shard,
 * outcome and reason); exported so a later migration that replaces it can put it back on the way down.
 */
export const COUNT_DELIVERY_CHANGES_SQL = `
      create function count_delivery_changes() returns trigger as $$
      begin
        if tg_op = 'INSERT' then
          insert into campaign_delivery_counts as c (campaign_id, client_id, step_number, shard, outcome, skip_reason, n)
          select campaign_id, client_id, step_number, delivery_count_shard(donor_id), delivery_outcome(status), coalesce(skip_reason, ''), count(*)
            from new_rows group by 1, 2, 3, 4, 5, 6 order by 1, 3, 4, 5, 6
          on conflict (campaign_id, step_number, shard, outcome, skip_reason) do update set n = c.n + excluded.n;
        elsif tg_op = 'DELETE' then
          -- Only rows that exist are decremented: a deleted row was counted when it was written, and when a
          -- campaign or client is being deleted its counters go with it (inserting one would break its FK).
          update campaign_delivery_counts c set n = c.n - gone.n
            from (select campaign_id, step_number, delivery_count_shard(donor_id) as shard, delivery_outcome(status) as outcome,
                         coalesce(skip_reason, '') as skip_reason, count(*) as n
                    from old_rows group by 1, 2, 3, 4, 5) gone
           where c.campaign_id = gone.campaign_id and c.step_number = gone.step_number and c.shard = gone.shard
             and c.outcome = gone.outcome and c.skip_reason = gone.skip_reason;
        else
          insert into campaign_delivery_counts as c (campaign_id, client_id, step_number, shard, outcome, skip_reason, n)
          select campaign_id, client_id, step_number, shard, outcome, skip_reason, sum(n) from (
                   select campaign_id, client_id, step_number, delivery_count_shard(donor_id) as shard, delivery_outcome(status) as outcome,
                          coalesce(skip_reason, '') as skip_reason, 1 as n from new_rows
                   union all
                   select campaign_id, client_id, step_number, delivery_count_shard(donor_id), delivery_outcome(status),
                          coalesce(skip_reason, ''), -1 from old_rows) changes
           group by 1, 2, 3, 4, 5, 6 having sum(n) <> 0 order by 1, 3, 4, 5, 6
          on conflict (campaign_id, step_number, shard, outcome, skip_reason) do update set n = c.n + excluded.n;
        end if;
        return null;
      end
      $$ language plpgsql;`;

/**
 * What the campaign status route reads instead of counting the ledger (issue 12 item 4): its cost must
 * not grow with audience × steps.
 *
 * - `campaign_delivery_counts`: per campaign, step and settlement outcome (pending, sent, failed,
 *   skipped by reason), how many ledger rows are in it. Statement-level triggers keep it in the same
 *   transaction as every write to the ledger (claims, settlements, released claims, webhook facts, a
 *   donor's deletion cascading), from the transition tables, which hold only the rows the statement
 *   actually changed: a settlement that finds a row already settled by another attempt changes nothing
 *   and counts nothing. Delivery facts (delivered, opened, clicked, bounced) count as `sent`, the
 *   outcome they refine, so a SendGrid event never touches a counter. Each step's counters are spread
 *   over the same hash shards as the delivery lanes (activities/campaigns/activation.ts), so lanes settling side by
 *   side never queue on one counter row.
 * - `campaigns.track15_test_recipients` / `track15_control_recipients`: the frozen audience's size,
 *   written at activation.
 * - `campaigns.track15_last_failure`: the failure that ended the arc, as the workflow recorded it
 *   (`{step, activity, type, reason, at}`), so the status shows why without asking Temporal.
 * - `authenticate_api_key()` writes `last_used_at` at most once a minute per key instead of on every request.
 */
export class Migration20261130101000StatusCounters extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table campaign_delivery_counts (
        campaign_id uuid not null references campaigns(id) on delete cascade,
        client_id uuid not null references clients(id) on delete cascade,
        step_number smallint not null,
        shard smallint not null,
        outcome varchar(20) not null constraint chk_campaign_delivery_counts_outcome check (outcome in ('pending', 'sent', 'failed', 'skipped')),
        skip_reason varchar(30) not null default '',
        n integer not null default 0,
        primary key (campaign_id, step_number, shard, outcome, skip_reason)
      );`);
    for (const sql of tenantIsolationSql(STATUS_COUNTER_TENANT_TABLES)) this.addSql(sql);

    // The lane hash of activation (8 lanes, domain/campaigns/workflow-contract.ts DELIVERY_LANES); only spreads contention.
    this.addSql(`
      create function delivery_count_shard(donor uuid) returns smallint as $$
        select (get_byte(decode(md5(donor::text), 'hex'), 0) % 8)::smallint
      $$ language sql immutable parallel safe;`);
    this.addSql(`
      create function delivery_outcome(status text) returns text as $$
        select case when status in ('pending', 'failed', 'skipped') then status else 'sent' end
      $$ language sql immutable parallel safe;`);
    // One upsert per statement, summed per counter row; rows whose net change is zero (a fact refining
    // 'sent', a rewrite of other columns) are left alone, and the rest are locked in key order so two
    // statements never wait on each other's counters in a cycle.
    this.addSql(COUNT_DELIVERY_CHANGES_SQL);
    this.addSql(`create trigger count_delivery_inserts after insert on campaign_deliveries
                   referencing new table as new_rows for each statement execute function count_delivery_changes();`);
    this.addSql(`create trigger count_delivery_updates after update on campaign_deliveries
                   referencing old table as old_rows new table as new_rows for each statement execute function count_delivery_changes();`);
    this.addSql(`create trigger count_delivery_deletes after delete on campaign_deliveries
                   referencing old table as old_rows for each statement execute function count_delivery_changes();`);
    this.addSql(`
      insert into campaign_delivery_counts (campaign_id, client_id, step_number, shard, outcome, skip_reason, n)
      select campaign_id, client_id, step_number, delivery_count_shard(donor_id), delivery_outcome(status), coalesce(skip_reason, ''), count(*)
        from campaign_deliveries group by 1, 2, 3, 4, 5, 6;`);

    this.addSql(`
      alter table campaigns
        add column track15_test_recipients integer,
        add column track15_control_recipients integer,
        add column track15_last_failure jsonb;`);
    this.addSql(`
      update campaigns c set track15_test_recipients = r.test, track15_control_recipients = r.control
        from (select campaign_id, count(*) filter (where recipient_group = 'test')::int as test,
                     count(*) filter (where recipient_group = 'control')::int as control
                from campaign_recipients group by campaign_id) r
       where r.campaign_id = c.id;`);

    // A key's use is recorded to the minute: the update (and its row lock) happens once a minute, not per request.
    this.addSql(`
      create or replace function authenticate_api_key(p_hash text)
      returns table (id uuid, client_id uuid, role varchar) as $$
        with found as (
          select k.id, k.client_id, k.role, k.last_used_at from api_keys k where k.key_hash = p_hash and k.revoked_at is null),
        touched as (
          update api_keys k set last_used_at = now() from found
           where k.id = found.id and (k.last_used_at is null or k.last_used_at < now() - interval '1 minute'))
        select found.id, found.client_id, found.role from found;
      $$ language sql security definer set search_path = public;`);
  }

  override async down(): Promise<void> {
    this.addSql(`
      create or replace function authenticate_api_key(p_hash text)
      returns table (id uuid, client_id uuid, role varchar) as $$
        update api_keys k set last_used_at = now()
         where k.key_hash = p_hash and k.revoked_at is null
        returning k.id, k.client_id, k.role;
      $$ language sql security definer set search_path = public;`);
    this.addSql('alter table campaigns drop column track15_test_recipients, drop column track15_control_recipients, drop column track15_last_failure;');
    this.addSql('drop trigger count_delivery_inserts on campaign_deliveries;');
    this.addSql('drop trigger count_delivery_updates on campaign_deliveries;');
    this.addSql('drop trigger count_delivery_deletes on campaign_deliveries;');
    this.addSql('drop function count_delivery_changes();');
    this.addSql('drop function delivery_outcome(text);');
    this.addSql('drop function delivery_count_shard(uuid);');
    this.addSql('drop table campaign_delivery_counts;');
  }
}
