import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import { REACHABLE_BY_EMAIL_SQL, RECIPIENT_GROUP_SQL, audienceCondition } from '../../activities/audience';
import type { AudienceFilter } from '../../domain/audience';
import { controlShareNeeded, minimumDetectableLift } from '../../domain/experiments/detectable-lift';
import { conflict } from '../problem';
import type { AudienceEstimate, AudienceEstimateQuery } from '../schemas/audience';
import { isLaunched, requireCampaign } from './campaigns/campaign-guard';

type Estimate = z.infer<typeof AudienceEstimate>;

/**
 * Before activation: what the campaign's saved audience filter selects right now, how many of those email
 * can reach, the test/control split activation would make (the same hash), per segment, and whether the
 * control group is large enough to detect the lift the client expects (domain/experiments/detectable-lift.ts). After
 * activation the audience is frozen, so this answers 409 (the status route has the frozen counts).
 */
export async function estimateAudience(em: EntityManager, campaignId: string, query: z.infer<typeof AudienceEstimateQuery>): Promise<Estimate> {
  const campaign = await requireCampaign(em, campaignId);
  if (isLaunched(campaign)) throw conflict('the audience was frozen at activation', { reasons: [`stage is ${campaign.track15_stage}`] });
  const [settings] = await em.execute<{ filter: AudienceFilter; control_share: string; rate: string | null; lift: string | null }[]>(
    `select c.track15_audience_filter as filter, c.track15_control_share as control_share,
            cl.historical_conversion_rate as rate, cl.expected_lift_percent as lift
       from campaigns c join clients cl on cl.id = c.client_id where c.id = ?`,
    [campaignId],
  );
  const controlShare = Number(settings.control_share);
  const audience = audienceCondition(settings.filter, campaignId);
  const rows = await em.execute<{ segment: string | null; recipient_group: 'test' | 'control'; selected: number; reachable: number }[]>(
    `select d.rfm_segment as segment, ${RECIPIENT_GROUP_SQL} as recipient_group,
            count(*)::int as selected, count(*) filter (where ${REACHABLE_BY_EMAIL_SQL})::int as reachable
       from donors d
      where d.client_id = (select client_id from campaigns where id = ?) and ${audience.sql}
      group by 1, 2 order by 1 nulls last, 2`,
    [campaignId, controlShare, campaignId, ...audience.params],
  );

  const sum = (pick: (row: (typeof rows)[number]) => number, where: (row: (typeof rows)[number]) => boolean = () => true) =>
    rows.filter(where).reduce((total, row) => total + pick(row), 0);
  const inGroup = (group: 'test' | 'control') => (row: (typeof rows)[number]) => row.recipient_group === group;
  const segments = [...new Set(rows.map((row) => row.segment))].map((segment) => {
    const of = (row: (typeof rows)[number]) => row.segment === segment;
    return {
      segment,
      selected: sum((row) => row.selected, of),
      reachable: sum((row) => row.reachable, of),
      test: sum((row) => row.selected, (row) => of(row) && inGroup('test')(row)),
      control: sum((row) => row.selected, (row) => of(row) && inGroup('control')(row)),
    };
  });
  const groups = {
    test: { selected: sum((row) => row.selected, inGroup('test')), reachable: sum((row) => row.reachable, inGroup('test')) },
    control: { selected: sum((row) => row.selected, inGroup('control')), reachable: sum((row) => row.reachable, inGroup('control')) },
  };
  const baseline = query.baseline_conversion_rate ?? (settings.rate !== null ? Number(settings.rate) : null);
  const expected = query.expected_lift_percent ?? (settings.lift !== null ? Number(settings.lift) : null);
  return {
    selected: sum((row) => row.selected),
    reachable: sum((row) => row.reachable),
    groups,
    segments,
    power: power(groups.control.selected, groups.test.selected, controlShare, baseline, expected),
  };
}

/** The analytics at completion compare every recipient of each group, reached or not, so the power does too. */
function power(control: number, test: number, controlShare: number, baseline: number | null, expected: number | null): Estimate['power'] {
  const warnings: string[] = [];
  const result: Estimate['power'] = {
    control_share: controlShare, baseline_conversion_rate: baseline, expected_lift_percent: expected,
    minimum_detectable_lift_percent: null, minimum_detectable_difference: null, control_share_needed: null, warnings,
  };
  if (baseline === null) {
    warnings.push('no baseline conversion rate: set the client\'s historical_conversion_rate or pass baseline_conversion_rate');
    return result;
  }
  if (control === 0) warnings.push('the control group is empty: the campaign\'s lift cannot be measured');
  const detectable = minimumDetectableLift({ control, test, baselineRate: baseline });
  result.minimum_detectable_lift_percent = detectable ? round(detectable.liftPercent, 2) : null;
  result.minimum_detectable_difference = detectable ? round(detectable.difference, 6) : null;
  if (expected !== null) {
    result.control_share_needed = controlShareNeeded(control + test, baseline, expected);
    if (!detectable || detectable.liftPercent > expected) {
      const smallest = detectable ? `the smallest detectable lift is ${round(detectable.liftPercent, 1)}%` : 'no lift is detectable';
      const remedy = result.control_share_needed !== null
        ? `a control share of ${result.control_share_needed} would detect it`
        : 'no control share up to 0.5 would: the audience is too small';
      warnings.push(`the control group (${control} donors) is too small to show a ${expected}% lift at 80% power and 95% confidence: ${smallest}; ${remedy}`);
    }
  }
  return result;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
