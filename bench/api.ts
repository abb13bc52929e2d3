/**
 * `npm run bench -- api`: requests/s and p99 latency of two real operations through the whole API
 * stack (auth against the database, rate limit, validation, tenant transaction, metrics, serialization)
 * next to a bare Fastify route measured in the same run, and the overhead ratio.
 * - campaign status: database reads plus a query to the running campaign workflow;
 * - recording a donation: an insert plus the donor's RFM rescoring, in one tenant transaction.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { Client as PgClient } from 'pg';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { buildApp } from '../api/app';
import { createSendGrid } from '../activities/sendgrid';
import { createStripe } from '../activities/stripe';
import { loadConfig } from '../domain/config';
import { openOrm } from '../domain/db/orm';
import { buildNarrativeSteps } from '../domain/narrative';
import { migrate } from '../scripts/migrate';
import { activateCampaign } from '../workflows/lifecycle';
import { createWorker, workflowBundleOptions } from '../workflows/worker';

const ADMIN = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432';
const TEMPORAL = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7253';
const DATABASE = 'track15_bench_api';
const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 10;
const STORY = { headline: 'Feed 500 Families', summary: 'Every $50 feeds a family for a week.', value_proposition: 'Your gift is measurable.', donor_motivation: 'Every child deserves dinner.' };

interface Figures { name: string; requestsPerSecond: number; p99Ms: number; errors: number }

async function measure(name: string, options: autocannon.Options): Promise<Figures> {
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION_SECONDS, ...options });
  const errors = result.errors + result.timeouts + result.non2xx;
  return { name, requestsPerSecond: result.requests.average, p99Ms: result.latency.p99, errors };
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
    { orm, sendgrid: createSendGrid('SG.bench', 'http://127.0.0.1:9'), from: 'bench@track15.test', publicBaseUrl: 'http://127.0.0.1:3000', unsubscribeSecret: 'bench-secret-bench-secret-bench-secret!' },
    { workflowBundle: { code } });
  const running = worker.run();

  const config = { ...loadConfig({}), TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'silent' as const };
  const stripe = createStripe({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE });
  const app = await buildApp({ orm, temporal, stripe, logger: false, config, rateLimit: { max: 10_000_000, timeWindowMs: 60_000 } });
  const bare = Fastify({ logger: false });
  bare.get('/bare', async () => ({ ok: true }));
  try {
    const { clientId, key, donorId, campaignId } = await seed(owner);
    // A real day length and an evening send hour: the arc is running, but nothing is due during the bench.
    await activateCampaign({ orm, temporal, taskQueue }, clientId, campaignId);
    const apiUrl = await listen(app);
    const bareUrl = await listen(bare);
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const figures = [
      await measure('bare Fastify route', { url: `${bareUrl}/bare` }),
      await measure('GET campaign status', { url: `${apiUrl}/v1/clients/${clientId}/campaigns/${campaignId}/status`, headers }),
      await measure('POST donation', { url: `${apiUrl}/v1/clients/${clientId}/donations`, method: 'POST', headers, body: JSON.stringify({ donor_id: donorId, campaign_id: campaignId, amount: 25 }) }),
    ];
    const [baseline] = figures;
    console.log(`\n${CONNECTIONS} connections, ${DURATION_SECONDS} s each\n`);
    console.log(`${'route'.padEnd(22)} ${'req/s'.padStart(9)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)}  overhead vs bare`);
    for (const f of figures) {
      const overhead = f === baseline ? 'baseline' : `${(baseline.requestsPerSecond / f.requestsPerSecond).toFixed(1)}x fewer req/s, ${(f.p99Ms / Math.max(baseline.p99Ms, 1)).toFixed(1)}x p99`;
      console.log(`${f.name.padEnd(22)} ${f.requestsPerSecond.toFixed(0).padStart(9)} ${String(f.p99Ms).padStart(8)} ${String(f.errors).padStart(7)}  ${overhead}`);
    }
  } finally {
    await app.close();
    await bare.close();
    worker.shutdown();
    await running;
    await connection.close();
    await nativeConnection.close();
    await orm.close();
    await owner.end();
    await admin(`drop database if exists ${DATABASE} with (force)`);
  }
}

async function seed(owner: PgClient): Promise<{ clientId: string; key: string; donorId: string; campaignId: string }> {
  const { rows: [client] } = await owner.query<{ id: string }>(`insert into clients (name, sender_from_email, postal_address) values ('Bench', 'campaigns@bench.test', '1 Bench Road') returning id`);
  const key = `t15_${randomBytes(24).toString('base64url')}`;
  await owner.query(`insert into api_keys (client_id, role, name, key_prefix, key_hash) values ($1, 'client', 'bench', $2, $3)`,
    [client.id, key.slice(0, 8), createHash('sha256').update(key).digest('hex')]);
  const { rows: [donor] } = await owner.query<{ id: string }>(`insert into donors (client_id, email) values ($1, 'bench@donors.test') returning id`, [client.id]);
  const { rows: [campaign] } = await owner.query<{ id: string }>(
    `insert into campaigns (client_id, name, track15_enabled, track15_season, track15_stage, track15_core_story, track15_send_hour)
     values ($1, 'Bench appeal', true, 'spring', 'ready_for_launch', $2, 23) returning id`, [client.id, JSON.stringify(STORY)]);
  await owner.query(
    `insert into track15_narrative_steps (campaign_id, client_id, step_number, stage, day, subject_line, message, call_to_action)
     select $1, $2, x.step_number, x.stage, x.day, x.subject_line, x.message, x.call_to_action
       from json_to_recordset($3::json) as x(step_number int, stage text, day int, subject_line text, message text, call_to_action text)`,
    [campaign.id, client.id, JSON.stringify(buildNarrativeSteps('spring', STORY))]);
  return { clientId: client.id, key, donorId: donor.id, campaignId: campaign.id };
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
