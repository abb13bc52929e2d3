/**
 * `npm run bench -- api`: requests/s and p99 latency of real operations through the whole API stack
 * (auth against the database, rate limit, validation, tenant transaction, metrics, serialization) next
 * to a bare Fastify route measured in the same run, and the overhead ratio.
 * - campaign status, at 10 and at 200 connections, for a running campaign of 100 recipients and one of
 *   100,000, each ledger holding a row for every recipient and step (1.5 million rows for the larger,
 *   seeded with SQL):
 *   the routine status must cost the same for both (issue 12 item 4: ≥ 5x 224 req/s at 10 connections,
 *   p99 < 100 ms at 200);
 * - recording a donation: an insert plus the donor's RFM rescoring, in one tenant transaction.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { Client as PgClient } from 'pg';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { closeFenceSessions } from '../activities/attempt-fence';
import { buildApp } from '../api/app';
import { createSendGrid } from '../activities/email/sendgrid';
import { createTwilio } from '../activities/sms/twilio';
import { createStripe } from '../activities/payments/stripe';
import { loadConfig } from '../domain/config';
import { openOrm } from '../domain/db/orm';
import { buildNarrativeSteps } from '../domain/campaigns/narrative';
import { migrate } from '../scripts/migrate';
import { activateCampaign } from '../workflows/campaigns/lifecycle';
import { createWorker, workflowBundleOptions } from '../workflows/worker';

const ADMIN = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432';
const TEMPORAL = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7253';
const DATABASE = 'track15_bench_api';
const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 10;
const MANY_CONNECTIONS = 200;
const SMALL_AUDIENCE = 100;
const LARGE_AUDIENCE = Number(process.env.BENCH_LARGE_AUDIENCE ?? 100_000);
const STORY = { headline: 'Feed 500 Families', summary: 'Every $50 feeds a family for a week.', value_proposition: 'Your gift is measurable.', donor_motivation: 'Every child deserves dinner.' };

interface Figures { name: string; connections: number; requestsPerSecond: number; p99Ms: number; errors: number }

/**
 * One autocannon run. The load is generated on a worker thread of its own: on the API's event loop it
 * would take turns with the server it measures (every request's send and parse counted as server time).
 */
async function measure(name: string, options: autocannon.Options): Promise<Figures> {
  const connections = options.connections ?? CONNECTIONS;
  const result = await autocannon({ duration: DURATION_SECONDS, ...options, connections, workers: 1 });
  const errors = result.errors + result.timeouts + result.non2xx;
  return { name, connections, requestsPerSecond: result.requests.average, p99Ms: result.latency.p99, errors };
}

async function listen(app: { listen(options: { host: string; port: number }): Promise<string>; server: { address(): unknown } }): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  await admin(`drop database if exists ${DATABASE} with (force)`);
  await admin(`create database ${DATABASE}`);
  const ownerUrl = `${ADMIN}/${DATABASE}`;
  await migrate(ownerUrl, 'up');
  const appUrl = new URL(ownerUrl);
  appUrl.username = 'track15_app';
  appUrl.password = 'track15_app';

  const owner = new PgClient({ connectionString: ownerUrl });
  await owner.connect();
  const orm = await openOrm(appUrl.toString(), { pool: { min: 0, max: 20 } });
  const nativeConnection = await NativeConnection.connect({ address: TEMPORAL });
  const connection = await Connection.connect({ address: TEMPORAL });
  const temporal = new Client({ connection });
  const taskQueue = `bench-api-${randomBytes(3).toString('hex')}`;
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: silent });
  const worker = await createWorker(nativeConnection, { TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: taskQueue },
    { orm, sendgrid: createSendGrid('SG.bench', 'http://127.0.0.1:9'), twilio: createTwilio(`AC${'0'.repeat(32)}`, 'bench', 'http://127.0.0.1:9'), stripe: createStripe({ secretKey: 'sk_test_123', apiBase: 'http://127.0.0.1:9' }), from: 'bench@track15.test', publicBaseUrl: 'http://127.0.0.1:3000', unsubscribeSecret: 'bench-secret-bench-secret-bench-secret!' },
    { workflowBundle: { code } });
  const running = worker.run();

  const config = { ...loadConfig({}), TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'silent' as const };
  const stripe = createStripe({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE });
  const app = await buildApp({ orm, temporal, stripe, logger: false, config, rateLimit: { max: 10_000_000, timeWindowMs: 60_000 } });
  const bare = Fastify({ logger: false });
  bare.get('/bare', async () => ({ ok: true }));
  try {
    const small = await seed(owner, 'Bench small', SMALL_AUDIENCE);
    const large = await seed(owner, 'Bench large', LARGE_AUDIENCE);
    // A real day length and an evening send hour: the arcs are running, but nothing is due during the bench.
    for (const seeded of [small, large]) await activateCampaign({ orm, temporal, taskQueue }, seeded.clientId, seeded.campaignId);
    // Both ledgers are whole arcs, so both statuses carry the same counts and only the audience differs.
    for (const seeded of [small, large]) await seedLedger(owner, seeded);
    const apiUrl = await listen(app);
    const bareUrl = await listen(bare);
    const headers = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });
    const status = (seeded: Seeded, connections: number) => measure(`status, ${seeded.audience.toLocaleString('en')} recipients`, {
      url: `${apiUrl}/v1/clients/${seeded.clientId}/campaigns/${seeded.campaignId}/status`, headers: headers(seeded.key), connections,
    });
    const figures: Figures[] = [];
    for (const connections of [CONNECTIONS, MANY_CONNECTIONS]) {
      figures.push(await measure('bare Fastify route', { url: `${bareUrl}/bare`, connections }));
      figures.push(await status(small, connections));
      figures.push(await status(large, connections));
    }
    figures.push(await measure('POST donation', {
      url: `${apiUrl}/v1/clients/${small.clientId}/donations`, method: 'POST', headers: headers(small.key),
      body: JSON.stringify({ donor_id: small.donorId, campaign_id: small.campaignId, amount: 25 }),
    }));
    console.log(`\n${DURATION_SECONDS} s each; the bare route is measured at each connection count\n`);
    console.log(`${'route'.padEnd(30)} ${'conns'.padStart(5)} ${'req/s'.padStart(9)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)}  overhead vs bare`);
    for (const f of figures) {
      const baseline = figures.find((b) => b.name === 'bare Fastify route' && b.connections === f.connections)!;
      const overhead = f === baseline ? 'baseline' : `${(baseline.requestsPerSecond / f.requestsPerSecond).toFixed(1)}x fewer req/s, ${(f.p99Ms / Math.max(baseline.p99Ms, 1)).toFixed(1)}x p99`;
      console.log(`${f.name.padEnd(30)} ${String(f.connections).padStart(5)} ${f.requestsPerSecond.toFixed(0).padStart(9)} ${String(f.p99Ms).padStart(8)} ${String(f.errors).padStart(7)}  ${overhead}`);
    }
    const [smallFew, largeFew] = figures.filter((f) => f.connections === CONNECTIONS && f.name.startsWith('status'));
    console.log(`\nstatus at ${CONNECTIONS} connections: ${(smallFew.requestsPerSecond / 224).toFixed(1)}x the 224 req/s of issue 12; `
      + `${LARGE_AUDIENCE.toLocaleString('en')} recipients vs ${SMALL_AUDIENCE}: ${(largeFew.requestsPerSecond / smallFew.requestsPerSecond).toFixed(2)}x the throughput`);
  } finally {
    await app.close();
    await bare.close();
    worker.shutdown();
    await running;
    await closeFenceSessions();
    await connection.close();
    await nativeConnection.close();
    await orm.close();
    await owner.end();
    await admin(`drop database if exists ${DATABASE} with (force)`);
  }
}

interface Seeded { clientId: string; key: string; donorId: string; campaignId: string; audience: number }

/** A client of its own (activation freezes every donor of the client) with `audience` donors and a campaign ready to launch. */
async function seed(owner: PgClient, name: string, audience: number): Promise<Seeded> {
  const { rows: [client] } = await owner.query<{ id: string }>(
    `insert into clients (name, sender_from_email, postal_address) values ($1, 'campaigns@bench.test', '1 Bench Road') returning id`, [name]);
  const key = `t15_${randomBytes(24).toString('base64url')}`;
  await owner.query(`insert into api_keys (client_id, role, name, key_prefix, key_hash) values ($1, 'client', 'bench', $2, $3)`,
    [client.id, key.slice(0, 8), createHash('sha256').update(key).digest('hex')]);
  const { rows: [donor] } = await owner.query<{ id: string }>(
    `insert into donors (client_id, email) select $1, 'bench-' || i || '@donors.test' from generate_series(1, $2) as i returning id`, [client.id, audience]);
  const { rows: [campaign] } = await owner.query<{ id: string }>(
    `insert into campaigns (client_id, name, track15_enabled, track15_season, track15_stage, track15_core_story, track15_send_hour)
     values ($1, 'Bench appeal', true, 'spring', 'ready_for_launch', $2, 23) returning id`, [client.id, JSON.stringify(STORY)]);
  await owner.query(
    `insert into track15_narrative_steps (campaign_id, client_id, step_number, stage, day, subject_line, message, call_to_action)
     select $1, $2, x.step_number, x.stage, x.day, x.subject_line, x.message, x.call_to_action
       from json_to_recordset($3::json) as x(step_number int, stage text, day int, subject_line text, message text, call_to_action text)`,
    [campaign.id, client.id, JSON.stringify(buildNarrativeSteps('spring', STORY))]);
  return { clientId: client.id, key, donorId: donor.id, campaignId: campaign.id, audience };
}

/** A ledger row for every recipient and step, as a whole arc leaves it: the rows the old status counted on every call. */
async function seedLedger(owner: PgClient, seeded: Seeded): Promise<void> {
  await owner.query(
    `insert into campaign_deliveries (campaign_id, step_number, donor_id, client_id, status, skip_reason, settled_at)
     select r.campaign_id, s.step_number, r.donor_id, r.client_id,
            case when r.recipient_group = 'control' then 'skipped' else 'sent' end,
            case when r.recipient_group = 'control' then 'control_group' end, now()
       from campaign_recipients r cross join generate_series(1, 15) as s(step_number)
      where r.campaign_id = $1`, [seeded.campaignId]);
  await owner.query('analyze campaign_deliveries');
}

async function admin(sql: string): Promise<void> {
  const client = new PgClient({ connectionString: `${ADMIN}/postgres` });
  await client.connect();
  try { await client.query(sql); } finally { await client.end(); }
}

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
