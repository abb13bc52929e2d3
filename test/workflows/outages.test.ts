import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createSendGrid } from '../../activities/email/sendgrid';
import { createTwilio } from '../../activities/sms/twilio';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../fakes/twilio-sink';
import { createStripe } from '../../activities/payments/stripe';
import { type App, buildApp } from '../../api/app';
import { openOrm } from '../../domain/db/orm';
import { migrate } from '../../scripts/migrate';
import { campaignWorkflowId } from '../../domain/campaigns/workflow-contract';
import { createWorker } from '../../workflows/worker';
import { closeFenceSessions } from '../../activities/attempt-fence';
import { insertKey, STRIPE_MOCK_URL } from '../api/support';
import { SendGridSink } from '../fakes/sendgrid-sink';
import { PUBLIC_BASE_URL, UNSUBSCRIBE_SECRET, eventually } from '../support/campaign-harness';
import { Fixtures } from '../support/fixtures';
import { PrivatePostgres, PrivateTemporal } from '../support/private-stack';
import { WORKFLOW_BUNDLE_PATH, installTestRuntime } from '../support/temporal';

const DONORS = 20;
const STEPS = 15;

/**
 * Issue 12 item 3, on a stack of the test's own: PostgreSQL stopped like a crash and started again, then
 * the Temporal server killed and started again, under a running campaign. During each outage the API
 * answers 503 problem+json with Retry-After (never 500, never a hang); afterwards it recovers without a
 * restart of the API or the worker, and every recipient gets every touchpoint exactly once.
 */
describe('outages of PostgreSQL and Temporal under a running campaign', () => {
  let pg: PrivatePostgres;
  let temporal: PrivateTemporal;
  let sink: SendGridSink;
  let fixtures: Fixtures;
  let orm: MikroORM;
  let nativeConnection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let connection: Connection;
  let client: Client;
  let app: App;
  let baseUrl: string;

  /** What the API answered, read over HTTP as a client would. */
  async function fetchJson(path: string, init: { method?: string; key?: string; body?: unknown } = {}) {
    const response = await fetch(`${baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: { ...(init.key ? { authorization: `Bearer ${init.key}` } : {}), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { statusCode: response.status, headers: Object.fromEntries(response.headers), body: (await response.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    installTestRuntime();
    [pg, temporal, sink] = await Promise.all([PrivatePostgres.start(), PrivateTemporal.start(), SendGridSink.start()]);
    await pg.createDatabase('track15');
    await migrate(pg.url('track15', 'owner'), 'up');
    fixtures = new Fixtures(pg.url('track15', 'owner'));
    // The fixtures' idle connections die with the server; that is expected here, not an error.
    fixtures.pool.on('error', () => undefined);
    orm = await openOrm(pg.url('track15', 'app'));
    const taskQueue = `outage-${randomBytes(4).toString('hex')}`;
    nativeConnection = await NativeConnection.connect({ address: temporal.address });
    worker = await createWorker(nativeConnection, { TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: taskQueue }, {
      orm, sendgrid: createSendGrid('SG.test-key', sink.url), twilio: createTwilio(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, 'http://127.0.0.1:9'), stripe: createStripe({ secretKey: 'sk_test_123', apiBase: STRIPE_MOCK_URL }),
      from: 'campaigns@track15.test', publicBaseUrl: PUBLIC_BASE_URL,
      unsubscribeSecret: UNSUBSCRIBE_SECRET, batchSize: 10,
    }, { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } });
    running = worker.run();
    connection = await Connection.connect({ address: temporal.address });
    client = new Client({ connection });
    app = await buildApp({
      orm, temporal: client, logger: false, docsUi: false, stripe: createStripe({ secretKey: 'sk_test_123', apiBase: STRIPE_MOCK_URL }),
      config: {
        TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'silent', STRIPE_WEBHOOK_SECRET: 'whsec_test', SENDGRID_WEBHOOK_PUBLIC_KEY: '',
        UNSUBSCRIBE_SIGNING_SECRET: UNSUBSCRIBE_SECRET, PUBLIC_BASE_URL, EMAIL_FROM: 'campaigns@track15.test', TICKET_HOLD_SECONDS: 900,
        TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID, TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
        OUTBOUND_WEBHOOKS_ALLOW_PRIVATE: false,
      },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await closeFenceSessions();
    await connection?.close();
    await nativeConnection?.close();
    await orm?.close();
    await fixtures?.close();
    await sink?.stop();
    await temporal?.destroy();
    await pg?.destroy();
  });

  it('answers 503 with Retry-After during each outage, recovers without restarts, and serves every recipient once', async () => {
    const clientId = await fixtures.client('Outage Client');
    const key = await insertKey(fixtures, clientId);
    await fixtures.donors(clientId, [...Array(DONORS)].map((_, i) => ({ email: `outage-${i}@donors.test` })));
    const campaignId = await fixtures.track15Campaign(clientId, { dayLengthSeconds: 3, controlShare: 0 });
    const campaignUrl = `/v1/clients/${clientId}/campaigns/${campaignId}`;
    const call = (method: 'GET' | 'POST', url: string, body?: unknown) => fetchJson(url, { method, key, body });

    expect((await call('POST', `${campaignUrl}/activate`)).statusCode).toBe(200);
    await eventually(async () => (sink.deliveries().length >= DONORS ? true : undefined), 60_000, 'the first touchpoint');

    // PostgreSQL goes down as in a crash: every route that needs it says 503 and when to come back.
    await pg.crash();
    const duringDatabaseOutage = [
      await call('GET', campaignUrl),
      await call('GET', `${campaignUrl}/status`),
      await call('GET', `/v1/clients/${clientId}/donors`),
      await call('POST', `/v1/clients/${clientId}/donors`, { email: 'new@donors.test' }),
      await call('POST', `${campaignUrl}/pause`, {}),
    ];
    for (const response of duringDatabaseOutage) {
      expect({ status: response.statusCode, type: response.headers['content-type'].split(';')[0] }).toEqual({ status: 503, type: 'application/problem+json' });
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      expect(response.body).toMatchObject({ status: 503, type: 'urn:track15:problem:unavailable' });
    }
    expect((await fetchJson('/ready')).statusCode).toBe(503);

    // Back up: the same API process answers again; the worker carries on by itself.
    await pg.startServer();
    await eventually(async () => ((await call('GET', campaignUrl)).statusCode === 200 ? true : undefined), 60_000, 'the API to recover');

    // The Temporal server dies: a lifecycle command answers 503 within its deadline instead of hanging.
    await temporal.kill();
    const pause = await call('POST', `${campaignUrl}/pause`, {});
    expect(pause.statusCode).toBe(503);
    expect(Number(pause.headers['retry-after'])).toBeGreaterThan(0);
    expect(pause.body).toMatchObject({ status: 503, type: 'urn:track15:problem:unavailable' });
    // Reads that need only the database still work meanwhile.
    expect((await call('GET', campaignUrl)).statusCode).toBe(200);

    await temporal.startServer();
    await eventually(async () => ((await fetchJson('/ready')).statusCode === 200 ? true : undefined), 60_000, 'Temporal to be reachable');
    await client.workflow.getHandle(campaignWorkflowId(campaignId)).result();

    const deliveries = sink.deliveries().filter((d) => d.customArgs.campaign_id === campaignId);
    const keys = deliveries.map((d) => `${d.customArgs.step_number}/${d.customArgs.donor_id}`);
    expect(keys.length - new Set(keys).size).toBe(0);
    expect(deliveries).toHaveLength(DONORS * STEPS);
    const [ledger] = await fixtures.query<{ pending: number; sent: number }>(
      `select count(*) filter (where status = 'pending')::int as pending, count(*) filter (where status = 'sent')::int as sent
         from campaign_deliveries where campaign_id = $1`, [campaignId]);
    expect(ledger).toEqual({ pending: 0, sent: DONORS * STEPS });
  }, 300_000);
});
