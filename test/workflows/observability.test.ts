import { Writable } from 'node:stream';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanKind } from '@opentelemetry/api';
import { prepareActivation } from '../../activities/campaigns/activation';
import { withClient } from '../../domain/db/tenancy';
import { createLogger } from '../../domain/telemetry/logger';
import { type MetricsServer, startMetricsServer } from '../../domain/telemetry/metrics-server';
import { metricsRegistry } from '../../domain/telemetry/registry';
import { type Tracing, startTracing } from '../../domain/telemetry/tracing';
import { installWorkerRuntime, workerMetricsExposition } from '../../workflows/worker';
import { type ApiHarness, send, startApi } from '../api/support';
import { type CampaignHarness, eventually, startCampaignHarness } from '../support/campaign-harness';
import { SendGridSigner } from '../support/provider-signing';
import { installTestRuntime } from '../support/temporal';
import { freePort } from '../support/ports';

/**
 * A small campaign arc run as production runs it, with the API, the worker's runtime, tracing and the
 * loggers wired as api/server.ts and workflows/worker.ts wire them (an in-memory span exporter and log
 * capture instead of OTLP and stdout): the metrics both endpoints serve equal the ledger, one trace runs
 * from the API request through the workflows and activities to SendGrid, and no log line names a donor.
 */


/** `name{labels} value` lines of a Prometheus exposition, labels as written. */
function sample(exposition: string, name: string, labels = ''): number {
  const line = exposition.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('observability of a campaign arc', () => {
  const logLines: string[] = [];
  const capture = new Writable({ write(chunk, _encoding, done) { logLines.push(String(chunk)); done(); } });
  const spans = new InMemorySpanExporter();
  const signer = new SendGridSigner();
  let tracing: Tracing;
  let h: CampaignHarness;
  let api: ApiHarness;
  let workerMetrics: MetricsServer;
  let apiMetrics: MetricsServer;
  let clientId: string;
  let campaignId: string;
  let donors: { email: string; first_name: string; last_name: string; phone: string }[];

  beforeAll(async () => {
    const sdkMetricsAddress = `127.0.0.1:${await freePort()}`;
    installTestRuntime(() => installWorkerRuntime(createLogger({ level: 'debug', service: 'worker', destination: capture }), sdkMetricsAddress));
    tracing = startTracing('track15-test', { exporter: spans });
    h = await startCampaignHarness({ batchSize: 5 });
    api = await startApi({
      db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue: h.temporal.taskQueue }, sendgridPublicKey: signer.publicKey,
      logger: createLogger({ level: 'debug', service: 'api', destination: capture }),
    });
    workerMetrics = await startMetricsServer({ host: '127.0.0.1', port: 0, exposition: workerMetricsExposition(sdkMetricsAddress) });
    apiMetrics = await startMetricsServer({ host: '127.0.0.1', port: 0, exposition: () => metricsRegistry.metrics() });

    const client = await api.client('Observed Food Bank');
    clientId = client.id;
    donors = [...Array(12)].map((_, i) => ({
      email: `observed.donor-${i}@donors.test`, first_name: `Quillon${i}`, last_name: `Vantablack${i}`, phone: `+1555123${String(i).padStart(4, '0')}`,
    }));
    const ids = await h.fixtures.donors(clientId, donors);
    await h.fixtures.unsubscribe(clientId, ids[0]);
    h.sink.rejectAddresses([donors[1].email]);
    campaignId = await h.fixtures.track15Campaign(clientId, { dayLengthSeconds: 1, controlShare: 0.25 });
    const [budget] = await h.fixtures.query<{ id: string }>(
      `insert into budgets (client_id, name, amount, cost_per_message) values ($1, 'Arc', 1000, 0.05) returning id`, [clientId]);
    await h.fixtures.query(`insert into campaign_profile_usage (client_id, campaign_id, budget_id, usage_type) values ($1, $2, $3, 'INDIVIDUAL')`,
      [clientId, campaignId, budget.id]);
    // Two throttled answers: the activity retries, and the retries are counted by status.
    h.sink.failNext(2, { status: 429, retryAfterSeconds: 1 });

    // The donors under test stay out of the (random) control group; activation then joins the frozen audience.
    await withClient(h.orm.em, clientId, (em) => prepareActivation(em, campaignId));
    await h.fixtures.query(`update campaign_recipients set recipient_group = 'test' where donor_id = any($1::uuid[])`, [ids.slice(0, 3)]);
    // A search by address: Fastify logs the request's URL.
    expect((await api.call(client.key, { url: `/v1/clients/${clientId}/donors?search=${encodeURIComponent(donors[3].email)}` })).statusCode).toBe(200);
    const activated = await api.call(client.key, { method: 'POST', url: `/v1/clients/${clientId}/campaigns/${campaignId}/activate` });
    expect(activated.statusCode).toBeLessThan(300);
    await h.result(campaignId);

    // One Event Webhook delivery, twice: its event applied once, the foreign one ignored, the redelivery a duplicate.
    const events = JSON.stringify([
      { email: donors[2].email, timestamp: Math.floor(Date.now() / 1000), event: 'open', sg_event_id: `obs-${campaignId}`, client_id: clientId, campaign_id: campaignId, donor_id: ids[2], step_number: 1 },
      { email: 'someone@elsewhere.test', timestamp: Math.floor(Date.now() / 1000), event: 'open', sg_event_id: `foreign-${campaignId}` },
    ]);
    for (let i = 0; i < 2; i++) expect((await api.request({ method: 'POST', url: '/webhooks/sendgrid', payload: events, headers: signer.headers(events) })).statusCode).toBe(200);
    await eventually(async () => ((await h.fixtures.query('select 1 from processed_webhook_events where event_id = $1', [`obs-${campaignId}`])).length ? true : undefined));
  }, 180_000);

  afterAll(async () => {
    await apiMetrics?.close();
    await workerMetrics?.close();
    await api?.close();
    await h?.close();
    await tracing?.shutdown();
  });

  it('serves business counters on the worker\'s metrics endpoint that equal the ledger', async () => {
    const worker = (await send(workerMetrics.url, { url: '/metrics' })).body;
    const ledger = await h.fixtures.query<{ status: string; skip_reason: string | null; n: number }>(
      `select status, skip_reason, count(*)::int as n from campaign_deliveries where campaign_id = $1 group by status, skip_reason`, [campaignId]);
    const count = (predicate: (row: (typeof ledger)[number]) => boolean) => ledger.filter(predicate).reduce((total, row) => total + row.n, 0);
    const sent = count((row) => !['pending', 'skipped', 'failed'].includes(row.status));
    expect(sent).toBeGreaterThan(0);
    expect(sample(worker, 'track15_emails_sent_total')).toBe(sent);
    expect(sample(worker, 'track15_emails_failed_total', 'reason="Does not contain a valid address."')).toBe(count((row) => row.status === 'failed'));
    expect(count((row) => row.status === 'failed')).toBe(15);
    expect(count((row) => row.skip_reason === 'unsubscribed')).toBe(15);
    for (const reason of ['unsubscribed', 'control_group']) {
      expect([reason, sample(worker, 'track15_emails_skipped_total', `reason="${reason}"`)]).toEqual([reason, count((row) => row.skip_reason === reason)]);
    }
    const [{ spend }] = await h.fixtures.query<{ spend: string }>('select sum(amount) as spend from budget_spend where campaign_id = $1', [campaignId]);
    expect(sample(worker, 'track15_budget_spend_total', 'currency="USD"')).toBeCloseTo(Number(spend), 6);
    expect(sample(worker, 'track15_provider_retries_total', 'provider="sendgrid",status="429"')).toBe(2);
    expect(sample(worker, 'track15_provider_request_duration_seconds_count', 'provider="sendgrid",operation="POST /v3/mail/send",status="202"'))
      .toBeGreaterThan(0);
    const [{ applied }] = await h.fixtures.query<{ applied: number }>(
      `select count(*)::int as applied from processed_webhook_events where provider = 'sendgrid' and client_id = $1`, [clientId]);
    expect(sample(worker, 'track15_webhook_events_total', 'provider="sendgrid",outcome="applied"')).toBe(applied);
    // The Temporal SDK's own metrics come through the same endpoint.
    expect(worker).toMatch(/^temporal_workflow_completed_total\{.*\} \d+/m);
    expect(worker).toMatch(/^temporal_activity_schedule_to_start_latency_bucket\{/m);
  });

  it('serves request and webhook counters on the API\'s metrics endpoint', async () => {
    const metrics = (await send(apiMetrics.url, { url: '/metrics' })).body;
    expect(sample(metrics, 'http_requests_total', 'method="POST",route="/v1/clients/:clientId/campaigns/:campaignId/activate",status="200"')
      + sample(metrics, 'http_requests_total', 'method="POST",route="/v1/clients/:clientId/campaigns/:campaignId/activate",status="202"')).toBe(1);
    expect(sample(metrics, 'track15_webhook_events_total', 'provider="sendgrid",outcome="ignored"')).toBe(2);
    expect(sample(metrics, 'track15_webhook_events_total', 'provider="sendgrid",outcome="duplicate"')).toBe(1);
  });

  it('links the API request, the workflows, the activity and the SendGrid call in one trace', () => {
    const all = spans.getFinishedSpans();
    const byId = new Map(all.map((span) => [span.spanContext().spanId, span]));
    const request = all.find((span) => span.kind === SpanKind.SERVER && span.name.endsWith('/activate'));
    expect(request).toBeDefined();
    const mailSend = all.find((span) => span.kind === SpanKind.CLIENT && span.name === 'POST /v3/mail/send'
      && span.spanContext().traceId === request!.spanContext().traceId);
    expect(mailSend).toBeDefined();
    const ancestry: string[] = [];
    for (let span: ReadableSpan | undefined = mailSend; span; span = span.parentSpanId ? byId.get(span.parentSpanId) : undefined) ancestry.unshift(span.name);
    expect(ancestry[0]).toBe(request!.name);
    expect(ancestry).toEqual([
      request!.name,
      'StartWorkflow:campaignWorkflow',
      'RunWorkflow:campaignWorkflow',
      'StartChildWorkflow:touchpointWorkflow',
      'RunWorkflow:touchpointWorkflow',
      'StartActivity:deliverBatch',
      'RunActivity:deliverBatch',
      'POST /v3/mail/send',
    ]);
  });

  it('logs the whole arc without any donor\'s address, name or phone number', () => {
    const text = logLines.join('');
    expect(logLines.length).toBeGreaterThan(20);
    expect(text).toContain('search=[email]');
    const leaks = donors.flatMap((donor) => [donor.email, encodeURIComponent(donor.email), donor.first_name, donor.last_name, donor.phone]).filter((value) => text.includes(value));
    expect(leaks).toEqual([]);
  });
});
