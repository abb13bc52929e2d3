import type { EntityManager } from '@mikro-orm/postgresql';
import type { PageWindow } from '../../schemas/common';
import { wilsonInterval } from '../../../domain/experiments/ab-test';
import { twoProportionLift } from '../../../domain/experiments/lift';
import { invalid } from '../../problem';
import type { PageType } from '../../schemas/activation/content-versions';
import { getContentVersion } from './content-versions';

/**
 * Which version converts (issue 16 item 5). Per version: distinct visitor-days that saw it, agreement
 * acceptances and succeeded payments credited to it, and each as a rate of the views with its 95%
 * Wilson interval (domain/experiments/ab-test.ts). An acceptance and its payment count for the agreement version
 * accepted and for the activation version the visitor had been shown; refunds and failures do not count.
 */

export const ALPHA = 0.05;
export const METRICS = ['payments', 'acceptances'] as const;
export type Metric = (typeof METRICS)[number];

interface Counts { version_id: string; page_type: PageType; version_number: number; is_current: boolean; outcome: 'success' | 'failure' | 'pending' | null; views: number; acceptances: number; payments: number }

export interface Rate { rate: number; ci95: [number, number] }
export interface VersionStats extends Counts { acceptance_rate: Rate; conversion: Rate }

const COUNTS_SQL = `
  select v.id as version_id, v.page_type, v.version_number, v.is_current, v.outcome,
    (select count(*)::int from content_version_views w where w.content_version_id = v.id) as views,
    (select count(*)::int from agreement_acceptances a where a.content_version_id = v.id or a.activation_version_id = v.id) as acceptances,
    (select count(*)::int from payments p left join agreement_acceptances a on a.id = p.acceptance_id
      where p.status = 'succeeded' and (p.content_version_id = v.id or a.activation_version_id = v.id)) as payments
  from content_versions v`;

/**
 * A share of the views with its interval. A visitor may pay on a later day than the one counted, so
 * successes are capped at the views (the rate is then 1, not above).
 */
function rateOf(successes: number, views: number): Rate {
  const counts = { recipients: views, conversions: Math.min(successes, views) };
  return { rate: views > 0 ? counts.conversions / views : 0, ci95: wilsonInterval(counts) };
}

function withRates(counts: Counts): VersionStats {
  return { ...counts, acceptance_rate: rateOf(counts.acceptances, counts.views), conversion: rateOf(counts.payments, counts.views) };
}

/** Every version of one page type, newest first. */
export async function pageTypeStats(em: EntityManager, pageType: PageType, window: PageWindow): Promise<VersionStats[]> {
  const rows = await em.execute<Counts[]>(`${COUNTS_SQL} where v.page_type = ? order by v.version_number desc limit ? offset ?`,
    [pageType, window.limit, window.offset]);
  return rows.map(withRates);
}

async function versionStats(em: EntityManager, id: string): Promise<VersionStats> {
  await getContentVersion(em, id);
  const [row] = await em.execute<Counts[]>(`${COUNTS_SQL} where v.id = ?`, [id]);
  return withRates(row);
}

export interface Comparison {
  metric: Metric;
  candidate: VersionStats;
  baseline: VersionStats;
  /** Candidate rate − baseline rate. */
  difference: number;
  ci95: [number, number];
  lift_percent: number | null;
  p_value: number | null;
  /** success / failure when the difference is significant at ALPHA (two-sided), pending otherwise. */
  suggested_outcome: 'success' | 'failure' | 'pending';
}

/**
 * The candidate against the baseline with the product's two-proportion z-test (domain/experiments/lift.ts): views
 * are the trials, the metric's successes the conversions. Both must be versions of the same page type.
 */
export async function compareVersions(em: EntityManager, candidateId: string, baselineId: string, metric: Metric): Promise<Comparison> {
  const candidate = await versionStats(em, candidateId);
  const baseline = await versionStats(em, baselineId);
  if (candidate.page_type !== baseline.page_type) {
    throw invalid([{ field: 'params.otherVersionId', message: `is a ${baseline.page_type} version; compare versions of the same page type (${candidate.page_type})` }]);
  }
  const counts = (stats: VersionStats) => ({ recipients: stats.views, conversions: Math.min(stats[metric], stats.views) });
  const lift = twoProportionLift(counts(baseline), counts(candidate));
  const significant = lift.pValue !== null && lift.pValue < ALPHA;
  return {
    metric, candidate, baseline, difference: lift.difference, ci95: lift.ci95, lift_percent: lift.liftPercent, p_value: lift.pValue,
    suggested_outcome: !significant ? 'pending' : lift.difference > 0 ? 'success' : 'failure',
  };
}
