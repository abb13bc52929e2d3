import { Migration } from '@mikro-orm/migrations';
import { tenantIsolationSql } from './tenant-policies';

/** The tenant table this migration adds, by the column naming its client. */
export const JOURNEY_TENANT_TABLES = { donor_journey_transitions: 'client_id' };

const SEED_STAGES = ['lead', 'marketing', 'trial', 'active', 'churned', 'dormant'];
const STAGES = ['lead', 'new_donor', 'active', 'lapsed', 'reactivated'];
const SOURCES = ['website', 'sms_campaign', 'email_campaign', 'referral', 'organic', 'paid_ads', 'social', 'other', 'import'];
const list = (values: string[]) => values.map((value) => `'${value}'`).join(', ');
/** The mapping of domain/journeys.ts, for campaigns' saved audience filters (and back, for down). */
const SEED_TO_JOURNEY: Record<string, string> = { lead: 'lead', marketing: 'lead', trial: 'new_donor', active: 'active', churned: 'lapsed', dormant: 'lapsed' };
const JOURNEY_TO_SEED: Record<string, string> = { lead: 'lead', new_donor: 'trial', active: 'active', lapsed: 'dormant', reactivated: 'active' };

/** A campaign's saved audience filter names stages: rewritten by `mapping`, each once, so it selects the same people by the new names. */
const mapAudienceStages = (mapping: Record<string, string>) => `
  update campaigns c
     set track15_audience_filter = jsonb_set(c.track15_audience_filter, '{stages}', (
           select coalesce(jsonb_agg(distinct case s ${Object.entries(mapping).map(([from, to]) => `when '${from}' then '${to}'`).join(' ')} else s end), '[]'::jsonb)
             from jsonb_array_elements_text(c.track15_audience_filter -> 'stages') s))
   where jsonb_typeof(c.track15_audience_filter -> 'stages') = 'array'`;

/**
 * The earliest succeeded gift of a donor is their first gift: when, which gift, which campaign and step,
 * and its source: the channel of the touchpoint whose give link it came through (an SMS or an email
 * step), for a gift to a campaign without a step the campaign's channel (SMS when all its steps are
 * texts, else email), for a gift to no campaign the donor's own `source`. Called after every change of
 * a donor's gifts, so a refund of the first gift moves the attribution to the next one (or clears it).
 */
const ATTRIBUTE_FUNCTION = `
  create function donor_journey_attribute(p_donor uuid) returns void language sql as $$
    update donors d
       set first_gift_donation_id = g.id, first_gift_at = g.donated_at, first_gift_campaign_id = g.campaign_id,
           first_gift_step_number = g.step_number,
           first_gift_source = case
             when g.id is null then null
             when g.campaign_id is null then d.source
             when coalesce((select s.channel = 'sms' from track15_narrative_steps s where s.campaign_id = g.campaign_id and s.step_number = g.step_number),
                           (select bool_and(s.channel = 'sms') from track15_narrative_steps s where s.campaign_id = g.campaign_id), false)
               then 'sms_campaign'
             else 'email_campaign' end
      from (select 1) one
      left join lateral (select x.id, x.donated_at, x.campaign_id, x.step_number from donations x
                          where x.donor_id = p_donor and x.status = 'succeeded' order by x.donated_at, x.id limit 1) g on true
     where d.id = p_donor;
  $$;`;

/**
 * The journey rules of domain/journeys.ts, run by the statement that changes a gift, in its
 * transaction. The donor's row is locked first, so concurrent gifts of one donor move them one after
 * the other; the trigger fires only when a gift's status really changes, so Stripe's redeliveries
 * (upserts that change nothing) move nobody.
 */
export const GIFT_FUNCTION = `
  create function donor_journey_on_donation() returns trigger language plpgsql as $$
  declare
    donor record;
    lapse_window interval;
    moved_at timestamptz;
    next_stage varchar(20);
  begin
    select d.stage, d.stage_entered_at, d.last_gift_at, d.first_gift_donation_id into donor
      from donors d where d.id = new.donor_id for no key update;
    if new.status = 'succeeded' and (tg_op = 'INSERT' or old.status <> 'succeeded') then
      select make_interval(days => c.lapse_after_days) into lapse_window from clients c where c.id = new.client_id;
      -- A lapse the daily sweep has not recorded yet: this gift came first.
      if donor.stage in ('new_donor', 'active', 'reactivated') and new.donated_at >= donor.last_gift_at + lapse_window then
        moved_at := greatest(donor.last_gift_at + lapse_window, donor.stage_entered_at);
        insert into donor_journey_transitions (client_id, donor_id, from_stage, to_stage, at, cause)
          values (new.client_id, new.donor_id, donor.stage, 'lapsed', moved_at, 'lapse');
        donor.stage := 'lapsed';
        donor.stage_entered_at := moved_at;
      end if;
      next_stage := case donor.stage when 'lead' then 'new_donor' when 'lapsed' then 'reactivated' else 'active' end;
      if next_stage <> donor.stage then
        moved_at := greatest(new.donated_at, donor.stage_entered_at);
        insert into donor_journey_transitions (client_id, donor_id, from_stage, to_stage, at, cause, donation_id, campaign_id)
          values (new.client_id, new.donor_id, donor.stage, next_stage, moved_at, 'gift', new.id, new.campaign_id);
        donor.stage := next_stage;
        donor.stage_entered_at := moved_at;
      end if;
      update donors set stage = donor.stage, stage_entered_at = donor.stage_entered_at,
                        last_gift_at = greatest(last_gift_at, new.donated_at)
       where id = new.donor_id;
      perform donor_journey_attribute(new.donor_id);
    elsif tg_op = 'UPDATE' and old.status = 'succeeded' and new.status <> 'succeeded' then
      if exists (select 1 from donations x where x.donor_id = new.donor_id and x.status = 'succeeded') then
        update donors set last_gift_at = (select max(x.donated_at) from donations x where x.donor_id = new.donor_id and x.status = 'succeeded')
         where id = new.donor_id;
      else
        -- The only gift is gone: the donor never gave after all.
        moved_at := greatest(coalesce(new.refunded_at, now()), donor.stage_entered_at);
        insert into donor_journey_transitions (client_id, donor_id, from_stage, to_stage, at, cause, donation_id, campaign_id)
          values (new.client_id, new.donor_id, donor.stage, 'lead', moved_at, 'refund', new.id, new.campaign_id);
        update donors set stage = 'lead', stage_entered_at = moved_at, last_gift_at = null where id = new.donor_id;
      end if;
      perform donor_journey_attribute(new.donor_id);
    elsif new.status = 'succeeded' and new.id = donor.first_gift_donation_id then
      -- A later event of the first gift filled in its campaign or step.
      perform donor_journey_attribute(new.donor_id);
    end if;
    return null;
  end $$;`;

/** Every new donor starts as a lead, at its creation: one statement per insert, however many rows (imports). */
const CREATED_FUNCTION = `
  create function donor_journey_on_created() returns trigger language plpgsql as $$
  begin
    insert into donor_journey_transitions (client_id, donor_id, from_stage, to_stage, at, cause)
      select n.client_id, n.id, null, n.stage, n.created_at, 'created' from created n;
    return null;
  end $$;`;

/**
 * Seed 001's analytics view for fundraising: per stage and source, how many donors, how many entered
 * that stage in the last 30 days, and the average days from lead (the donor's creation) to first gift of
 * those in the group who converted. Source is where the first gift came from (first_gift_source), for a
 * donor who has not given their own `source`. `p_since` keeps donors created at or after it (a cohort);
 * null keeps all. Erased donors (is_active false) are left out, as the seed's view did.
 */
const ANALYTICS_FUNCTION = `
  create function donor_journey_analytics(p_since timestamptz, p_as_of timestamptz)
    returns table (client_id uuid, stage varchar, source varchar, count bigint, count_30d bigint, converted bigint, avg_days_to_conversion numeric)
    language sql stable as $$
    select d.client_id, d.stage, coalesce(d.first_gift_source, d.source) as source,
           count(*) as count,
           count(*) filter (where d.stage_entered_at > p_as_of - interval '30 days' and d.stage_entered_at <= p_as_of) as count_30d,
           count(*) filter (where d.first_gift_at >= d.created_at) as converted,
           -- Conversion is lead to first gift; a donor imported with older gifts has no measured conversion.
           round((avg(extract(epoch from d.first_gift_at - d.created_at)) filter (where d.first_gift_at >= d.created_at) / 86400)::numeric, 2)
             as avg_days_to_conversion
      from donors d
     where d.is_active and (p_since is null or d.created_at >= p_since)
     group by d.client_id, d.stage, coalesce(d.first_gift_source, d.source);
  $$;`;

/**
 * Every donor's history from their gifts (the backfill), by the same rules as the triggers: a lead at
 * creation; the first gift makes a new donor; a gift at least lapse_after_days after the one before is
 * preceded by a lapse at (that gift + the window) and reactivates; other gifts make the donor active;
 * and a donor whose last gift is that old now has lapsed. A transition is never dated before the one
 * before it (imported donors carry gifts older than themselves).
 */
const BACKFILL_TRANSITIONS = `
  with gifts as (
    select x.client_id, x.donor_id, x.id as donation_id, x.campaign_id, x.donated_at,
           row_number() over w as n, lag(x.donated_at) over w as previous_at,
           count(*) over (partition by x.donor_id) as gifts
      from donations x where x.status = 'succeeded'
    window w as (partition by x.donor_id order by x.donated_at, x.id)),
  windowed as (
    select g.*, make_interval(days => c.lapse_after_days) as lapse_window,
           g.n > 1 and g.donated_at >= g.previous_at + make_interval(days => c.lapse_after_days) as after_lapse
      from gifts g join clients c on c.id = g.client_id),
  staged as (
    select w.*, case when w.n = 1 then 'new_donor' when w.after_lapse then 'reactivated' else 'active' end as stage_after
      from windowed w),
  sequenced as (
    select s.*, lag(s.stage_after) over (partition by s.donor_id order by s.n) as stage_before from staged s),
  events as (
    select d.client_id, d.id as donor_id, null::varchar as from_stage, 'lead'::varchar as to_stage, d.created_at as at,
           'created'::varchar as cause, null::uuid as donation_id, null::uuid as campaign_id, 0::bigint as n, 0 as k
      from donors d
    union all
    select client_id, donor_id, stage_before, 'lapsed', previous_at + lapse_window, 'lapse', null, null, n, 1
      from sequenced where after_lapse
    union all
    select client_id, donor_id, case when n = 1 then 'lead' when after_lapse then 'lapsed' else stage_before end, stage_after, donated_at,
           'gift', donation_id, campaign_id, n, 2
      from sequenced where n = 1 or after_lapse or stage_before <> 'active'
    union all
    select client_id, donor_id, stage_after, 'lapsed', donated_at + lapse_window, 'lapse', null, null, n, 3
      from sequenced where n = gifts and donated_at + lapse_window <= now())
  insert into donor_journey_transitions (client_id, donor_id, from_stage, to_stage, at, cause, donation_id, campaign_id)
  select client_id, donor_id, from_stage, to_stage, max(at) over (partition by donor_id order by n, k rows unbounded preceding), cause, donation_id, campaign_id
    from events order by donor_id, n, k`;

const BACKFILL_DONORS = `
  update donors d
     set stage = t.to_stage, stage_entered_at = t.at,
         last_gift_at = (select max(x.donated_at) from donations x where x.donor_id = d.id and x.status = 'succeeded')
    from (select distinct on (donor_id) donor_id, to_stage, at from donor_journey_transitions order by donor_id, at desc, sequence desc) t
   where t.donor_id = d.id`;

/**
 * Issue 18 item 1: journeys the product keeps itself (domain/journeys.ts has the stages, the mapping from
 * seed 001 and the rules). Donors get fundraising stages instead of the seed's product stages, the time
 * they entered their stage, their last gift, and their first gift's attribution; the seed's four journey
 * timestamps go (the product never set them; first_gift_at is its `subscribed_at`, every other moment is a
 * transition). `donor_journey_transitions` records each move, once: triggers on donors and donations
 * write it in the transaction that creates the donor or changes the gift; the lapse is written by the
 * daily sweep (activities/journeys/lapse-sweep.ts). Existing donors are backfilled from their gifts.
 * Clients get `lapse_after_days`. Seed 001's view `customer_analytics` reads the analytics function.
 */
export class Migration20261130130000DonorJourneys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table clients add column lapse_after_days integer not null default 365
                   constraint chk_clients_lapse_after_days check (lapse_after_days between 1 and 3650);`);

    this.addSql('drop view if exists customer_analytics;');
    this.addSql('alter table donors drop constraint chk_donors_stage;');
    this.addSql('alter table donors drop column marketing_qualified_at, drop column trial_started_at, drop column subscribed_at, drop column churned_at;');
    this.addSql(`
      alter table donors
        add column stage_entered_at timestamptz not null default now(),
        add column last_gift_at timestamptz,
        add column first_gift_at timestamptz,
        add column first_gift_donation_id uuid constraint fk_donors_first_gift references donations(id) on delete set null,
        add column first_gift_campaign_id uuid constraint fk_donors_first_gift_campaign references campaigns(id) on delete set null,
        add column first_gift_step_number smallint,
        add column first_gift_source varchar(30) constraint chk_donors_first_gift_source check (first_gift_source in (${list(SOURCES)}));`);
    this.addSql(`update donors set stage = 'lead', stage_entered_at = created_at;`);
    this.addSql(mapAudienceStages(SEED_TO_JOURNEY));
    this.addSql(`alter table donors add constraint chk_donors_stage check (stage in (${list(STAGES)}));`);
    this.addSql('create index idx_donors_lapse_due on donors(client_id, last_gift_at) where stage in (\'new_donor\', \'active\', \'reactivated\');');

    this.addSql(`
      create table donor_journey_transitions (
        id uuid primary key default gen_random_uuid(),
        sequence bigint generated always as identity,
        client_id uuid not null references clients(id) on delete cascade,
        donor_id uuid not null references donors(id) on delete cascade,
        from_stage varchar(20) constraint chk_donor_journey_from_stage check (from_stage in (${list(STAGES)})),
        to_stage varchar(20) not null constraint chk_donor_journey_to_stage check (to_stage in (${list(STAGES)})),
        at timestamptz not null,
        cause varchar(20) not null constraint chk_donor_journey_cause check (cause in ('created', 'gift', 'refund', 'lapse')),
        donation_id uuid references donations(id) on delete set null,
        campaign_id uuid references campaigns(id) on delete set null,
        recorded_at timestamptz not null default now(),
        constraint chk_donor_journey_moves check (from_stage is distinct from to_stage)
      );`);
    this.addSql('create index idx_donor_journey_donor on donor_journey_transitions(donor_id, at, sequence);');
    this.addSql('create index idx_donor_journey_campaign on donor_journey_transitions(campaign_id) where campaign_id is not null;');
    // A gift moves its donor once, and a refund once, whatever replays the webhook.
    this.addSql('create unique index donor_journey_once_per_gift on donor_journey_transitions(donation_id, cause) where donation_id is not null;');
    for (const statement of tenantIsolationSql(JOURNEY_TENANT_TABLES)) this.addSql(statement);

    this.addSql(ATTRIBUTE_FUNCTION);
    this.addSql(GIFT_FUNCTION);
    this.addSql(CREATED_FUNCTION);
    this.addSql(ANALYTICS_FUNCTION);

    this.addSql(BACKFILL_TRANSITIONS);
    this.addSql(BACKFILL_DONORS);
    this.addSql('select donor_journey_attribute(d.id) from donors d where d.last_gift_at is not null;');

    this.addSql(`create trigger donor_journey_created after insert on donors referencing new table as created
                   for each statement execute function donor_journey_on_created();`);
    this.addSql(`create trigger donor_journey_gift_recorded after insert on donations for each row
                   when (new.status = 'succeeded') execute function donor_journey_on_donation();`);
    this.addSql(`create trigger donor_journey_gift_changed after update of status, campaign_id, step_number on donations for each row
                   when (old.status is distinct from new.status or old.campaign_id is distinct from new.campaign_id
                         or old.step_number is distinct from new.step_number)
                   execute function donor_journey_on_donation();`);

    this.addSql(`
      create view customer_analytics with (security_invoker = true) as
      select client_id, stage, source, count, count_30d, avg_days_to_conversion from donor_journey_analytics(null, now());`);
    this.addSql('grant select on customer_analytics to track15_app, track15_operator;');
  }

  override async down(): Promise<void> {
    this.addSql('drop view if exists customer_analytics;');
    this.addSql('drop trigger if exists donor_journey_gift_changed on donations;');
    this.addSql('drop trigger if exists donor_journey_gift_recorded on donations;');
    this.addSql('drop trigger if exists donor_journey_created on donors;');
    this.addSql('drop function if exists donor_journey_analytics(timestamptz, timestamptz);');
    this.addSql('drop function if exists donor_journey_on_created();');
    this.addSql('drop function if exists donor_journey_on_donation();');
    this.addSql('drop function if exists donor_journey_attribute(uuid);');
    this.addSql('drop table if exists donor_journey_transitions;');
    this.addSql('drop index if exists idx_donors_lapse_due;');
    this.addSql('alter table donors drop constraint chk_donors_stage;');
    this.addSql(`update donors set stage = case stage ${Object.entries(JOURNEY_TO_SEED).map(([from, to]) => `when '${from}' then '${to}'`).join(' ')} end;`);
    this.addSql(`alter table donors add constraint chk_donors_stage check (stage in (${list(SEED_STAGES)}));`);
    this.addSql(mapAudienceStages(JOURNEY_TO_SEED));
    this.addSql(`alter table donors drop column stage_entered_at, drop column last_gift_at, drop column first_gift_at, drop column first_gift_donation_id,
                   drop column first_gift_campaign_id, drop column first_gift_step_number, drop column first_gift_source;`);
    this.addSql(`alter table donors add column marketing_qualified_at timestamptz, add column trial_started_at timestamptz,
                   add column subscribed_at timestamptz, add column churned_at timestamptz;`);
    this.addSql(`
      create view customer_analytics with (security_invoker = true) as
      select client_id, stage, source,
             count(*) as count,
             count(*) filter (where created_at >= now() - interval '30 days') as count_30d,
             avg(extract(epoch from (subscribed_at - created_at)) / 86400) filter (where subscribed_at is not null) as avg_days_to_subscription
        from donors
       where is_active
       group by client_id, stage, source;`);
    this.addSql('grant select on customer_analytics to track15_app, track15_operator;');
    this.addSql('alter table clients drop column lapse_after_days;');
  }
}
