import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { prepareActivation } from '../../activities/campaigns/activation';
import { withClient } from '../../domain/db/tenancy';
import { touchpointWorkflowId } from '../../domain/campaigns/workflow-contract';
import { touchpointWorkflow } from '../../workflows/campaigns/touchpoint';
import { type CampaignHarness, eventually, startCampaignHarness } from '../support/campaign-harness';
import { TEMPORAL_ADDRESS } from '../support/temporal';
import { workerMetricsEnv } from '../support/ports';

/**
 * The worker process is killed with SIGKILL in the middle of a touchpoint — possibly while a SendGrid
 * request is in flight — and started again: every recipient gets the email once, none twice, none never.
 */
describe('a worker killed mid-touchpoint', () => {
  let h: CampaignHarness;
  let metricsEnv: Record<string, string>;
  let worker: ChildProcess | null = null;

  beforeAll(async () => {
    h = await startCampaignHarness();
    metricsEnv = await workerMetricsEnv();
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await h?.close();
  });

  // `node --import tsx` runs the worker in this very process, so SIGKILL reaches the worker itself
  // (the tsx command would run it in a child that outlives the kill).
  const startWorker = (taskQueue: string): ChildProcess => spawn(
    process.execPath, ['--import', 'tsx', join(__dirname, '../../workflows/worker.ts')],
    {
      env: {
        ...process.env,
        ...metricsEnv,
        DATABASE_URL: h.db.appUrl,
        TEMPORAL_ADDRESS,
        TEMPORAL_TASK_QUEUE: taskQueue,
        SENDGRID_BASE_URL: h.sink.url,
        DELIVERY_BATCH_SIZE: '20',
        UNSUBSCRIBE_SIGNING_SECRET: 'crash-test-secret-crash-test-secret-1234',
      },
      stdio: 'ignore',
    },
  );

  it('delivers each recipient exactly once across the crash', async () => {
    const clientId = await h.fixtures.client('Crash Client');
    await h.fixtures.donors(clientId, [...Array(300)].map((_, i) => ({ email: `crash-${i}@donors.test`, first_name: `C${i}` })));
    const campaignId = await h.fixtures.track15Campaign(clientId, { controlShare: 0 });
    await withClient(h.orm.em, clientId, (em) => prepareActivation(em, campaignId));

    const taskQueue = `crash-${campaignId.slice(0, 8)}`;
    h.sink.setLatency(100);
    worker = startWorker(taskQueue);
    const handle = await h.temporal.client.workflow.start(touchpointWorkflow, {
      taskQueue, workflowId: touchpointWorkflowId(campaignId, 1), args: [{ campaignId, clientId, stepNumber: 1 }],
    });

    await eventually(async () => (h.sink.deliveries().length >= 60 ? true : undefined), 60_000, 'the first batches');
    // Kill while SendGrid holds a request it has already accepted: the worker never learns the answer.
    h.sink.setLatency(10_000);
    const requestsBefore = h.sink.requests.length;
    await eventually(async () => (h.sink.requests.length > requestsBefore ? true : undefined), 30_000, 'a request in flight');
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker!.once('exit', resolve));
    const atKill = h.sink.deliveries().length;
    expect(atKill).toBeLessThan(300);
    // Nothing is sent while no worker runs: the dead one really is dead.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(h.sink.deliveries().length).toBe(atKill);
    const [{ unknown }] = await h.fixtures.query<{ unknown: number }>(
      `select count(*)::int as unknown from campaign_deliveries where campaign_id = $1 and status = 'pending'`, [campaignId]);
    expect(unknown).toBeGreaterThan(0);
    h.sink.setLatency(0);
    worker = startWorker(taskQueue);

    const tally = await handle.result();
    const donors = h.sink.deliveries().map((d) => d.customArgs.donor_id);
    expect(new Set(donors).size).toBe(donors.length);
    expect(donors).toHaveLength(300);
    expect(tally.sent).toBe(300);
    const [{ pending, sent }] = await h.fixtures.query<{ pending: number; sent: number }>(
      `select count(*) filter (where status = 'pending')::int as pending, count(*) filter (where status = 'sent')::int as sent
         from campaign_deliveries where campaign_id = $1 and step_number = 1`, [campaignId]);
    expect({ pending, sent }).toEqual({ pending: 0, sent: 300 });
  }, 150_000);
});
