import type { EntityManager } from '@mikro-orm/postgresql';
import { type AbDecisionRecord, type AbMetric, type StepAbTest, type VariantResult, abWaitMs, decideWinner } from '../../domain/experiments/ab-test';

/** Which step of which campaign (the activities' input). */
export interface AbStepScope { campaignId: string; clientId: string; stepNumber: number }

/** What the touchpoint workflow needs to run a step's A/B test: how many variants and how long to wait. */
export interface AbTestPlan { variants: number; metric: AbMetric; testShare: number; waitMs: number }

/**
 * The step's A/B test as the workflow runs it, or null when the step has none (or is not an email).
 * The wait is the step's hours at real pace scaled by the campaign's day length (domain/experiments/ab-test.ts abWaitMs).
 */
export async function planAbTest(em: EntityManager, scope: AbStepScope): Promise<AbTestPlan | null> {
  const [row] = await em.execute<{ ab_test: StepAbTest | null; channel: string; day_length_seconds: number }[]>(
    `select s.ab_test, s.channel, c.track15_day_length_seconds as day_length_seconds
       from track15_narrative_steps s join campaigns c on c.id = s.campaign_id
      where s.campaign_id = ? and s.step_number = ?`, [scope.campaignId, scope.stepNumber]);
  if (!row?.ab_test || row.channel !== 'email') return null;
  const test = row.ab_test;
  return { variants: test.variants.length, metric: test.metric, testShare: test.test_share, waitMs: abWaitMs(test.wait_hours, row.day_length_seconds) };
}

/**
 * Decides the step's test from what the test share did: per variant, the recipients the ledger says were
 * sent it, and among them those whose email (email_sends, stamped by the SendGrid Event Webhook once per
 * fact) was opened, or clicked, per the metric; decideWinner picks the best rate and says whether it won
 * significantly. The decision is recorded once: a retry, or a second call, answers the recorded one.
 */
export async function decideAbTest(em: EntityManager, scope: AbStepScope): Promise<AbDecisionRecord> {
  const existing = await recordedDecision(em, scope);
  if (existing) return existing;
  const plan = await planAbTest(em, scope);
  if (!plan) throw new Error(`step ${scope.stepNumber} of campaign ${scope.campaignId} has no A/B test`);
  const rows = await em.execute<{ ab_variant: number; recipients: number; conversions: number }[]>(
    // Per donor: a step sent by email and SMS has a row per channel for each donor (the same variant on both).
    `select l.ab_variant, count(distinct l.donor_id)::int as recipients,
            count(distinct l.donor_id) filter (where case when ? = 'clicks' then e.clicked_at is not null else e.opened_at is not null or e.clicked_at is not null end)::int
              as conversions
       from campaign_deliveries l
       left join email_sends e on e.campaign_id = l.campaign_id and e.step_number = l.step_number and e.donor_id = l.donor_id
      where l.campaign_id = ? and l.step_number = ? and l.ab_variant is not null and l.status not in ('pending', 'skipped', 'failed')
      group by l.ab_variant`, [plan.metric, scope.campaignId, scope.stepNumber]);
  const counts = Array.from({ length: plan.variants }, (_, index) => {
    const row = rows.find((r) => r.ab_variant === index);
    return { recipients: row?.recipients ?? 0, conversions: row?.conversions ?? 0 };
  });
  const decision = decideWinner(counts);
  await em.execute(
    `insert into step_ab_decisions (campaign_id, client_id, step_number, metric, variants, winner, significant, p_value)
     values (?, ?, ?, ?, ?::jsonb, ?, ?, ?) on conflict (campaign_id, step_number) do nothing`,
    [scope.campaignId, scope.clientId, scope.stepNumber, plan.metric, JSON.stringify(decision.results), decision.winner, decision.significant, decision.pValue]);
  return (await recordedDecision(em, scope))!;
}

/** Every decided A/B test of a campaign, by step (for its report). */
export async function campaignAbDecisions(em: EntityManager, campaignId: string): Promise<AbDecisionRecord[]> {
  const rows = await em.execute<DecisionRow[]>(`${DECISION_SQL} where campaign_id = ? order by step_number`, [campaignId]);
  return rows.map(asRecord);
}

async function recordedDecision(em: EntityManager, scope: AbStepScope): Promise<AbDecisionRecord | null> {
  const [row] = await em.execute<DecisionRow[]>(`${DECISION_SQL} where campaign_id = ? and step_number = ?`, [scope.campaignId, scope.stepNumber]);
  return row ? asRecord(row) : null;
}

interface DecisionRow {
  step_number: number; metric: AbMetric; variants: VariantResult[]; winner: number; significant: boolean; p_value: number | null; decided_at: Date | string;
}

const DECISION_SQL = 'select step_number, metric, variants, winner, significant, p_value, decided_at from step_ab_decisions';

function asRecord(row: DecisionRow): AbDecisionRecord {
  return {
    stepNumber: row.step_number, metric: row.metric, variants: row.variants, winner: row.winner, significant: row.significant,
    pValue: row.p_value, decidedAt: new Date(row.decided_at).toISOString(),
  };
}
