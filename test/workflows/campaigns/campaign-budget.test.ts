import type { CampaignStatus } from '../../../domain/campaigns/workflow-contract';
import { campaignStatus, stopCampaign } from '../../../workflows/campaigns/lifecycle';
import { type CampaignHarness, eventually, startCampaignHarness } from '../../support/campaign-harness';

/**
 * A campaign spending from a budget linked through campaign_profile_usage: every batch is recorded in
 * the spend ledger and the budget, alerts fire once each, and the hard cap pauses the campaign.
 */
describe('campaign budget', () => {
  let h: CampaignHarness;

  beforeAll(async () => { h = await startCampaignHarness({ batchSize: 15 }); });
  afterAll(async () => { await h?.close(); });

  it('spends per message sent, fires 50/80/100% alerts once, and pauses with budget_exhausted at the cap', async () => {
    const clientId = await h.fixtures.client('Budget Client');
    await h.fixtures.donors(clientId, [...Array(40)].map((_, i) => ({ email: `budget-${i}@donors.test` })));
    const campaignId = await h.fixtures.track15Campaign(clientId, { dayLengthSeconds: 2, controlShare: 0 });
    // $1.00 at 1¢ a message pays for 100 emails: two full steps of 40, then 20 of the third.
    const [budget] = await h.fixtures.query<{ id: string }>(
      `insert into budgets (client_id, name, amount, cost_per_message, alerts)
       values ($1, 'Spring email', 1.00, 0.01, '[{"threshold_percent": 50}, {"threshold_percent": 80}, {"threshold_percent": 100}]')
       returning id`, [clientId]);
    await h.fixtures.query(
      `insert into campaign_profile_usage (client_id, campaign_id, budget_id, usage_type) values ($1, $2, $3, 'INDIVIDUAL')`,
      [clientId, campaignId, budget.id]);

    await h.activate(clientId, campaignId);
    const paused = await eventually(async () => {
      const status = await campaignStatus(h.lifecycle, campaignId);
      return status.stage === 'paused' ? status : undefined;
    }, 60_000, 'the budget pause');
    expect(paused.pauseReason).toBe('budget_exhausted');
    expect(paused.steps[3]).toMatchObject({ sent: 20, skipped: 20, skipReasons: { budget_exhausted: 20 }, budgetExhausted: true });

    const [figures] = await h.fixtures.query<{ amount_spent: string; amount_remaining: string; percentage_spent: string; ledger: string; messages: number }>(
      `select b.amount_spent, b.amount_remaining, b.percentage_spent,
              (select sum(amount) from budget_spend where budget_id = b.id) as ledger,
              (select sum(messages)::int from budget_spend where budget_id = b.id) as messages
         from budgets b where b.id = $1`, [budget.id]);
    expect(figures).toEqual({ amount_spent: '1.00', amount_remaining: '0.00', percentage_spent: '100.00', ledger: '1.00', messages: 100 });
    const alerts = await h.fixtures.query<{ threshold_percent: string }>(
      'select threshold_percent from budget_alert_events where budget_id = $1 order by threshold_percent', [budget.id]);
    expect(alerts.map((a) => Number(a.threshold_percent))).toEqual([50, 80, 100]);
    // The workflow pauses first, then records the stage through an activity.
    const row = await eventually(async () => {
      const [campaign] = await h.fixtures.query<{ track15_stage: string; track15_pause_reason: string }>(
        'select track15_stage, track15_pause_reason from campaigns where id = $1', [campaignId]);
      return campaign.track15_stage === 'paused' ? campaign : undefined;
    }, 10_000, 'the paused stage in the database');
    expect(row).toEqual({ track15_stage: 'paused', track15_pause_reason: 'budget_exhausted' });
    expect(h.sink.deliveries().filter((d) => d.customArgs.campaign_id === campaignId)).toHaveLength(100);

    await stopCampaign(h.lifecycle, campaignId, 'budget spent');
    const final = (await h.result(campaignId)) as CampaignStatus;
    expect(final.stage).toBe('completed');
  }, 90_000);
});
