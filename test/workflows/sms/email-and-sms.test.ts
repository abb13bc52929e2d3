import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { prepareActivation } from '../../../activities/campaigns/activation';
import { unsubscribeGroupId } from '../../../activities/email/unsubscribe-groups';
import { readAsClient, withClient } from '../../../domain/db/tenancy';
import { smsSegments } from '../../../domain/sms';
import { storedStatus } from '../../../api/services/campaigns/campaign-status';
import { analyticsReport } from '../../../api/services/reports';
import { touchpointWorkflowId } from '../../../domain/campaigns/workflow-contract';
import { campaignStatus, stopCampaign } from '../../../workflows/campaigns/lifecycle';
import { touchpointWorkflow } from '../../../workflows/campaigns/touchpoint';
import { type CampaignHarness, eventually, startCampaignHarness } from '../../support/campaign-harness';
import { countersAndLedger } from '../../support/delivery-counts';
import { LONG_MESSAGE, zoneAt } from '../../support/fixtures';
import { workerMetricsEnv } from '../../support/ports';
import { TEMPORAL_ADDRESS } from '../../support/temporal';

/**
 * Issue 18 item 2, "email and SMS", on the real Temporal server, PostgreSQL, the SendGrid sink and the
 * Twilio sink: each eligible donor gets the email and the text, each channel under its own rules, one
 * ledger row per channel; at most once per channel through a worker killed mid-batch; the budget pays for
 * every email and every segment; the status counts each channel apart.
 */
describe('a step sent by email and SMS', () => {
  let h: CampaignHarness;
  let clientId: string;
  const from = '+15005550009';

  beforeAll(async () => {
    h = await startCampaignHarness({ batchSize: 3 });
    clientId = await h.fixtures.client('Both Channels Org');
    await h.fixtures.query('update clients set sms_from_number = $1 where id = $2', [from, clientId]);
  });
  afterAll(async () => { await h?.close(); });

  /** Donors in an afternoon zone; SMS consent for marketing unless `consent` is false; `emailOff` turns their marketing email off. */
  async function donors(client: string, rows: { key: string; phone: string | null; consent?: boolean; emailOff?: boolean }[]): Promise<Map<string, string>> {
    const ids = await h.fixtures.donors(client, rows.map((r) => ({ email: `${r.key}-${Date.now()}@donors.test`, phone: r.phone ?? undefined, first_name: r.key })));
    await h.fixtures.query('update donors set timezone = $1 where id = any($2::uuid[])', [zoneAt(14), ids]);
    await h.fixtures.query(
      `insert into notification_preferences (client_id, donor_id, category, sms_enabled, email_enabled)
       select $1, x.id, 'marketing', x.sms, x.email from json_to_recordset($2::json) as x(id uuid, sms boolean, email boolean)`,
      [client, JSON.stringify(rows.map((r, i) => ({ id: ids[i], sms: r.consent !== false, email: !r.emailOff })))]);
    return new Map(rows.map((r, i) => [r.key, ids[i]]));
  }

  const ledger = (campaignId: string) => h.fixtures.query<{ donor_id: string; channel: string; status: string; skip_reason: string | null; sms_segments: number | null }>(
    'select donor_id, channel, status, skip_reason, sms_segments from campaign_deliveries where campaign_id = $1 and step_number = 1', [campaignId]);

  it('mails and texts each eligible donor once, each channel under its own rules; segments costed; status by channel', async () => {
    const ids = await donors(clientId, [
      { key: 'ada', phone: '+14155550301' },
      { key: 'bob', phone: '+14155550302', consent: false },
      { key: 'cy', phone: '+14155550303', emailOff: true },
      { key: 'dee', phone: '+14155550304' },
      { key: 'eve', phone: null },
    ]);
    const campaignId = await h.fixtures.track15Campaign(clientId, { dayLengthSeconds: 12, controlShare: 0 });
    await h.fixtures.query(`update track15_narrative_steps set channel = 'email_and_sms', message = $2 where campaign_id = $1 and step_number = 1`,
      [campaignId, LONG_MESSAGE]);
    const [budget] = await h.fixtures.query<{ id: string }>(
      `insert into budgets (client_id, name, amount, cost_per_message) values ($1, 'Both', 100, 0.05) returning id`, [clientId]);
    await h.fixtures.query(`insert into campaign_profile_usage (client_id, campaign_id, budget_id, usage_type) values ($1, $2, $3, 'INDIVIDUAL')`,
      [clientId, campaignId, budget.id]);
    await h.activate(clientId, campaignId);
    const tally = await eventually(async () => (await campaignStatus(h.lifecycle, campaignId)).steps[1], 60_000, 'step 1');
    await stopCampaign(h.lifecycle, campaignId, 'seen enough');

    const keyOf = new Map([...ids].map(([key, id]) => [id, key]));
    const mailed = h.sink.deliveries().filter((d) => d.customArgs.campaign_id === campaignId && d.customArgs.step_number === '1')
      .map((d) => keyOf.get(d.customArgs.donor_id));
    expect(mailed.sort()).toEqual(['ada', 'bob', 'dee', 'eve']);
    const texts = h.twilioSink.messages().filter((t) => t.from === from && t.body.includes('families in our city'));
    expect(texts.map((t) => t.to).sort()).toEqual(['+14155550301', '+14155550303', '+14155550304']);

    const rows = new Map((await ledger(campaignId)).map((row) => [`${keyOf.get(row.donor_id)}/${row.channel}`, row]));
    expect(rows.size).toBe(10);
    for (const key of ['ada', 'bob', 'dee', 'eve']) expect(rows.get(`${key}/email`)).toMatchObject({ status: 'sent', sms_segments: null });
    for (const key of ['ada', 'cy', 'dee']) expect(rows.get(`${key}/sms`)).toMatchObject({ status: 'sent', sms_segments: smsSegments(texts[0].body).segments });
    expect(rows.get('cy/email')).toMatchObject({ status: 'skipped', skip_reason: 'unsubscribed' });
    expect(rows.get('bob/sms')).toMatchObject({ status: 'skipped', skip_reason: 'no_sms_consent' });
    expect(rows.get('eve/sms')).toMatchObject({ status: 'skipped', skip_reason: 'no_address' });

    // The budget pays one unit per email and each text's segments.
    const segments = texts.reduce((sum, t) => sum + smsSegments(t.body).segments, 0);
    expect(segments).toBeGreaterThan(texts.length);
    const [spend] = await h.fixtures.query<{ messages: number; amount: string }>(
      'select sum(messages)::int as messages, sum(amount)::text as amount from budget_spend where campaign_id = $1 and step_number = 1', [campaignId]);
    expect(spend.messages).toBe(4 + segments);
    expect(Number(spend.amount)).toBeCloseTo((4 + segments) * 0.05, 2);

    // The workflow's tally and campaigns.stats count messages (7 sent); the status shows each channel apart.
    expect({ sent: tally.sent, skipped: tally.skipped }).toEqual({ sent: 7, skipped: 3 });
    const status = await storedStatus((query, arg) => readAsClient(h.orm.em.fork(), clientId, query, arg), clientId, campaignId);
    const step = status.steps.find((s) => s.step_number === 1)!;
    expect(step.deliveries).toEqual({ sent: 7, skipped: 3 });
    expect(step.channels).toEqual({
      email: { deliveries: { sent: 4, skipped: 1 }, skip_reasons: { unsubscribed: 1 } },
      sms: { deliveries: { sent: 3, skipped: 2 }, skip_reasons: { no_sms_consent: 1, no_address: 1 } },
    });
    const counts = await countersAndLedger(h.fixtures, campaignId);
    expect(counts.counters).toEqual(counts.ledger);

    // A donor mailed and texted is one recipient, and a gift through either link one conversion.
    await h.fixtures.query(
      `insert into donations (client_id, donor_id, campaign_id, step_number, amount, currency, status, donated_at)
       select $1, $2, $3, 1, 2500, 'usd', 'succeeded', now() from generate_series(1, 2)`, [clientId, ids.get('ada'), campaignId]);
    const analytics = await withClient(h.orm.em, clientId, (em) => analyticsReport(em, campaignId));
    expect(analytics.test).toMatchObject({ recipients: 5, conversions: 1 });
    expect(analytics.steps.find((s) => s.step_number === 1)).toMatchObject({ conversions: 1, gifts: 2 });
  }, 90_000);

  describe('a worker killed mid-batch', () => {
    let worker: ChildProcess | null = null;
    afterAll(() => { worker?.kill('SIGKILL'); });

    it('neither sink gets anything twice, and every eligible donor gets both', async () => {
      const metricsEnv = await workerMetricsEnv();
      const n = 40;
      // A client of its own: its audience is this test's donors only.
      const crashClient = await h.fixtures.client('Both Channels Crash');
      await h.fixtures.query('update clients set sms_from_number = $1 where id = $2', ['+15005550010', crashClient]);
      const ids = await donors(crashClient, [...Array(n)].map((_, i) => ({ key: `crash${i}`, phone: `+1415555${String(4000 + i)}` })));
      const phones = new Set([...Array(n)].map((_, i) => `+1415555${String(4000 + i)}`));
      const campaignId = await h.fixtures.track15Campaign(crashClient, { controlShare: 0 });
      await h.fixtures.query(`update track15_narrative_steps set channel = 'email_and_sms' where campaign_id = $1 and step_number = 1`, [campaignId]);
      await withClient(h.orm.em, crashClient, (em) => prepareActivation(em, campaignId));

      const taskQueue = `both-crash-${campaignId.slice(0, 8)}`;
      const startWorker = () => spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../../../workflows/worker.ts')], {
        env: {
          ...process.env, ...metricsEnv, DATABASE_URL: h.db.appUrl, TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE: taskQueue,
          SENDGRID_BASE_URL: h.sink.url, TWILIO_API_BASE: h.twilioSink.url, DELIVERY_BATCH_SIZE: '5',
          UNSUBSCRIBE_SIGNING_SECRET: 'both-crash-secret-both-crash-secret-1234',
        },
        stdio: 'ignore',
      });
      // SendGrid holds every email request past the kill (it records them on arrival, as it accepts them);
      // texts go out until a few have, then Twilio holds the next one too: the worker dies never learning
      // either answer. The client's unsubscribe group exists first, so what SendGrid holds is the mail.
      await unsubscribeGroupId(h.activityDeps, crashClient, 'marketing');
      h.sink.setLatency(30_000);
      h.twilioSink.setLatency(300);
      worker = startWorker();
      const handle = await h.temporal.client.workflow.start(touchpointWorkflow, {
        taskQueue, workflowId: touchpointWorkflowId(campaignId, 1), args: [{ campaignId, clientId: crashClient, stepNumber: 1, channels: ['email', 'sms'] }],
      });
      const mailsOf = () => h.sink.deliveries().filter((d) => d.customArgs.campaign_id === campaignId);
      const textsOf = () => h.twilioSink.messages().filter((t) => phones.has(t.to));
      await eventually(async () => (mailsOf().length > 0 && textsOf().length >= 5 ? true : undefined), 60_000, 'emails held and the first texts out');
      h.twilioSink.setLatency(30_000);
      const textRequests = h.twilioSink.requests.length;
      await eventually(async () => (h.twilioSink.requests.length > textRequests ? true : undefined), 20_000, 'a text in flight');
      worker.kill('SIGKILL');
      await new Promise((resolve) => worker!.once('exit', resolve));
      // Both channels have rows whose answer never came: only each provider's own record can settle them.
      const pending = await h.fixtures.query<{ channel: string }>(
        `select distinct channel from campaign_deliveries where campaign_id = $1 and status = 'pending' order by channel`, [campaignId]);
      expect(pending.map((row) => row.channel)).toEqual(['email', 'sms']);
      h.sink.setLatency(0);
      h.twilioSink.setLatency(0);
      worker = startWorker();
      const tally = await handle.result();
      worker.kill('SIGKILL');
      worker = null;

      const mailed = mailsOf().map((d) => d.customArgs.donor_id);
      expect(mailed.length - new Set(mailed).size).toBe(0);
      expect(new Set(mailed)).toEqual(new Set(ids.values()));
      const texted = textsOf().map((t) => t.to);
      expect(texted.length - new Set(texted).size).toBe(0);
      expect(new Set(texted)).toEqual(phones);

      const [rows] = await h.fixtures.query<{ pending: number; email: number; sms: number }>(
        `select count(*) filter (where status = 'pending')::int as pending,
                count(*) filter (where status = 'sent' and channel = 'email')::int as email,
                count(*) filter (where status = 'sent' and channel = 'sms')::int as sms
           from campaign_deliveries where campaign_id = $1 and step_number = 1`, [campaignId]);
      expect(rows).toEqual({ pending: 0, email: n, sms: n });
      expect(tally.sent).toBe(2 * n);
      const counts = await countersAndLedger(h.fixtures, campaignId);
      expect(counts.counters).toEqual(counts.ledger);
    }, 150_000);
  });
});
