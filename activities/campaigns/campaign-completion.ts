import type { EntityManager } from '@mikro-orm/postgresql';
import { twoProportionLift } from '../../domain/experiments/lift';
import type { CampaignWorkflowInput } from '../../domain/campaigns/workflow-contract';

export interface GroupResult { recipients: number; conversions: number; revenue: number; revenuePerRecipient: number }
export interface CampaignAnalytics {
  control: GroupResult;
  test: GroupResult;
  liftPercent: number | null;
  difference: number;
  ci95: [number, number];
  pValue: number | null;
}

/**
 * Each donor's succeeded gifts that count for a campaign, as (donor_id, revenue) rows; binds the campaign
 * id once. A gift counts when it is attributed to the campaign (its give link's metadata, or set by the
 * API), or when it is unattributed and made in the campaign's window, from activation to completion (or
 * now): a control-group donor is never asked, so only such gifts (offline, direct, an expired link) can
 * show what the control group gives meanwhile, which is what the lift compares. Refunds are out
 * (succeeded only); dated up to now, so a mistyped future date is not a conversion yet.
 */
export const CAMPAIGN_GIFTS_SQL = `
  select d.donor_id, sum(d.amount) as revenue
    from donations d join campaigns c on c.id = ?
   where d.status = 'succeeded' and d.donated_at <= now()
     and (d.campaign_id = c.id
          or (d.campaign_id is null and c.track15_activated_at is not null
              and d.donated_at >= c.track15_activated_at and d.donated_at <= coalesce(c.track15_completed_at, now())))
   group by d.donor_id`;

/**
 * Control versus test from the gifts that count for the campaign (CAMPAIGN_GIFTS_SQL): a recipient
 * converts when they gave at least once. Every gift of a client is in its reporting currency, so
 * revenue adds one currency.
 */
export async function campaignAnalytics(em: EntityManager, campaignId: string): Promise<CampaignAnalytics> {
  const rows = await em.execute<{ recipient_group: 'test' | 'control'; recipients: number; conversions: number; revenue: string }[]>(
    `select r.recipient_group, count(*)::int as recipients, count(g.donor_id)::int as conversions,
            coalesce(sum(g.revenue), 0) as revenue
       from campaign_recipients r
       left join (${CAMPAIGN_GIFTS_SQL}) g on g.donor_id = r.donor_id
      where r.campaign_id = ?
      group by r.recipient_group`,
    [campaignId, campaignId],
  );
  const group = (name: 'test' | 'control'): GroupResult => {
    const row = rows.find((r) => r.recipient_group === name);
    const recipients = row?.recipients ?? 0;
    const revenue = Number(row?.revenue ?? 0);
    return { recipients, conversions: row?.conversions ?? 0, revenue, revenuePerRecipient: recipients ? round2(revenue / recipients) : 0 };
  };
  const control = group('control');
  const test = group('test');
  const lift = twoProportionLift(control, test);
  return { control, test, liftPercent: lift.liftPercent, difference: lift.difference, ci95: lift.ci95, pValue: lift.pValue };
}

/** Writes the results to the track15_* columns and completes the campaign (also when it was stopped early). */
export async function completeCampaign(em: EntityManager, input: CampaignWorkflowInput & { stopReason: string | null }): Promise<CampaignAnalytics> {
  const analytics = await campaignAnalytics(em, input.campaignId);
  const rate = (g: GroupResult) => (g.recipients ? g.conversions / g.recipients : null);
  await em.execute(
    `update campaigns
        set track15_stage = 'completed', status = 'completed', track15_completed_at = coalesce(track15_completed_at, now()),
            track15_control_conversion = ?, track15_test_conversion = ?,
            track15_control_revenue = ?, track15_test_revenue = ?,
            track15_analytics = ?::jsonb, track15_stop_reason = ?,
            track15_paused_at = null, track15_pause_reason = null
      where id = ?`,
    [rate(analytics.control), rate(analytics.test), analytics.control.revenue, analytics.test.revenue,
      JSON.stringify(analytics), input.stopReason, input.campaignId],
  );
  return analytics;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
