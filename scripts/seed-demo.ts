/**
 * Seeds (once) a demo client with donors of every RFM segment and a spring Track15 campaign at a
 * rehearsal pace of one minute a day, activates it, and prints an operator API key. Running it again
 * reuses the demo client and campaign and only issues a fresh key.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { Client, Connection } from '@temporalio/client';
import { recalculateRfm } from '../activities/rfm-recalculation';
import { loadConfig } from '../domain/config';
import { openOrm } from '../domain/db/orm';
import { withClient } from '../domain/db/tenancy';
import { Fixtures } from '../test/support/fixtures';
import { activateCampaign } from '../workflows/campaigns/lifecycle';

const DEMO_CLIENT = 'Demo Food Bank';
const DEMO_CAMPAIGN = 'Spring Food Security (rehearsal)';

async function main(): Promise<void> {
  const config = loadConfig();
  const owner = new PgClient({ connectionString: config.DATABASE_OWNER_URL });
  await owner.connect();
  try {
    const clientId = await ensureDemoClient(owner);
    const campaignId = await ensureDemoCampaign(owner, clientId, config.DATABASE_OWNER_URL);
    const key = `t15_${randomBytes(24).toString('base64url')}`;
    await owner.query(
      `insert into api_keys (client_id, role, name, key_prefix, key_hash) values (null, 'operator', 'npm run dev', $1, $2)`,
      [key.slice(0, 8), createHash('sha256').update(key).digest('hex')],
    );
    await activateDemo(config, clientId, campaignId);
    console.log(`\n  Demo client ${clientId}, campaign ${campaignId} (workflow campaign-${campaignId})`);
    console.log(`  Operator API key (shown once): ${key}`);
  } finally {
    await owner.end();
  }
}

async function ensureDemoClient(owner: PgClient): Promise<string> {
  const existing = await owner.query<{ id: string }>('select id from clients where name = $1', [DEMO_CLIENT]);
  if (existing.rows[0]) return existing.rows[0].id;
  const { rows: [client] } = await owner.query<{ id: string }>(`insert into clients (name, status, sender_from_name, sender_from_email, postal_address)
     values ($1, $2, $1, $3, $4) returning id`, [DEMO_CLIENT, 'active', 'campaigns@demo-food-bank.test', '1 Demo Way\nSpringfield, IL 62701']);
  // 200 donors with gift histories spread over two years, so every RFM segment is represented.
  await owner.query(
    `insert into donors (client_id, email, first_name, last_name)
     select $1, 'donor' || i || '@demo.test', 'Donor', 'Number ' || i from generate_series(1, 200) as i`,
    [client.id],
  );
  await owner.query(
    `insert into donations (client_id, donor_id, amount, donated_at)
     select d.client_id, d.id, (10 + (hashtext(d.id::text || g) & 1023)) / 2.0,
            now() - make_interval(days => (hashtext(d.email) & 511) + g * 7)
       from donors d, generate_series(0, 11) as g
      where d.client_id = $1 and g <= (hashtext(d.email || 'f') & 11)`,
    [client.id],
  );
  return client.id;
}

async function ensureDemoCampaign(owner: PgClient, clientId: string, ownerUrl: string): Promise<string> {
  const existing = await owner.query<{ id: string }>('select id from campaigns where client_id = $1 and name = $2', [clientId, DEMO_CAMPAIGN]);
  if (existing.rows[0]) return existing.rows[0].id;
  const fixtures = new Fixtures(ownerUrl);
  try {
    return await fixtures.track15Campaign(clientId, { name: DEMO_CAMPAIGN, dayLengthSeconds: 60 });
  } finally {
    await fixtures.close();
  }
}

async function activateDemo(config: ReturnType<typeof loadConfig>, clientId: string, campaignId: string): Promise<void> {
  const orm = await openOrm(config.DATABASE_URL);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    await withClient(orm.em, clientId, (em) => recalculateRfm(em, clientId, new Date()));
    const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    const [{ stage }] = await withClient(orm.em, clientId, (em) =>
      em.execute<{ stage: string }[]>('select track15_stage as stage from campaigns where id = ?', [campaignId]));
    if (stage !== 'completed') await activateCampaign({ orm, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE }, clientId, campaignId);
  } finally {
    await connection.close();
    await orm.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
