import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import { CAMPAIGN_GIFTS_SQL, campaignAnalytics } from '../../activities/campaigns/campaign-completion';
import { campaignAbDecisions } from '../../activities/delivery/ab-decision';
import type { RfmSegment } from '../../domain/rfm';
import { pageOf } from '../schemas/common';
import type { Delivery } from '../schemas/reports';

type Group = 'test' | 'control';

/**
 * Control versus test (the same computation the workflow records at completion), broken down by the
 * RFM segment each recipient had when the audience was frozen, revenue and conversions per step (the
 * touchpoint whose give link converted), and retention of earlier donors.
 */
export async function analyticsReport(em: EntityManager, campaignId: string) {
  const analytics = await campaignAnalytics(em, campaignId);
  const segments = await em.execute<{ segment: RfmSegment | null; group: Group; recipients: number; conversions: number; revenue: string }[]>(
    `select r.segment_at_start as segment, r.recipient_group as "group", count(*)::int as recipients,
            count(g.donor_id)::int as conversions, coalesce(sum(g.revenue), 0) as revenue
       from campaign_recipients r
       left join (${CAMPAIGN_GIFTS_SQL}) g on g.donor_id = r.donor_id
      where r.campaign_id = ?
      group by 1, 2 order by 1 nulls last, 2`,
    [campaignId, campaignId],
  );
  // Which touchpoint converted: the step whose give link the gift came through (donations.step_number).
  const steps = await em.execute<{ step_number: number; conversions: number; gifts: number; revenue: string }[]>(
    `select step_number, count(distinct donor_id)::int as conversions, count(*)::int as gifts, sum(amount) as revenue
       from donations
      where campaign_id = ? and step_number is not null and status = 'succeeded' and donated_at <= now()
      group by 1 order by 1`,
    [campaignId],
  );
  const retention = await em.execute<{ group: Group; prior_donors: number; retained: number }[]>(
    `select r.recipient_group as "group", count(*)::int as prior_donors,
            count(*) filter (where exists (select 1 from donations d where d.donor_id = r.donor_id and d.campaign_id = r.campaign_id
                                                                      and d.status = 'succeeded'))::int as retained
       from campaign_recipients r join campaigns c on c.id = r.campaign_id
      where r.campaign_id = ?
        and exists (select 1 from donations p where p.donor_id = r.donor_id and p.status = 'succeeded' and p.donated_at < c.track15_activated_at)
      group by 1`,
    [campaignId],
  );
  const retentionOf = (group: Group) => {
    const row = retention.find((r) => r.group === group);
    const prior = row?.prior_donors ?? 0;
    return { prior_donors: prior, retained: row?.retained ?? 0, rate: prior ? (row?.retained ?? 0) / prior : null };
  };
  const groupView = (g: typeof analytics.control) => ({
    recipients: g.recipients, conversions: g.conversions, conversion_rate: g.recipients ? g.conversions / g.recipients : null,
    revenue: g.revenue, revenue_per_recipient: g.revenuePerRecipient,
  });
  return {
    control: groupView(analytics.control),
    test: groupView(analytics.test),
    lift_percent: analytics.liftPercent,
    difference: analytics.difference,
    ci95: analytics.ci95,
    p_value: analytics.pValue,
    segments: segments.map((row) => ({ ...row, revenue: Number(row.revenue) })),
    steps: steps.map((row) => ({ ...row, revenue: Number(row.revenue) })),
    retention: { control: retentionOf('control'), test: retentionOf('test') },
    ab_tests: (await campaignAbDecisions(em, campaignId)).map((d) => ({
      step_number: d.stepNumber, metric: d.metric, winner: d.winner, significant: d.significant, p_value: d.pValue, decided_at: d.decidedAt,
      variants: d.variants.map((v) => ({ index: v.index, recipients: v.recipients, conversions: v.conversions, rate: v.rate, ci95: v.ci95 })),
    })),
  };
}

export interface DeliveryFilter { donor_id?: string; step_number?: number; status?: string; limit: number; offset: number }

/** The ledger rows of a campaign; with a donor (and a step), also where the donor stood and what that meant. */
export async function deliveryReport(em: EntityManager, campaignId: string, filter: DeliveryFilter) {
  const where = ['campaign_id = ?'];
  const params: unknown[] = [campaignId];
  for (const column of ['donor_id', 'step_number', 'status'] as const) {
    if (filter[column] !== undefined) { where.push(`${column} = ?`); params.push(filter[column]); }
  }
  const items = await em.execute<z.input<typeof Delivery>[]>(
    `select step_number, donor_id, channel, status, skip_reason, failure_reason, provider_message_id, cost_cents, attempts, created_at, settled_at
       from campaign_deliveries where ${where.join(' and ')} order by step_number, donor_id, channel limit ? offset ?`,
    [...params, filter.limit, filter.offset],
  );
  const page = pageOf(items, filter);
  if (!filter.donor_id) return page;
  const [recipient] = await em.execute<{ group: 'test' | 'control'; segment_at_start: string | null }[]>(
    'select recipient_group as "group", segment_at_start from campaign_recipients where campaign_id = ? and donor_id = ?',
    [campaignId, filter.donor_id],
  );
  const explanation = filter.step_number === undefined ? undefined : explain(filter.step_number, recipient ?? null, items);
  return { ...page, recipient: recipient ?? null, ...(explanation ? { explanation } : {}) };
}

/** What the donor's rows of one step mean: one sentence, or one per channel (`email: …; sms: …`) for a step sent on both. */
function explain(step: number, recipient: { group: string } | null, deliveries: DeliveryRow[]): string {
  if (!recipient) return 'the donor is not in the campaign\'s audience (not active, no address, or added after activation)';
  if (deliveries.length === 0) return `step ${step} has not been delivered to this donor yet`;
  if (deliveries.length === 1) return explainRow(step, deliveries[0]);
  return deliveries.map((delivery) => `${delivery.channel}: ${explainRow(step, delivery)}`).join('; ');
}

type DeliveryRow = { channel: string; status: string; skip_reason: string | null; failure_reason: string | null };

function explainRow(step: number, delivery: DeliveryRow): string {
  if (delivery.status === 'skipped') return `step ${step} was skipped: ${delivery.skip_reason}`;
  if (delivery.status === 'failed') return `step ${step} failed: ${delivery.failure_reason ?? 'the provider refused it'}`;
  if (delivery.status === 'pending') return `step ${step} is being sent`;
  return `step ${step} was sent (${delivery.status})`;
}
