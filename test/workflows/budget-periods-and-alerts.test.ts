import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { alertEmail } from '../../activities/budget-alerts/message';
import { buildMailRequest } from '../../activities/email/mail-request';
import { sendMail } from '../../activities/email/sendgrid';
import { getBudgetAlert } from '../../api/services/profiles/budget-alerts';
import { withClient } from '../../domain/db/tenancy';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, verifyWebhookSignature } from '../../domain/webhook-signature';
import { budgetAlertWorkflow } from '../../workflows/budget-alert';
import { budgetAlertWorkflowId } from '../../domain/campaigns/workflow-contract';
import { campaignStatus, stopCampaign } from '../../workflows/campaigns/lifecycle';
import { type CampaignHarness, eventually, startCampaignHarness } from '../support/campaign-harness';
import { startTemporalHarness } from '../support/temporal';

/** One webhook call as the receiver saw it. */
interface Call { eventId: string; path: string; status: number; signed: boolean; at: number; body: Record<string, unknown> }

/**
 * A client's webhook endpoint: verifies each call's signature over the raw body, answers 503 to the first
 * `failFirst` calls of each event (every call on /always-fail), 200 after, and records everything.
 */
class WebhookReceiver {
  readonly calls: Call[] = [];
  private server!: Server;
  constructor(private readonly secret: () => string, private readonly failFirst: number) {}

  async start(): Promise<string> {
    this.server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const eventId = String(request.headers[EVENT_ID_HEADER.toLowerCase()] ?? '');
        const signed = verifyWebhookSignature(this.secret(), raw, String(request.headers[SIGNATURE_HEADER.toLowerCase()] ?? ''), Math.floor(Date.now() / 1000));
        const earlier = this.calls.filter((call) => call.eventId === eventId).length;
        const status = request.url === '/always-fail' || earlier < this.failFirst ? 503 : 200;
        this.calls.push({ eventId, path: request.url ?? '', status, signed, at: Date.now(), body: JSON.parse(raw) as Record<string, unknown> });
        response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'try later');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Issue 15 items 6 and 7 on the real stack: a periodic budget makes a touchpoint wait for the next period
 * (short campaign days), and fired alerts reach the client by email and signed webhook, once, through
 * failures and a worker restart, or are given up after the retry window.
 */
describe('budget periods and alerts', () => {
  let h: CampaignHarness;
  let receiver: WebhookReceiver;
  let receiverUrl: string;
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    // The receiver listens on 127.0.0.1 over http.
    h = await startCampaignHarness({
      batchSize: 15, budgetAlertRetry: { initialIntervalMs: 1000, maximumIntervalMs: 2000, giveUpAfterMs: 15_000 }, allowPrivateWebhooks: true,
    });
    receiver = new WebhookReceiver(() => [...secrets.values()][0], 2);
    receiverUrl = await receiver.start();
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.stop();
  });

  /** A budget at 1¢ a message, used by the campaign. */
  const budgetFor = async (clientId: string, campaignId: string, budget: { amount: number; period?: string; alertsAt?: number[] }) => {
    const [{ id }] = await h.fixtures.query<{ id: string }>(
      `insert into budgets (client_id, name, cost_per_message, amount, period, alerts) values ($1, 'Email', 0.01, $2, $3, $4) returning id`,
      [clientId, budget.amount, budget.period ?? 'LIFETIME', JSON.stringify((budget.alertsAt ?? []).map((threshold) => ({ threshold_percent: threshold })))]);
    await h.fixtures.query(`insert into campaign_profile_usage (client_id, campaign_id, budget_id, usage_type) values ($1, $2, $3, 'INDIVIDUAL')`,
      [clientId, campaignId, id]);
    return id;
  };
  const settings = async (clientId: string, path: string) => {
    const secret = `whsec_test_${clientId}`;
    secrets.set(clientId, secret);
    await h.fixtures.query(`insert into budget_alert_settings (client_id, email, webhook_url, signing_secret) values ($1, 'finance@client.test', $2, $3)`,
      [clientId, `${receiverUrl}${path}`, secret]);
  };

  it('a DAILY budget at 3-second days: the touchpoint waits for each next period instead of skipping or pausing', async () => {
    const clientId = await h.fixtures.client('Daily Budget');
    await h.fixtures.donors(clientId, [...Array(30)].map((_, i) => ({ email: `daily-${i}@donors.test` })));
    const campaignId = await h.fixtures.track15Campaign(clientId, { dayLengthSeconds: 3, controlShare: 0 });
    // 10¢ a day at 1¢ a message: ten emails a day, so the 30 of touchpoint 1 take three days.
    const budgetId = await budgetFor(clientId, campaignId, { amount: 0.10, period: 'DAILY' });
    await h.activate(clientId, campaignId);

    const status = await eventually(async () => {
      const current = await campaignStatus(h.lifecycle, campaignId);
      return current.steps[1] ? current : undefined;
    }, 60_000, 'touchpoint 1 to finish');
    expect(status.steps[1]).toMatchObject({ sent: 30, skipped: 0, failed: 0, budgetExhausted: false });
    expect(status.pauseReason).toBeNull();
    const periods = await h.fixtures.query<{ period_key: string; amount: string }>(
      `select period_key, sum(amount)::text as amount
         from budget_spend where budget_id = $1 and step_number = 1 group by 1 order by 1`, [budgetId]);
    expect(periods.length).toBeGreaterThanOrEqual(3);
    for (const period of periods) expect(Number(period.amount)).toBeLessThanOrEqual(0.10);
    expect(periods.map((p) => p.period_key).every((key) => /^DAILY:\d{4}-\d{2}-\d{2}$/.test(key))).toBe(true);
    const sends = h.sink.deliveries().filter((d) => d.customArgs.campaign_id === campaignId && d.customArgs.step_number === '1');
    expect(sends).toHaveLength(30);
    // Three periods of three seconds: the last ones went out at least one whole period after the first.
    const times = sends.map((send) => send.receivedAt);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(3000);
    const skipped = await h.fixtures.query('select 1 from campaign_deliveries where campaign_id = $1 and skip_reason = \'budget_exhausted\'', [campaignId]);
    expect(skipped).toEqual([]);
    await stopCampaign(h.lifecycle, campaignId, 'test done');
  }, 90_000);

  it('alerts reach the client once by email and signed webhook, through two refusals and a worker restart; an endpoint that never answers is given up', async () => {
    const clientId = await h.fixtures.client('Alerted Client');
    await settings(clientId, '/hooks/budget');
    await h.fixtures.donors(clientId, [...Array(20)].map((_, i) => ({ email: `alerted-${i}@donors.test` })));
    const campaignId = await h.fixtures.track15Campaign(clientId, { dayLengthSeconds: 2, controlShare: 0 });
    const budgetId = await budgetFor(clientId, campaignId, { amount: 0.20, alertsAt: [50, 100] });
    // A second client whose endpoint always fails.
    const failingClient = await h.fixtures.client('Unreachable Client');
    await settings(failingClient, '/always-fail');
    secrets.set(failingClient, secrets.get(clientId)!); // one receiver, one secret to check with
    await h.fixtures.query('update budget_alert_settings set signing_secret = $2 where client_id = $1', [failingClient, secrets.get(clientId)]);
    await h.fixtures.donors(failingClient, [...Array(4)].map((_, i) => ({ email: `unreached-${i}@donors.test` })));
    const failingCampaign = await h.fixtures.track15Campaign(failingClient, { dayLengthSeconds: 2, controlShare: 0 });
    await budgetFor(failingClient, failingCampaign, { amount: 1.00, alertsAt: [1] });

    await h.activate(clientId, campaignId);
    // The first refusal of the first alert: stop the worker while Temporal's retry timer runs, then bring one back.
    await eventually(async () => {
      const [finished] = await h.fixtures.query(`select 1 from budget_alert_attempts where client_id = $1 and outcome = 'failed'`, [clientId]);
      return finished;
    }, 60_000, 'a first failed webhook attempt');
    await h.temporal.stopWorker();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await h.temporal.startWorker();
    // Started after the restart, so its whole retry window runs on one worker.
    await h.activate(failingClient, failingCampaign);

    const alerts = await eventually(async () => {
      const rows = await h.fixtures.query<{ id: string; threshold_percent: string; email_status: string; webhook_status: string }>(
        'select id, threshold_percent, email_status, webhook_status from budget_alert_events where budget_id = $1 order by threshold_percent', [budgetId]);
      return rows.length === 2 && rows.every((row) => row.webhook_status === 'delivered' && row.email_status === 'delivered') ? rows : undefined;
    }, 60_000, 'both alerts delivered');
    expect(alerts.map((a) => Number(a.threshold_percent))).toEqual([50, 100]);
    // Nothing more arrives once delivered.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    for (const alert of alerts) {
      const calls = receiver.calls.filter((call) => call.eventId === alert.id);
      // Two refusals, then the one delivery, and nothing after it; every call signed.
      expect(calls.map((call) => call.status)).toEqual([503, 503, 200]);
      expect(calls.every((call) => call.signed && call.path === '/hooks/budget')).toBe(true);
      expect(calls[2].body).toMatchObject({ id: alert.id, type: 'budget.alert', client_id: clientId, data: { budget: { id: budgetId, period: 'LIFETIME' } } });
      expect(h.sink.deliveries().filter((d) => d.customArgs.budget_alert_id === alert.id).map((d) => d.to)).toEqual(['finance@client.test']);
      const answer = await withClient(h.orm.em, clientId, (em) => getBudgetAlert(em, alert.id));
      expect(answer.webhook.status).toBe('delivered');
      // Every attempt is on record, numbered as Temporal numbered them; an attempt under way when the worker shut
      // down was cancelled, and counts as failed with no HTTP status.
      const attempts = answer.webhook.attempts;
      expect(attempts.map((attempt) => attempt.attempt)).toEqual(attempts.map((_, index) => index + 1));
      expect(attempts.at(-1)).toMatchObject({ outcome: 'delivered', http_status: 200 });
      expect(attempts.slice(0, -1).every((attempt) => attempt.outcome === 'failed' && [503, null].includes(attempt.http_status))).toBe(true);
      expect(attempts.filter((attempt) => attempt.http_status === 503)).not.toHaveLength(0);
      // The email went out once (the sink above); an attempt the restart caught mid-send is on record as failed.
      const mails = answer.email.attempts;
      expect(mails.map((attempt) => attempt.attempt)).toEqual(mails.map((_, index) => index + 1));
      expect(mails.map((attempt) => attempt.outcome)).toEqual([...mails.slice(1).map(() => 'failed'), 'delivered']);
    }

    const [givenUp] = await eventually(async () => {
      const rows = await h.fixtures.query<{ id: string; webhook_status: string; email_status: string }>(
        'select id, webhook_status, email_status from budget_alert_events where client_id = $1', [failingClient]);
      return rows[0]?.webhook_status === 'gave_up' ? rows : undefined;
    }, 60_000, 'the unreachable endpoint given up');
    expect(givenUp.email_status).toBe('delivered');
    const tries = receiver.calls.filter((call) => call.eventId === givenUp.id);
    expect(tries.length).toBeGreaterThanOrEqual(3);
    expect(tries.every((call) => call.status === 503 && call.signed)).toBe(true);

    await stopCampaign(h.lifecycle, campaignId, 'test done').catch(() => undefined);
    await stopCampaign(h.lifecycle, failingCampaign, 'test done').catch(() => undefined);
  }, 120_000);

  it('an alert email whose earlier attempt lost its answer is found in SendGrid\'s record, not sent again; without a record it is sent once', async () => {
    const clientId = await h.fixtures.client('Lost Answer');
    await h.fixtures.query(`insert into budget_alert_settings (client_id, email, signing_secret) values ($1, 'books@lost.test', 'whsec_unused')`, [clientId]);
    const [{ id: budgetId }] = await h.fixtures.query<{ id: string }>(`insert into budgets (client_id, name, amount) values ($1, 'Lost', 10) returning id`, [clientId]);
    const alertFor = async (threshold: number) => {
      const [{ id }] = await h.fixtures.query<{ id: string }>(
        `insert into budget_alert_events (budget_id, client_id, threshold_percent, percentage_spent, amount_spent) values ($1, $2, $3, $3, 1) returning id`,
        [budgetId, clientId, threshold]);
      // The earlier attempt: recorded, its call made, its answer never recorded (the worker died).
      await h.fixtures.query(`insert into budget_alert_attempts (client_id, alert_id, channel, attempt, target) values ($1, $2, 'email', 1, 'books@lost.test')`, [clientId, id]);
      return id;
    };
    const accepted = await alertFor(50);
    const lost = await alertFor(90);
    const facts = {
      id: accepted, clientId, budgetId, budgetName: 'Lost', currency: 'usd', amount: '10.00', period: 'LIFETIME', periodKey: 'LIFETIME',
      thresholdPercent: '50.00', percentageSpent: '50.00', amountSpent: '1.00', firedAt: new Date().toISOString(),
    };
    await sendMail(h.activityDeps.sendgrid, new AbortController().signal, buildMailRequest(alertEmail(facts, 'books@lost.test', 'alerts@track15.test')).body!);

    const run = (alertId: string) => h.temporal.client.workflow.execute(budgetAlertWorkflow, {
      taskQueue: h.temporal.taskQueue, workflowId: budgetAlertWorkflowId(alertId), args: [{ clientId, alertId }],
    });
    expect(await run(accepted)).toEqual({ email: 'delivered' });
    expect(await run(lost)).toEqual({ email: 'delivered' });
    const emails = (alertId: string) => h.sink.deliveries().filter((d) => d.customArgs.budget_alert_id === alertId).length;
    expect([emails(accepted), emails(lost)]).toEqual([1, 1]);
    const states = await h.fixtures.query<{ id: string; email_status: string; webhook_status: string; attempts: string }>(
      `select e.id, e.email_status, e.webhook_status,
              (select string_agg(coalesce(a.outcome, 'unknown'), ',' order by a.started_at) from budget_alert_attempts a where a.alert_id = e.id) as attempts
         from budget_alert_events e where e.budget_id = $1`, [budgetId]);
    expect(Object.fromEntries(states.map((row) => [row.id, [row.email_status, row.webhook_status, row.attempts]]))).toEqual({
      // Found accepted: the lost attempt is settled as delivered, nothing sent again.
      [accepted]: ['delivered', 'not_configured', 'delivered'],
      // Not in SendGrid's record: the lost attempt stays unknown and a new one sends it.
      [lost]: ['delivered', 'not_configured', 'unknown,delivered'],
    });
  }, 60_000);

  it('by default the worker refuses webhooks at http or inside the network, DNS answers included: once, on record, nothing sent', async () => {
    // A worker as production runs it (OUTBOUND_WEBHOOKS_ALLOW_PRIVATE unset), on a task queue of its own.
    const strict = await startTemporalHarness({ ...h.activityDeps, outbound: undefined });
    try {
      const port = new URL(receiverUrl).port;
      const urls = [`${receiverUrl}/hooks/budget`, `https://127.0.0.1:${port}/hook`, 'https://10.0.0.1/hook', `https://[::1]:${port}/hook`,
        'https://169.254.169.254/latest/meta-data/', `https://localhost:${port}/hook`];
      const results = await Promise.all(urls.map(async (url, i) => {
        const clientId = await h.fixtures.client(`Inward ${i}`);
        await h.fixtures.query(`insert into budget_alert_settings (client_id, webhook_url, signing_secret) values ($1, $2, 'whsec_unused')`, [clientId, url]);
        const [{ id: budgetId }] = await h.fixtures.query<{ id: string }>(`insert into budgets (client_id, name, amount) values ($1, 'Inward', 10) returning id`, [clientId]);
        const [{ id: alertId }] = await h.fixtures.query<{ id: string }>(
          `insert into budget_alert_events (budget_id, client_id, threshold_percent, percentage_spent, amount_spent) values ($1, $2, 50, 50, 5) returning id`,
          [budgetId, clientId]);
        const outcome = await strict.client.workflow.execute(budgetAlertWorkflow, {
          taskQueue: strict.taskQueue, workflowId: budgetAlertWorkflowId(alertId), args: [{ clientId, alertId }],
        });
        const attempts = await h.fixtures.query<{ outcome: string; target: string; error: string }>(
          `select outcome, target, error from budget_alert_attempts where alert_id = $1 and channel = 'webhook'`, [alertId]);
        return { url, outcome, attempts, alertId };
      }));
      for (const { url, outcome, attempts } of results) {
        expect(outcome).toEqual({ webhook: 'gave_up' });
        // One attempt, not retried: the refusal is the reason on record.
        expect(attempts).toEqual([{ outcome: 'failed', target: url, error: expect.stringMatching(/^OutboundRefused: the URL/) }]);
      }
      expect(results.at(-1)!.attempts[0].error).toMatch(/host localhost resolves to (127\.0\.0\.1|::1)/);
      // Nothing reached the receiver for these alerts (other tests' alerts may still be calling it).
      const alertIds = new Set(results.map((result) => result.alertId));
      expect(receiver.calls.filter((call) => alertIds.has(call.eventId))).toEqual([]);
    } finally {
      await strict.close();
    }
  }, 60_000);
});
