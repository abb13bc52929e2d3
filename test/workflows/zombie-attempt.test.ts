import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { prepareActivation } from '../../activities/campaigns/activation';
import { withClient } from '../../domain/db/tenancy';
import { DELIVERY_LANES, touchpointWorkflowId } from '../../domain/campaigns/workflow-contract';
import { touchpointWorkflow } from '../../workflows/campaigns/touchpoint';
import { TcpCutter } from '../fakes/tcp-cutter';
import { type CampaignHarness, eventually, startCampaignHarness } from '../support/campaign-harness';
import { countersAndLedger } from '../support/delivery-counts';
import { TEMPORAL_ADDRESS } from '../support/temporal';
import { workerMetricsEnv } from '../support/ports';

/** How long SendGrid takes to answer the send window that catches the first attempt: past the 20 s heartbeat timeout. */
const SLOW_ANSWER_MS = 25_000;
const DONORS = 100;

/**
 * Issue 12's sequence: a worker loses its Temporal connection (but not its database one) while its
 * SendGrid calls hang for 25 s, longer than the delivery activity's heartbeat timeout. Temporal gives
 * up on those attempts and retries the batches on a healthy worker while the first attempts still run;
 * then the slow answers come: a 400 for one address in 50 (the first attempt resends the rest), or a
 * 202. Whatever the order, nobody gets the touchpoint twice, and campaigns.stats agrees with the ledger.
 */
describe('a delivery attempt Temporal gave up on while it still runs', () => {
  let h: CampaignHarness;
  let metricsEnv: Record<string, string>;
  const zombies: ChildProcess[] = [];
  const relays: TcpCutter[] = [];

  beforeAll(async () => {
    metricsEnv = await workerMetricsEnv();
    h = await startCampaignHarness();
    // Until the cut, only the worker that becomes the zombie polls the task queue.
    await h.temporal.stopWorker();
  });
  afterEach(async () => {
    for (const zombie of zombies.splice(0)) zombie.kill('SIGKILL');
    // A scenario that failed before its cut leaves its relay listening, which would keep this jest worker alive.
    for (const relay of relays.splice(0)) await relay.close();
  });
  afterAll(async () => { await h?.close(); });

  const startWorker = (temporalAddress: string): ChildProcess => spawn(
    process.execPath, ['--import', 'tsx', join(__dirname, '../../workflows/worker.ts')],
    {
      env: {
        ...process.env,
        ...metricsEnv,
        DATABASE_URL: h.db.appUrl,
        TEMPORAL_ADDRESS: temporalAddress,
        TEMPORAL_TASK_QUEUE: h.temporal.taskQueue,
        SENDGRID_BASE_URL: h.sink.url,
        DELIVERY_BATCH_SIZE: '50',
        UNSUBSCRIBE_SIGNING_SECRET: 'zombie-test-secret-zombie-test-secret-12',
      },
      stdio: 'ignore',
    },
  );

  async function runZombieScenario(name: string, rejectOneIn50: boolean) {
    const clientId = await h.fixtures.client(`Zombie ${name}`);
    const emails = [...Array(DONORS)].map((_, i) => `zombie-${name}-${i}@donors.test`);
    await h.fixtures.donors(clientId, emails.map((email, i) => ({ email, first_name: `Z${i}` })));
    const rejected = rejectOneIn50 ? emails.filter((_, i) => i % 50 === 7) : [];
    h.sink.rejectAddresses(rejected);
    const campaignId = await h.fixtures.track15Campaign(clientId, { controlShare: 0 });
    await withClient(h.orm.em, clientId, (em) => prepareActivation(em, campaignId));

    const temporalPath = await TcpCutter.start(TEMPORAL_ADDRESS);
    relays.push(temporalPath);
    zombies.push(startWorker(temporalPath.address));
    h.sink.setLatency(SLOW_ANSWER_MS);
    const sendsBefore = h.sink.requests.filter((r) => r.path === '/v3/mail/send').length;
    const handle = await h.temporal.client.workflow.start(touchpointWorkflow, {
      taskQueue: h.temporal.taskQueue, workflowId: touchpointWorkflowId(campaignId, 1), args: [{ campaignId, clientId, stepNumber: 1 }],
    });
    // Every lane's first request is held by the slow window; then the worker is cut off from Temporal.
    await eventually(async () => (h.sink.requests.filter((r) => r.path === '/v3/mail/send').length >= sendsBefore + DELIVERY_LANES ? true : undefined),
      120_000, 'requests in the slow window');
    await temporalPath.cut();
    h.sink.setLatency(0);
    await h.temporal.startWorker();

    const tally = await handle.result();
    await h.temporal.stopWorker();

    // The scenario really happened: Temporal started a second attempt of a batch.
    const history = await handle.fetchHistory();
    const attempts = (history.events ?? []).map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);

    const deliveries = h.sink.deliveries().filter((d) => d.customArgs.campaign_id === campaignId);
    const donors = deliveries.map((d) => d.customArgs.donor_id);
    expect(donors.length - new Set(donors).size).toBe(0);
    expect(deliveries).toHaveLength(DONORS - rejected.length);

    const [ledger] = await h.fixtures.query<{ pending: number; sent: number; failed: number }>(
      `select count(*) filter (where status = 'pending')::int as pending, count(*) filter (where status = 'sent')::int as sent,
              count(*) filter (where status = 'failed')::int as failed
         from campaign_deliveries where campaign_id = $1 and step_number = 1`, [campaignId]);
    expect(ledger).toEqual({ pending: 0, sent: DONORS - rejected.length, failed: rejected.length });
    const [{ stats }] = await h.fixtures.query<{ stats: Record<string, number> }>('select stats from campaigns where id = $1', [campaignId]);
    expect({ sent: stats.sent ?? 0, failed: stats.failed ?? 0 }).toEqual({ sent: ledger.sent, failed: ledger.failed });
    expect({ sent: tally.sent, failed: tally.failed }).toEqual({ sent: ledger.sent, failed: ledger.failed });
    // The status route's counters moved only with the rows each settlement changed: they equal the ledger.
    const counts = await countersAndLedger(h.fixtures, campaignId);
    expect(counts.counters).toEqual(counts.ledger);
    expect(counts.counters['1/sent/']).toBe(ledger.sent);
  }

  it('the slow answer is a 400 for one address in 50, and the first attempt resends the rest: no duplicate', async () => {
    await runZombieScenario('rejecting', true);
  }, 150_000);

  it('the slow answer is a 202: no duplicate', async () => {
    await runZombieScenario('accepting', false);
  }, 150_000);
});
