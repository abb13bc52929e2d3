import { toMajorUnits, toMinorUnits } from '../../../domain/money';

/** What the database adds up for one campaign (progressSql), before it is put in the API's units. */
export interface ProgressRow {
  currency: string;
  /** numeric major units as text, exact. */
  raised: string;
  gifts: number;
  donors: number;
  monthly_donors_started: number;
}

/**
 * A SQL expression (a scalar subquery, JSON: ProgressRow) of the money a campaign brought in so far;
 * `campaign` names the campaigns row of the enclosing query (its alias, e.g. `c`, or `campaigns`).
 * Gifts attributed to the campaign (donations.campaign_id) count when they succeeded: pending, failed
 * and refunded gifts count for nothing. Every gift of a client is in its reporting currency (a trigger
 * refuses any other), so the sum adds one currency. Cost: two indexed aggregates over this campaign's
 * own rows (idx_donations_campaign_succeeded, index-only; idx_recurring_gifts_campaign), never the
 * delivery ledger nor the client's other gifts.
 */
export function progressSql(campaign: string): string {
  return `(select json_build_object('currency', cl.reporting_currency, 'raised', g.raised, 'gifts', g.gifts, 'donors', g.donors,
                                    'monthly_donors_started', r.monthly_donors_started)
             from clients cl
            cross join lateral (select coalesce(sum(d.amount), 0)::text as raised, count(*)::int as gifts, count(distinct d.donor_id)::int as donors
                                  from donations d where d.campaign_id = ${campaign}.id and d.status = 'succeeded') g
            cross join lateral (select count(distinct coalesce(m.donor_id, m.id))::int as monthly_donors_started
                                  from recurring_gifts m where m.campaign_id = ${campaign}.id) r
            where cl.id = ${campaign}.client_id)`;
}

/**
 * A campaign's progress as the API states money (major units of the client's reporting currency, as
 * numbers: 1234.5 USD, 50000 JPY, 1.25 KWD):
 * - `raised`: the sum of its succeeded gifts; `goal_amount` the campaign's goal (null when it has none)
 *   and `share_of_goal` raised / goal (0.42 = 42%; above 1 once the goal is passed; null without a goal);
 * - `gifts` and `donors` (distinct donors who gave); `average_gift` = raised / gifts, rounded to the
 *   currency's minor unit (null before the first gift), the field's usual "average gift size";
 * - `monthly_donors_started`: donors who started a monthly gift from the campaign's asks, whether or
 *   not it still runs (each month it is paid is also a gift, in `gifts` and `raised`).
 */
export function progressView(row: ProgressRow, goalAmount: number | string | null) {
  const raised = toMinorUnits(row.raised, row.currency);
  const goal = goalAmount === null ? null : Number(goalAmount);
  return {
    currency: row.currency,
    goal_amount: goal,
    raised: toMajorUnits(raised, row.currency),
    share_of_goal: goal === null || goal === 0 ? null : Math.round((toMajorUnits(raised, row.currency) / goal) * 10_000) / 10_000,
    gifts: row.gifts,
    donors: row.donors,
    average_gift: row.gifts === 0 ? null : toMajorUnits(Math.round(raised / row.gifts), row.currency),
    monthly_donors_started: row.monthly_donors_started,
  };
}
