import { createHash } from 'node:crypto';
import type { QueryResult } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Pool } from 'pg';
import { openOrm } from '../../domain/db/orm';
import { asOperator, withClient } from '../../domain/db/tenancy';
import { type TestDatabase, createTestDatabase } from '../support/database';
import { TENANT_INSERTS, type TenantRows, seedTenant, viaEntityManager, TENANT_TABLES } from '../support/tenant-rows';

const TABLES = Object.entries(TENANT_TABLES);
const RLS_REFUSAL = /row-level security/;

/** Rows of `table` whose client is `clientId`, and all the rows the caller can see. */
async function visible(em: EntityManager, table: string, clientId: string): Promise<{ own: number; all: number }> {
  const [row] = await em.execute<{ own: number; all: number }[]>(
    `select count(*) filter (where ${TENANT_TABLES[table]} = ?)::int as own, count(*)::int as "all" from ${table}`, [clientId]);
  return row;
}

/**
 * Row-level security, table by table, through the application's own role and helper: client A's
 * context sees only A's rows, cannot write a row for B, and with no client set sees nothing.
 */
describe('tenant isolation in the database', () => {
  let db: TestDatabase;
  let owner: Pool;
  let orm: MikroORM;
  let a: TenantRows;
  let b: TenantRows;

  beforeAll(async () => {
    db = await createTestDatabase();
    owner = new Pool({ connectionString: db.ownerUrl, max: 2 });
    orm = await openOrm(db.appUrl, { pool: { min: 0, max: 4 } });
    a = await seedTenant(owner);
    b = await seedTenant(owner);
  });
  afterAll(async () => {
    await orm?.close();
    await owner?.end();
    await db?.drop();
  });

  it('covers every table of the schema, each with row-level security forced on its owner', async () => {
    const { rows } = await owner.query<{ table: string; enabled: boolean; forced: boolean }>(
      `select relname as table, relrowsecurity as enabled, relforcerowsecurity as forced from pg_class
        where relnamespace = 'public'::regnamespace and relkind = 'r' and relname <> 'mikro_orm_migrations' order by relname`);
    expect(rows.map((r) => r.table)).toEqual(Object.keys(TENANT_TABLES).sort());
    expect(Object.keys(TENANT_INSERTS).sort()).toEqual(Object.keys(TENANT_TABLES).sort());
    expect(rows.filter((r) => !r.enabled || !r.forced)).toEqual([]);
  });

  it.each(TABLES)('%s: client A sees its own rows and none of client B', async (table) => {
    const seen = await withClient(orm.em, a.clientId, async (em) => ({
      a: await visible(em, table, a.clientId),
      b: await visible(em, table, b.clientId),
    }));
    expect(seen.a.own).toBeGreaterThanOrEqual(1);
    expect(seen.b.own).toBe(0);
    expect(seen.a.all).toBe(seen.a.own);
  });

  it('sees nothing at all when no client is set, or it is set to an empty string', async () => {
    const em = orm.em.fork();
    for (const [table] of TABLES) {
      expect({ table, ...(await visible(em, table, a.clientId)) }).toEqual({ table, own: 0, all: 0 });
    }
    await em.transactional(async (tx) => {
      await tx.execute(`select set_config('app.client_id', '', true)`);
      for (const [table] of TABLES) expect({ table, ...(await visible(tx, table, a.clientId)) }).toEqual({ table, own: 0, all: 0 });
    });
  });

  it.each(TABLES)('%s: client A cannot insert a row for client B', async (table) => {
    const insert = TENANT_INSERTS[table](b);
    await expect(withClient(orm.em, a.clientId, (em) => viaEntityManager(em).query(insert.text, insert.values))).rejects.toThrow(RLS_REFUSAL);
  });

  it.each(TABLES.filter(([table]) => table !== 'clients'))('%s: client A can neither hand its rows to B nor change or delete B\'s', async (table) => {
    await expect(withClient(orm.em, a.clientId, (em) => em.execute(`update ${table} set client_id = ? where client_id = ?`, [b.clientId, a.clientId])))
      .rejects.toThrow(RLS_REFUSAL);
    const touched = await withClient(orm.em, a.clientId, async (em) => [
      await em.execute<QueryResult>(`update ${table} set client_id = client_id where client_id = ?`, [b.clientId], 'run'),
      await em.execute<QueryResult>(`delete from ${table} where client_id = ?`, [b.clientId], 'run'),
    ]);
    expect(touched.map((result) => result.affectedRows)).toEqual([0, 0]);
    const [{ count }] = (await owner.query(`select count(*)::int from ${table} where client_id = $1`, [b.clientId])).rows;
    expect(count).toBeGreaterThanOrEqual(1);
  });

  it('keeps the client setting inside the transaction that set it', async () => {
    await withClient(orm.em, a.clientId, async () => undefined);
    const [{ setting }] = await orm.em.fork().execute<{ setting: string | null }[]>(`select nullif(current_setting('app.client_id', true), '') as setting`);
    expect(setting).toBeNull();
  });

  it('refuses a client id that is not a UUID before touching the database', async () => {
    await expect(withClient(orm.em, "x' or '1'='1", async () => undefined)).rejects.toThrow(/UUID/);
  });

  it('the operator role reads every client\'s rows', async () => {
    const counts = await asOperator(orm.em, async (em) => {
      const result: Record<string, number[]> = {};
      for (const [table] of TABLES) result[table] = [(await visible(em, table, a.clientId)).own, (await visible(em, table, b.clientId)).own];
      return result;
    });
    for (const [table, [ownA, ownB]] of Object.entries(counts)) expect({ table, ownA: ownA > 0, ownB: ownB > 0 }).toEqual({ table, ownA: true, ownB: true });
  });

  it('the customer_analytics view applies the caller\'s row-level security', async () => {
    const rows = await withClient(orm.em, a.clientId, (em) => em.execute<{ client_id: string }[]>('select client_id from customer_analytics'));
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((row) => row.client_id))).toEqual(new Set([a.clientId]));
  });

  it('webhook events are recorded before their client is known; a client sees those and its own only', async () => {
    const em = orm.em.fork();
    await em.execute(`insert into processed_webhook_events (provider, event_id) values ('sendgrid', 'evt_unattributed')`);
    expect(await em.execute('select event_id from processed_webhook_events')).toEqual([{ event_id: 'evt_unattributed' }]);
    const seenByA = await withClient(orm.em, a.clientId, (tx) => tx.execute<{ client_id: string | null }[]>('select client_id from processed_webhook_events'));
    expect(new Set(seenByA.map((row) => row.client_id))).toEqual(new Set([null, a.clientId]));
  });

  it('authenticates an API key before any client is set, through the definer-rights function only', async () => {
    const hash = createHash('sha256').update('tk_live_secret').digest('hex');
    await owner.query(`insert into api_keys (client_id, role, name, key_prefix, key_hash) values ($1, 'client', 'ci', 'tk_live', $2)`, [a.clientId, hash]);
    const em = orm.em.fork();
    expect(await em.execute('select id, client_id, role from authenticate_api_key(?)', [hash])).toEqual([expect.objectContaining({ client_id: a.clientId, role: 'client' })]);
    expect(await em.execute('select count(*)::int as count from api_keys')).toEqual([{ count: 0 }]);
    await owner.query('update api_keys set revoked_at = now() where key_hash = $1', [hash]);
    expect(await em.execute('select id from authenticate_api_key(?)', [hash])).toEqual([]);
  });
});
