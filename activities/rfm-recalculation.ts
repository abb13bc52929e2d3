import type { EntityManager } from '@mikro-orm/postgresql';
import { timeRfmRecalculation } from './metrics';
import { FREQUENCY_MIN_GIFTS, MONETARY_MIN_CENTS, RECENCY_FALLBACK, RECENCY_MAX_DAYS, SEGMENT_RULES } from '../domain/rfm';

/**
 * RFM recalculation as ONE set-based statement per client (or per donor, after a gift): aggregate the
 * succeeded gifts up to a date, score them, assign the segment, update the donors whose scores moved.
 * The CASE expressions are generated from domain/rfm.ts's thresholds and rules, so SQL and TypeScript
 * cannot disagree. The seed called three score functions per donor instead, each scanning that donor's
 * donations, and rewrote every donor every night.
 */
const descending = (value: string, thresholds: readonly number[], comparison: '<=' | '>=') =>
  `case ${thresholds.map((t, i) => `when ${value} ${comparison} ${t} then ${5 - i}`).join(' ')} else 1 end`;

const SEGMENT_CASE = `case
  ${SEGMENT_RULES.map(({ segment, r, f, m }) =>
    `when s.r between ${r[0]} and ${r[1]} and s.f between ${f[0]} and ${f[1]} and s.m between ${m[0]} and ${m[1]} then '${segment}'`).join('\n  ')}
  ${RECENCY_FALLBACK.map(({ minRecency, segment }) => `when s.r >= ${minRecency} then '${segment}'`).join('\n  ')}
  end`;

export const RFM_RECALCULATION_SQL = `
  with gifts as (
    -- Integers from here on: numeric comparisons in the score CASEs cost more than the conversions.
    select donor_id, floor(date_part('epoch', ?::timestamptz - max(donated_at)) / 86400)::int as days_since,
           -- In US cents: the tiers are seed 000's dollar amounts; a non-USD client's rate converts (issue 10 item 4).
           count(*) as gift_count,
           (sum(amount) * 100 / (select coalesce(rfm_tier_rate, 1) from clients where id = donations.client_id))::bigint as total_cents
      from donations
     where client_id = ? and status = 'succeeded' and donated_at <= ?::timestamptz and (?::uuid is null or donor_id = ?::uuid)
     group by donor_id, client_id),
  scores as (
    select donor_id,
           ${descending('days_since', RECENCY_MAX_DAYS, '<=')} as r,
           ${descending('gift_count', FREQUENCY_MIN_GIFTS, '>=')} as f,
           ${descending('total_cents', MONETARY_MIN_CENTS, '>=')} as m
      from gifts),
  segmented as (
    select target.id as donor_id, s.r, s.f, s.m, case when s.r is null then null else ${SEGMENT_CASE} end as segment,
           target.rfm_recency_score, target.rfm_frequency_score, target.rfm_monetary_score, target.rfm_segment
      from donors target left join scores s on s.donor_id = target.id
     where target.client_id = ? and (?::uuid is null or target.id = ?::uuid)),
  -- A whole-client run rewrites only donors whose scores move (a row rewrite touches every index of
  -- donors); the client's stamp says when the others were last scored. A one-donor run (after a gift)
  -- also stamps that donor when nothing moved: it was scored.
  rewritten as materialized (
    select n.*, (n.rfm_recency_score, n.rfm_frequency_score, n.rfm_monetary_score, n.rfm_segment) is distinct from (n.r, n.f, n.m, n.segment) as moved
      from segmented n
     where ?::uuid is not null
        or (n.rfm_recency_score, n.rfm_frequency_score, n.rfm_monetary_score, n.rfm_segment) is distinct from (n.r, n.f, n.m, n.segment)),
  stamped as (
    update clients set rfm_calculated_at = now() where id = ? and ?::uuid is null),
  updated as (
    update donors d
       set rfm_recency_score = n.r, rfm_frequency_score = n.f, rfm_monetary_score = n.m, rfm_segment = n.segment,
           rfm_last_calculated = now()
      from rewritten n
     -- The array lets the planner fetch the few rewritten donors by primary key; joined on id alone, it
     -- expects every donor to change and hashes the whole table.
     where d.id = n.donor_id and d.id = any (array(select donor_id from rewritten)))
  select (select count(*) from donors where client_id = ? and (?::uuid is null or id = ?::uuid))::int as scored,
         (select count(*) from rewritten where moved)::int as changed`;

/** What one recalculation did. */
export interface RfmRecalculationResult {
  /** Donors scored: every donor of the client, or the one named (a donor without succeeded gifts up to the date is scored as having none). */
  scored: number;
  /** Of those, donors whose recency, frequency or monetary score or segment differs from before. */
  changed: number;
}

/**
 * Scores every donor of the client as of `asOf` (or just `donorId`); donors without gifts lose their
 * scores. A whole-client run writes only the donors whose scores change (stamping their
 * `rfm_last_calculated`) and stamps `clients.rfm_calculated_at`, so a donor was last scored at the later
 * of the two (DONOR_COLUMNS in api/services/donors/donors.ts reads it so); a one-donor run stamps that donor.
 */
export async function recalculateRfm(em: EntityManager, clientId: string, asOf: Date, donorId: string | null = null): Promise<RfmRecalculationResult> {
  const at = asOf.toISOString();
  const done = timeRfmRecalculation(donorId ? 'donor' : 'client');
  // JIT compiling this statement took 0.35 s and saved less; the setting ends with the caller's transaction.
  await em.execute('set local jit = off');
  const [result] = await em.execute<RfmRecalculationResult[]>(RFM_RECALCULATION_SQL,
    [at, clientId, at, donorId, donorId, clientId, donorId, donorId, donorId, clientId, donorId, clientId, donorId, donorId]);
  done();
  return result;
}
