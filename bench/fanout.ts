/**
 * `npm run bench -- fanout`: one touchpoint to 100,000 recipients in four time zones through the SendGrid
 * sink (batched child workflow, one wave per zone), on a worker warmed up by one untimed touchpoint,
 * against the naive way (one provider call and one insert per recipient) on 5,000 recipients in the same
 * run; and the parent workflow's history length for whole 15-step arcs of two audience sizes, to show it
 * does not grow with the audience. The 100,000 go out a second time with an A/B test on the step (two
 * variants to 20%, the winner to the rest, in the same waves), printed beside the default.
 * Absolute rates follow how much CPU the machine gives the run (the worker, PostgreSQL, the sink and Temporal
 * share its cores); the speed-up is against a baseline measured in the same run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Client as PgClient } from 'pg';
import { closeFenceSessions } from '../activities/attempt-fence';
import { prepareActivation } from '../activities/campaigns/activation';
import type { StepAbTest } from '../domain/experiments/ab-test';
import { type SendGrid, createSendGrid } from '../activities/email/sendgrid';
import { createStripe } from '../activities/payments/stripe';
import { createTwilio } from '../activities/sms/twilio';
import { openOrm } from '../domain/db/orm';
import { withClient } from '../domain/db/tenancy';
import { buildNarrativeSteps } from '../domain/campaigns/narrative';
import { renderStep } from '../domain/delivery/message-template';
import { migrate } from '../scripts/migrate';
import { Fixtures, STORY } from '../test/support/fixtures';
import { campaignWorkflow } from '../workflows/campaigns/campaign';
import { touchpointWorkflow } from '../workflows/campaigns/touchpoint';
import { campaignWorkflowId } from '../domain/campaigns/workflow-contract';
import { createWorker, workflowBundleOptions } from '../workflows/worker';

const ADMIN = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432';
const DATABASE = 'track15_bench_fanout';
const SINK_PORT = 3191;
const FANOUT = 100_000;
const NAIVE = 5_000;
const WARM_UP = 10_000;

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const ownerUrl = await freshDatabase();
  const appUrl = ownerUrl.replace('postgres://postgres@', 'postgres://track15_app:track15_app@');
  const sink = await startSink();
  const orm = await openOrm(appUrl, { pool: { min: 0, max: 20 } });
  const owner = new PgClient({ connectionString: ownerUrl });
  await owner.connect();
  const fixtures = new Fixtures(ownerUrl);
  const nativeConnection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7253' });
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7253' });
  const temporal = new Client({ connection });
  const taskQueue = 'bench-fanout';
  const sendgrid = createSendGrid('SG.bench', `http://127.0.0.1:${SINK_PORT}`);
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: silent });
  const worker = await createWorker(nativeConnection, { TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: taskQueue },
    { orm, sendgrid, twilio: createTwilio(`AC${'0'.repeat(32)}`, 'bench', 'http://127.0.0.1:9'), stripe: createStripe({ secretKey: 'sk_test_123', apiBase: 'http://127.0.0.1:9' }), from: 'bench@track15.test', publicBaseUrl: 'http://127.0.0.1:3000', unsubscribeSecret: 'bench-secret-bench-secret-bench-secret!' },
    // The worker's settings are production's (the SDK's defaults): a touchpoint runs its eight lanes side by side.
    { workflowBundle: { code } });
  const running = worker.run();
  try {
    // A worker runs for days: its first touchpoint (code not yet optimised by V8, database sessions still
    // being opened) is not what it sustains. One untimed touchpoint of another client warms it up.
    const warmUpClient = await seedClient(owner, WARM_UP);
    const warmUp = await activatedCampaign(fixtures, orm.em, warmUpClient, 'warm-up', 86_400);
    await temporal.workflow.execute(touchpointWorkflow, { taskQueue, workflowId: `bench-${warmUp}/step-1`, args: [{ campaignId: warmUp, clientId: warmUpClient, stepNumber: 1 }] });

    const clientId = await seedClient(owner, FANOUT);

    const big = await activatedCampaign(fixtures, orm.em, clientId, 'fanout', 86_400);
    // The touchpoint goes out in one wave per zone of the audience (four), all due already: the run
    // measures delivery in waves, not the hours between them.
    const waves = (await owner.query<{ zone: string }>('select distinct timezone as zone from campaign_recipients where campaign_id = $1 order by 1', [big]))
      .rows.map(({ zone }) => ({ dueAt: 0, zones: [zone] }));
    const started = performance.now();
    await temporal.workflow.execute(touchpointWorkflow, { taskQueue, workflowId: `bench-${big}/step-1`, args: [{ campaignId: big, clientId, stepNumber: 1, waves }] });
    const batchedSeconds = (performance.now() - started) / 1000;
    const [{ sent }] = (await owner.query('select count(*)::int as sent from campaign_deliveries where campaign_id = $1 and status = $2', [big, 'sent'])).rows;
    const batchedRate = sent / batchedSeconds;
    console.log(`\nfanout: one touchpoint through the SendGrid sink (after an untimed warm-up touchpoint of ${WARM_UP.toLocaleString()} recipients)`);
    console.log(`  batched (child workflow, ${waves.length} time-zone waves, 1,000 per activity): ${sent.toLocaleString()} recipients in ${batchedSeconds.toFixed(1)} s = ${Math.round(batchedRate).toLocaleString()} recipients/s  (target ≥ 5,000/s)`);

    // The same audience with an A/B test on the step (issue 14 item 8): two subject-line variants to 20%,
    // the winner to the rest after a wait of one hour at one-second days (42 ms), so the time is the sending's.
    const abCampaign = await activatedCampaign(fixtures, orm.em, clientId, 'fanout-ab', 1, {
      variants: [{ subject_line: 'Variant A {{campaign.name}}' }, { subject_line: 'Variant B {{campaign.name}}' }], metric: 'opens', test_share: 0.2, wait_hours: 1,
    });
    const abStarted = performance.now();
    await temporal.workflow.execute(touchpointWorkflow, { taskQueue, workflowId: `bench-${abCampaign}/step-1`, args: [{ campaignId: abCampaign, clientId, stepNumber: 1, waves }] });
    const abSeconds = (performance.now() - abStarted) / 1000;
    const [{ sent: abSent }] = (await owner.query('select count(*)::int as sent from campaign_deliveries where campaign_id = $1 and status = $2', [abCampaign, 'sent'])).rows;
    const abRate = abSent / abSeconds;
    console.log(`  with an A/B test (2 variants to 20%, then the winner): ${abSent.toLocaleString()} recipients in ${abSeconds.toFixed(1)} s = ${Math.round(abRate).toLocaleString()} recipients/s  (${((abRate / batchedRate - 1) * 100).toFixed(1)}% against the default)`);

    const naiveCampaign = await activatedCampaign(fixtures, orm.em, clientId, 'naive', 86_400);
    const naiveSeconds = await naiveTouchpoint(orm.em, owner, sendgrid, clientId, naiveCampaign);
    const naiveRate = NAIVE / naiveSeconds;
    console.log(`  naive baseline (one call + one insert each):   ${NAIVE.toLocaleString()} recipients in ${naiveSeconds.toFixed(1)} s = ${Math.round(naiveRate).toLocaleString()} recipients/s`);
    console.log(`  speed-up over naive: ${(batchedRate / naiveRate).toFixed(1)}x default, ${(abRate / naiveRate).toFixed(1)}x with the A/B test  (target ≥ 20x)`);

    const small = await arcHistoryLength(fixtures, orm.em, temporal, taskQueue, await seedClient(owner, 100));
    const large = await arcHistoryLength(fixtures, orm.em, temporal, taskQueue, await seedClient(owner, 5_000));
    console.log(`  parent workflow history, whole 15-step arc: ${small} events with 100 recipients, ${large} events with 5,000  (target < 300, independent of audience)`);
  } finally {
    worker.shutdown();
    await running;
    await closeFenceSessions();
    await connection.close();
    await nativeConnection.close();
    await owner.end();
    await fixtures.close();
    await orm.close();
    sink.kill();
    await dropDatabase();
  }
}

/** The naive touchpoint: render, send and record each recipient on its own. */
async function naiveTouchpoint(em: EntityManager, owner: PgClient, { mail }: SendGrid, clientId: string, campaignId: string): Promise<number> {
  const step = { ...buildNarrativeSteps('spring', STORY)[0] };
  const recipients = (await owner.query<{ donor_id: string; email: string; first_name: string | null }>(
    `select r.donor_id, d.email, d.first_name from campaign_recipients r join donors d on d.id = r.donor_id
      where r.campaign_id = $1 order by r.donor_id limit $2`, [campaignId, NAIVE])).rows;
  const started = performance.now();
  for (const recipient of recipients) {
    const message = renderStep(step, {
      donor: { first_name: recipient.first_name, email: recipient.email }, story: STORY, campaign: { name: 'naive' },
      links: { donate: 'http://127.0.0.1:3000/donate', unsubscribe: 'http://127.0.0.1:3000/unsubscribe' }, segment: null,
    });
    await mail.send({ to: recipient.email, from: 'bench@track15.test', subject: message.subject, html: message.html, text: message.text });
    await withClient(em, clientId, (tx) => tx.execute(
      `insert into campaign_deliveries (campaign_id, step_number, donor_id, client_id, status, settled_at) values (?, 1, ?, ?, 'sent', now())`,
      [campaignId, recipient.donor_id, clientId]));
  }
  return (performance.now() - started) / 1000;
}

async function arcHistoryLength(fixtures: Fixtures, em: EntityManager, temporal: Client, taskQueue: string, clientId: string): Promise<number> {
  const campaignId = await activatedCampaign(fixtures, em, clientId, 'arc', 1);
  await temporal.workflow.execute(campaignWorkflow, { taskQueue, workflowId: campaignWorkflowId(campaignId), args: [{ campaignId, clientId }] });
  const history = await temporal.workflow.getHandle(campaignWorkflowId(campaignId)).fetchHistory();
  return history.events?.length ?? 0;
}

async function seedClient(owner: PgClient, donors: number): Promise<string> {
  const { rows: [client] } = await owner.query<{ id: string }>(`insert into clients (name, sender_from_email, postal_address) values ('bench ' || $1, 'campaigns@bench.test', '1 Bench Road')
     returning id`, [donors]);
  await owner.query(
    `insert into donors (client_id, email, first_name, last_name, rfm_segment, timezone)
     select $1, 'd' || i || '-' || $3 || '@bench.test', 'Donor' || i, 'Bench',
            (array['Champions','Loyal','Potential Loyalists','New Donors','Promising','Need Attention','At Risk'])[1 + i % 7],
            -- Four zones, one of them the campaign's (donors without a zone of their own).
            (array['America/New_York','Europe/Berlin','Asia/Tokyo',null])[1 + i % 4]
       from generate_series(1, $2::int) as i`,
    [client.id, donors, client.id.slice(0, 8)],
  );
  return client.id;
}

async function activatedCampaign(
  fixtures: Fixtures, em: EntityManager, clientId: string, name: string, daySeconds: number, abTest?: StepAbTest,
): Promise<string> {
  const campaignId = await fixtures.track15Campaign(clientId, { name, dayLengthSeconds: daySeconds, controlShare: 0, story: STORY });
  if (abTest) await fixtures.query('update track15_narrative_steps set ab_test = $1 where campaign_id = $2 and step_number = 1', [JSON.stringify(abTest), campaignId]);
  await withClient(em, clientId, (tx) => prepareActivation(tx, campaignId));
  return campaignId;
}

async function freshDatabase(): Promise<string> {
  await dropDatabase();
  await admin(`create database ${DATABASE}`);
  const ownerUrl = `${ADMIN}/${DATABASE}`;
  await migrate(ownerUrl, 'up');
  return ownerUrl;
}

async function dropDatabase(): Promise<void> {
  await admin(`drop database if exists ${DATABASE} with (force)`);
}

async function admin(sql: string): Promise<void> {
  const client = new PgClient({ connectionString: `${ADMIN}/postgres` });
  await client.connect();
  try { await client.query(sql); } finally { await client.end(); }
}

/**
 * Starts the SendGrid sink this run measures through, once it answers. A sink left listening by an earlier
 * run that was killed would answer in its place, holding every request it kept (a stale one once held
 * 2.3 GB and slowed the figures): the run stops rather than measure through it.
 */
async function startSink(): Promise<ChildProcess> {
  if (await sinkAnswers()) throw new Error(`port ${SINK_PORT} already answers: stop the SendGrid sink an earlier run left`);
  const sink = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../test/fakes/sendgrid-sink-server.ts')], {
    env: { ...process.env, SINK_PORT: String(SINK_PORT) },
    stdio: 'ignore',
  });
  for (let i = 0; i < 100 && sink.exitCode === null; i++) {
    if (await sinkAnswers()) return sink;
    await new Promise((r) => setTimeout(r, 100));
  }
  sink.kill();
  throw new Error('the SendGrid sink did not start');
}

async function sinkAnswers(): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${SINK_PORT}/__sink/requests`);
    return true;
  } catch {
    return false;
  }
}

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
