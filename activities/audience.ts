import type { AudienceFilter } from '../domain/audience';
import { UNSCORED } from '../domain/audience';

/**
 * The audience filter (domain/audience.ts) as SQL over `donors d`, for the campaign `campaignId`: one
 * statement freezes the audience at activation and the pre-activation estimate counts the same rows.
 * Values are bound, never spliced.
 */
export function audienceCondition(filter: AudienceFilter, campaignId: string): { sql: string; params: unknown[] } {
  const conditions: string[] = ['d.is_active', '(d.email is not null or d.phone is not null)'];
  const params: unknown[] = [];
  const add = (sql: string, ...values: unknown[]) => { conditions.push(sql); params.push(...values); };

  if (filter.segments) {
    const named = filter.segments.filter((segment) => segment !== UNSCORED);
    add(`(d.rfm_segment = any(${TEXT_ARRAY}) or (?::boolean and d.rfm_segment is null))`, JSON.stringify(named), filter.segments.includes(UNSCORED));
  }
  if (filter.tags_any) add(`d.tags && ${TEXT_ARRAY}`, JSON.stringify(filter.tags_any));
  if (filter.exclude_tags) add(`not (d.tags && ${TEXT_ARRAY})`, JSON.stringify(filter.exclude_tags));
  if (filter.stages) add(`d.stage = any(${TEXT_ARRAY})`, JSON.stringify(filter.stages));
  if (filter.last_gift_after) add(`${LAST_GIFT_SQL} >= ?::date`, filter.last_gift_after);
  if (filter.last_gift_before) add(`coalesce(${LAST_GIFT_SQL} < ?::date, true)`, filter.last_gift_before);
  if (filter.total_given) {
    const { currency, min, max } = filter.total_given;
    const total = `coalesce((select sum(g.amount) from donations g
                              where g.donor_id = d.id and g.status = 'succeeded' and g.currency = ?), 0)`;
    if (min !== undefined) add(`${total} >= ?`, currency.toLowerCase(), min);
    if (max !== undefined) add(`${total} <= ?`, currency.toLowerCase(), max);
  }
  if (filter.has_email !== undefined) add('(d.email is not null) = ?', filter.has_email);
  if (filter.has_phone !== undefined) add('(d.phone is not null) = ?', filter.has_phone);
  if (filter.exclude_other_active_campaigns) {
    add(`not exists (select 1 from campaign_recipients other join campaigns oc on oc.id = other.campaign_id
                      where other.donor_id = d.id and oc.id <> ?::uuid and oc.deleted_at is null
                        and oc.track15_stage in ('active', 'paused'))`, campaignId);
  }
  if (filter.target_profile) add(TARGET_PROFILE_SQL, campaignId);
  return { sql: conditions.join('\n     and '), params };
}

/** The profile in effect names a list at `path` (absent or empty: no condition) and the donor's metadata `field` is one of it. */
const inProfileList = (path: string, field: string) => `(coalesce(jsonb_array_length(p.demographics #> '{${path}}'), 0) = 0
            or lower(d.metadata->>'${field}') in (select lower(v) from jsonb_array_elements_text(p.demographics #> '{${path}}') v))`;

/**
 * domain/audience.ts's TARGET_PROFILE_FIELDS as SQL: no live target profile in effect for the campaign
 * (the usage's own, else its container's) fails to match the donor. Binds the campaign id.
 */
const TARGET_PROFILE_SQL = `not exists (
    select 1 from campaign_profile_usage u
      left join customer_profile_containers pc on pc.id = u.container_id
      join target_customer_profiles p on p.id = coalesce(u.customer_profile_id, pc.customer_profile_id) and p.deleted_at is null
     where u.campaign_id = ? and u.is_active
       and not (
         (cardinality(p.interests) = 0 or exists (select 1 from unnest(d.tags) t join unnest(p.interests) i on lower(t) = lower(i)))
         and ${inProfileList('location,countries', 'country')}
         and ${inProfileList('location,states', 'state')}
         and ${inProfileList('location,cities', 'city')}
         and (p.demographics->'ageRange' is null
              or (d.metadata->>'birth_year' ~ '^[0-9]{4}$'
                  and extract(year from current_date)::int - (d.metadata->>'birth_year')::int
                      between coalesce((p.demographics #>> '{ageRange,min}')::int, 0) and coalesce((p.demographics #>> '{ageRange,max}')::int, 200)))))`;

/** A bound list as a text[] (bound as JSON: the driver would spread a JavaScript array into a list of placeholders). */
const TEXT_ARRAY = 'array(select json_array_elements_text(?::json))';

const LAST_GIFT_SQL = `(select max(g.donated_at) from donations g where g.donor_id = d.id and g.status = 'succeeded')`;

/**
 * 'control' or 'test' for donor `d` of a campaign: a hash of (campaign, donor) against the control share,
 * so the split is reproducible and independent of insertion order. Binds the campaign id, then the share.
 */
export const RECIPIENT_GROUP_SQL = `case when ('x' || substr(md5(?::text || d.id::text), 1, 8))::bit(32)::bigint / 4294967296.0 < ?
              then 'control' else 'test' end`;

/** The donor would get email: an address, not suppressed, not unsubscribed from marketing. */
export const REACHABLE_BY_EMAIL_SQL = `(d.email is not null and d.email_suppressed_at is null
    and not exists (select 1 from notification_preferences p
                     where p.donor_id = d.id and p.category in ('marketing', 'all')
                       and (not p.email_enabled or p.unsubscribed_at is not null)))`;
