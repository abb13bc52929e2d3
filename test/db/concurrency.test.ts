import type { MikroORM } from '@mikro-orm/postgresql';
import { Pool } from 'pg';
import { openOrm } from '../../domain/db/orm';
import { withClient } from '../../domain/db/tenancy';
import { type TestDatabase, createTestDatabase } from '../support/database';
import { type TenantRows, seedTenant } from '../support/tenant-rows';

/** The database functions that must hold under concurrent callers, driven through many connections at once. */
describe('concurrency: stats counters and content versions', () => {
  let db: TestDatabase;
  let owner: Pool;
  let orm: MikroORM;
  let rows: TenantRows;

  const inClient = <T>(work: Parameters<typeof withClient<T>>[2]) => withClient(orm.em, rows.clientId, work);
  const insertVersion = (pageType: string) => inClient(async (em) => {
    const [version] = await em.execute<{ id: string; version_number: number }[]>(
      `insert into content_versions (client_id, page_type, content) values (?, ?, '{}') returning id, version_number`, [rows.clientId, pageType]);
    return version;
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    owner = new Pool({ connectionString: db.ownerUrl, max: 2 });
    orm = await openOrm(db.appUrl, { pool: { min: 0, max: 25 } });
    rows = await seedTenant(owner);
  });
  afterAll(async () => {
    await orm?.close();
    await owner?.end();
    await db?.drop();
  });

  it('50 concurrent increment_campaign_stat calls lose no increment', async () => {
    const increments = Array.from({ length: 50 }, (_, i) => ({ stat: i % 2 === 0 ? 'opens' : 'clicks', by: 1 + (i % 3) }));
    await Promise.all(increments.map(({ stat, by }) => inClient(async (em) => {
      await em.execute('select increment_campaign_stat(?, ?, ?)', [rows.campaignId, stat, by]);
      await em.execute('select pg_sleep(0.01)'); // hold the row lock a little, so callers really queue
    })));
    const expected = (stat: string) => increments.filter((i) => i.stat === stat).reduce((sum, i) => sum + i.by, 0);
    const { rows: [{ stats }] } = await owner.query('select stats from campaigns where id = $1', [rows.campaignId]);
    expect(stats).toEqual({ opens: expected('opens'), clicks: expected('clicks') });
  });

  it('concurrent inserts number versions 1..n per (client, page type), without gaps, even after a rolled-back insert', async () => {
    const versions = await Promise.all(Array.from({ length: 30 }, () => insertVersion('agreement')));
    expect(versions.map((v) => v.version_number).sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    await expect(inClient(async (em) => {
      await em.execute(`insert into content_versions (client_id, page_type, content) values (?, 'agreement', '{}')`, [rows.clientId]);
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    expect((await insertVersion('agreement')).version_number).toBe(31);
    expect((await insertVersion('confirmation')).version_number).toBe(1);
  });

  it('only one current version per (client, page type) survives concurrent "make current" calls', async () => {
    const contenders = await Promise.all(Array.from({ length: 20 }, () => insertVersion('processing')));
    const other = await insertVersion('confirmation');
    await inClient((em) => em.execute('select make_content_version_current(?)', [other.id]));
    const results = await Promise.allSettled(contenders.map((version) => inClient(async (em) => {
      await em.execute('select make_content_version_current(?)', [version.id]);
      await em.execute('select pg_sleep(0.01)'); // keep the transaction open while others try
    })));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const { rows: current } = await owner.query<{ id: string; page_type: string }>(
      'select id, page_type from content_versions where client_id = $1 and is_current order by page_type', [rows.clientId]);
    expect(current.map((c) => c.page_type)).toEqual(['confirmation', 'processing']);
    expect(current[0].id).toBe(other.id);
    expect(contenders.map((c) => c.id)).toContain(current[1].id);
    const { rows: [client] } = await owner.query('select current_version_id from clients where id = $1', [rows.clientId]);
    expect(client.current_version_id).toBe(current[1].id); // the last caller to commit won everywhere
  });
});
