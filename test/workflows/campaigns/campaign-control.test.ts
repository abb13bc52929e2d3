import { type CampaignStatus } from '../../../domain/campaigns/workflow-contract';
import { CampaignCommandRefusedError, campaignStatus, pauseCampaign, resumeCampaign, stopCampaign } from '../../../workflows/campaigns/lifecycle';
import { type CampaignHarness, eventually, startCampaignHarness } from '../../support/campaign-harness';

/** Pause, resume and stop, as a campaign manager uses them, against the real Temporal server. */
describe('steering a running campaign', () => {
  let h: CampaignHarness;
  let clientId: string;

  beforeAll(async () => {
    h = await startCampaignHarness({ batchSize: 25 });
    clientId = await h.fixtures.client('Control Client');
    await h.fixtures.donors(clientId, [...Array(60)].map((_, i) => ({ email: `steer-${i}@donors.test`, first_name: `S${i}` })));
  });
  afterAll(async () => { await h?.close(); });

  const sendsOf = (campaignId: string) => h.sink.deliveries().filter((d) => d.customArgs.campaign_id === campaignId);
  const stepDone = (campaignId: string, step: number) => eventually(async () => {
    const status = await campaignStatus(h.lifecycle, campaignId);
    return status.steps[step] ? status : undefined;
  }, 30_000, `step ${step}`);

  it('pauses mid-arc (nothing is sent while paused), refuses a second pause, and moves what remains by whole days on resume', async () => {
    // Six-second days: the pause comes right after step 1, well before step 2 is due.
    const dayMs = 6_000;
    const campaignId = await h.fixtures.track15Campaign(clientId, { name: 'pausable', dayLengthSeconds: dayMs / 1000, controlShare: 0 });
    await h.activate(clientId, campaignId);
    const beforePause = await stepDone(campaignId, 1);
    const plannedStep2 = Date.parse(beforePause.nextDueAt!);

    const paused = await pauseCampaign(h.lifecycle, campaignId, 'board review');
    expect(paused).toMatchObject({ stage: 'paused', pauseReason: 'board review', nextDueAt: null });
    await expect(pauseCampaign(h.lifecycle, campaignId)).rejects.toThrow(CampaignCommandRefusedError);
    await expect(pauseCampaign(h.lifecycle, campaignId)).rejects.toThrow(/already paused/);
    const [row] = await h.fixtures.query<{ track15_stage: string; track15_pause_reason: string }>(
      'select track15_stage, track15_pause_reason from campaigns where id = $1', [campaignId]);
    expect(row).toEqual({ track15_stage: 'paused', track15_pause_reason: 'board review' });

    const sentAtPause = sendsOf(campaignId).length;
    const pausedFor = 7_000;
    await new Promise((resolve) => setTimeout(resolve, pausedFor));
    expect(sendsOf(campaignId).length).toBe(sentAtPause);

    const resumed = await resumeCampaign(h.lifecycle, campaignId);
    expect(resumed.stage).toBe('active');
    // The paused time rounded up to whole days (domain/campaigns/schedule.ts): the arc keeps its spacing and its send hour.
    expect(resumed.scheduleShiftMs).toBeGreaterThanOrEqual(pausedFor);
    expect(resumed.scheduleShiftMs % dayMs).toBe(0);
    await expect(resumeCampaign(h.lifecycle, campaignId)).rejects.toThrow(/not paused/);

    // Step 2 was planned again by exactly that shift, and went out no sooner than planned.
    const resumedStep2 = Date.parse(resumed.nextDueAt!);
    expect(resumedStep2 - plannedStep2).toBe(resumed.scheduleShiftMs);
    const afterStep2 = await stepDone(campaignId, 2);
    expect(afterStep2.steps[2]).toMatchObject({ sent: 60 });
    const firstSendOf = (step: number) => Math.min(...sendsOf(campaignId).filter((d) => d.customArgs.step_number === String(step)).map((d) => d.receivedAt));
    expect(firstSendOf(2)).toBeGreaterThanOrEqual(resumedStep2);
    await stopCampaign(h.lifecycle, campaignId, 'seen enough');
  }, 90_000);

  it('stops with a reason: the arc ends at once, completed, and nothing more is sent', async () => {
    const campaignId = await h.fixtures.track15Campaign(clientId, { name: 'stoppable', dayLengthSeconds: 3, controlShare: 0 });
    await h.activate(clientId, campaignId);
    await stepDone(campaignId, 1);

    const stopped = await stopCampaign(h.lifecycle, campaignId, 'the appeal was cancelled');
    expect(stopped.stopReason).toBe('the appeal was cancelled');
    const final = (await h.result(campaignId)) as CampaignStatus;
    expect(final.stage).toBe('completed');
    const sentAtEnd = sendsOf(campaignId).length;
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(sendsOf(campaignId).length).toBe(sentAtEnd);
    expect(new Set(sendsOf(campaignId).map((d) => d.customArgs.step_number))).not.toContain('3');

    const [row] = await h.fixtures.query<{ track15_stage: string; track15_stop_reason: string; track15_completed_at: Date | null }>(
      'select track15_stage, track15_stop_reason, track15_completed_at from campaigns where id = $1', [campaignId]);
    expect(row.track15_stage).toBe('completed');
    expect(row.track15_stop_reason).toBe('the appeal was cancelled');
    expect(row.track15_completed_at).not.toBeNull();
    await expect(stopCampaign(h.lifecycle, campaignId, 'again')).rejects.toThrow();
  }, 60_000);

  it('treats a second activation as the same run, and refuses an incomplete campaign with the reasons', async () => {
    const campaignId = await h.fixtures.track15Campaign(clientId, { name: 'twice', dayLengthSeconds: 2, controlShare: 0 });
    const first = await h.activate(clientId, campaignId);
    const second = await h.activate(clientId, campaignId);
    expect(second.runId).toBe(first.runId);
    expect(second.alreadyActive).toBe(true);
    await stopCampaign(h.lifecycle, campaignId, 'test over');

    const incomplete = await h.fixtures.track15Campaign(clientId, { name: 'incomplete', dayLengthSeconds: 2 });
    await h.fixtures.query('delete from track15_narrative_steps where campaign_id = $1 and step_number = 7', [incomplete]);
    await h.fixtures.query(`update campaigns set track15_core_story = track15_core_story - 'summary' where id = $1`, [incomplete]);
    await expect(h.activate(clientId, incomplete)).rejects.toThrow(/summary/);
    await expect(h.activate(clientId, incomplete)).rejects.toThrow(/15 steps|step 7|step_number/i);
    const [row] = await h.fixtures.query<{ track15_stage: string; n: number }>(
      `select track15_stage, (select count(*)::int from campaign_recipients where campaign_id = $1) as n from campaigns where id = $1`, [incomplete]);
    expect(row).toEqual({ track15_stage: 'ready_for_launch', n: 0 });
  }, 60_000);

  it('gives a standard-appeal control group the conversion asks only, and the test group every step', async () => {
    const appealClient = await h.fixtures.client('Appeal Client');
    await h.fixtures.donors(appealClient, [...Array(30)].map((_, i) => ({ email: `appeal-${i}@donors.test` })));
    const campaignId = await h.fixtures.track15Campaign(appealClient, { dayLengthSeconds: 1, controlShare: 0.5, controlTreatment: 'standard_appeal' });
    await h.activate(appealClient, campaignId);
    await h.result(campaignId);
    const rows = await h.fixtures.query<{ recipient_group: string; step_number: number; status: string; skip_reason: string | null }>(
      `select r.recipient_group, l.step_number, l.status, l.skip_reason
         from campaign_deliveries l join campaign_recipients r using (campaign_id, donor_id) where l.campaign_id = $1`, [campaignId]);
    const control = rows.filter((row) => row.recipient_group === 'control');
    expect(control.length).toBeGreaterThan(0);
    for (const row of control) {
      if (row.step_number >= 11 && row.step_number <= 13) expect(row.status).toBe('sent');
      else expect(row).toMatchObject({ status: 'skipped', skip_reason: 'control_group' });
    }
    expect(rows.filter((row) => row.recipient_group === 'test').every((row) => row.status === 'sent')).toBe(true);
  }, 60_000);
});
