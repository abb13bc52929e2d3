import type { MikroORM } from '@mikro-orm/postgresql';
import { Pool } from 'pg';
import { openOrm } from '../../domain/db/orm';
import { asOperator, withClient } from '../../domain/db/tenancy';
import { Budget, Campaign, Client, ContentVersion, Donation, Donor, allEntities } from '../../domain/entities';
import { type TestDatabase, createTestDatabase } from '../support/database';
import { type TenantRows, seedTenant } from '../support/tenant-rows';

/**
 * The entity definitions against the migrated schema. Migrations are hand-written SQL, so the schema
 * generator's diff is noisy by design: it would rename constraints and foreign keys to its own naming,
 * drop the indexes and CHECKs the entities do not declare, and restate varchar/numeric types and defaults.
 * What it must never propose is a table or column the two sides disagree on, or a different nullability.
 */
const DISAGREEMENT = /create table|drop table|add column|drop column|rename column|set not null|drop not null/i;

describe('entities (defineEntity) match the migrations, and the tenant filter scopes ORM queries', () => {
  let db: TestDatabase;
  let owner: Pool;
  let asOwner: MikroORM;
  let asApp: MikroORM;
  let a: TenantRows;
  let b: TenantRows;

  beforeAll(async () => {
    db = await createTestDatabase();
    owner = new Pool({ connectionString: db.ownerUrl, max: 2 });
    // The owner is a superuser here, so row-level security does not apply: only the ORM filter scopes it.
    asOwner = await openOrm(db.ownerUrl, { pool: { min: 0, max: 2 } });
    asApp = await openOrm(db.appUrl, { pool: { min: 0, max: 2 } });
    a = await seedTenant(owner);
    b = await seedTenant(owner);
  });
  afterAll(async () => {
    await asApp?.close();
    await asOwner?.close();
    await owner?.end();
    await db?.drop();
  });

  it('maps every table of the schema, one entity each', async () => {
    const { rows } = await owner.query<{ table: string }>(
      `select tablename as table from pg_tables where schemaname = 'public' and tablename <> 'mikro_orm_migrations' order by 1`);
    const mapped = allEntities.map((entity) => asOwner.getMetadata().get(entity.meta.className).tableName).sort();
    expect(mapped).toEqual(rows.map((row) => row.table));
  });

  it('the schema generator finds no table, column or nullability the entities and the database disagree on', async () => {
    const diff = await asOwner.schema.getUpdateSchemaSQL({ wrap: false });
    expect(diff.split('\n').filter((line) => DISAGREEMENT.test(line))).toEqual([]);
  });

  it('inside withClient, entity queries see only that client (the ORM filter alone, with row-level security bypassed)', async () => {
    const seen = await withClient(asOwner.em, a.clientId, async (em) => ({
      clients: (await em.find(Client, {})).map((client) => client.id),
      donors: (await em.find(Donor, {})).map((donor) => donor.client.id),
      donations: await em.find(Donation, {}, { populate: ['donor', 'campaign'] }),
    }));
    expect(seen.clients).toEqual([a.clientId]);
    expect(seen.donors).toEqual([a.clientId]);
    expect(seen.donations.map((d) => [d.id, d.donor.getEntity().id, d.campaign?.getEntity().name])).toEqual([[a.donationId, a.donorId, 'Spring']]);
  });

  it('outside withClient an entity query fails instead of reading across clients; asOperator reads them all', async () => {
    await expect(asOwner.em.fork().find(Donor, {})).rejects.toThrow(/No arguments provided for filter 'tenant'/);
    const everyone = await asOperator(asApp.em, async (em) => (await em.find(Campaign, {})).map((campaign) => campaign.client.id));
    expect(new Set(everyone)).toEqual(new Set([a.clientId, b.clientId]));
  });

  it('persists through the application role, reading back what the triggers assign', async () => {
    const created = await withClient(asApp.em, a.clientId, async (em) => {
      const donor = em.create(Donor, { client: a.clientId, email: 'orm@donors.test', tags: ['vip'] });
      const version = em.create(ContentVersion, { client: a.clientId, pageType: 'confirmation', content: { title: 'Thanks' } });
      const budget = em.create(Budget, { client: a.clientId, name: 'ORM', amount: '200.00', amountSpent: '50.00' });
      await em.flush();
      return { donor, version, budget };
    });
    expect(created.version.versionNumber).toBe(1);
    expect([created.budget.amountRemaining, created.budget.percentageSpent]).toEqual(['150.00', '25.00']);
    const { rows: [donor] } = await owner.query('select client_id, email, tags, stage, source from donors where id = $1', [created.donor.id]);
    expect(donor).toEqual({ client_id: a.clientId, email: 'orm@donors.test', tags: ['vip'], stage: 'lead', source: 'website' });
    await expect(withClient(asApp.em, a.clientId, async (em) => {
      em.create(Donor, { client: b.clientId, email: 'forged@donors.test' });
      await em.flush();
    })).rejects.toThrow(/row-level security/);
  });
});
