import { scoreDonor } from '../../domain/rfm';
import { randomBytes } from 'node:crypto';
import { ensureRfmSchedule } from '../../workflows/schedules';
import { type CampaignHarness, eventually, startCampaignHarness } from '../support/campaign-harness';

/** The nightly RFM recalculation is a Temporal Schedule: created idempotently, and its run scores every client. */
describe('nightly RFM schedule', () => {
  let h: CampaignHarness;
  // Every worker process ensures the real schedule on the shared test server; this suite owns one of its own.
  const scheduleId = `rfm-nightly-test-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => { h = await startCampaignHarness(); });
  afterAll(async () => {
    await h?.temporal.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    await h?.close();
  });

  it('is created once at 03:00 UTC, and a run rescores the donors of every client', async () => {
    await ensureRfmSchedule(h.temporal.client, h.temporal.taskQueue, scheduleId);
    await ensureRfmSchedule(h.temporal.client, h.temporal.taskQueue, scheduleId); // a second worker start changes nothing
    const schedule = h.temporal.client.schedule.getHandle(scheduleId);
    const described = await schedule.describe();
    expect(described.spec.calendars).toEqual([expect.objectContaining({ hour: [{ start: 3, end: 3, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }] })]);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'rfmNightlyWorkflow', taskQueue: h.temporal.taskQueue });

    const clients = [await h.fixtures.client('Nightly A'), await h.fixtures.client('Nightly B')];
    const donors = await Promise.all(clients.map((clientId, i) => h.fixtures.donors(clientId, [{ email: `nightly-${i}@donors.test` }])));
    const recent = new Date(Date.now() - 5 * 86_400_000);
    for (const [i, clientId] of clients.entries()) {
      for (let gift = 0; gift <= i * 9; gift++) await h.fixtures.donation(clientId, donors[i][0], 600, { at: recent });
    }

    await schedule.trigger();
    const started = await eventually(async () => (await schedule.describe()).info.recentActions.at(-1)?.action, 15_000, 'the scheduled run');
    const result = await h.temporal.client.workflow.getHandle(started.workflow.workflowId, started.workflow.firstExecutionRunId).result();
    expect(result).toEqual({ clients: 2, donorsChanged: 2 });
    const scored = await h.fixtures.query<{ client_id: string; r: number; f: number; m: number; segment: string }>(
      `select client_id, rfm_recency_score as r, rfm_frequency_score as f, rfm_monetary_score as m, rfm_segment as segment
         from donors where client_id = any($1)`, [clients]);
    // What the domain rules say for one $600 gift and for ten, five days ago.
    const expected = (gifts: number) => scoreDonor(Array.from({ length: gifts }, () => ({ amountCents: 60_000, at: recent })), new Date());
    expect(Object.fromEntries(scored.map(({ client_id: clientId, ...score }) => [clientId, score]))).toEqual({
      [clients[0]]: expected(1), [clients[1]]: expected(10),
    });
    expect(expected(1)).not.toEqual(expected(10));
  });
});
