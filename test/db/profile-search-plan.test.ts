import type { MikroORM } from '@mikro-orm/postgresql';
import { Pool } from 'pg';
import { CustomerProfileQuery } from '../../api/schemas/profiles/customer-profiles';
import { customerProfileFilter, customerProfiles } from '../../api/services/profiles/resources';
import { asSearchRole, listQuery, listRows } from '../../api/services/profiles/store';
import { openOrm } from '../../domain/db/orm';
import { withClient } from '../../domain/db/tenancy';
import { type TestDatabase, createTestDatabase } from '../support/database';

/**
 * Issue 15 item 4: on 100,000 profiles with the planner's real statistics (ANALYZE, no planner switches),
 * the statements the profile list runs (listQuery, as the application role under row-level security)
 * find rows through the trigram and GIN indexes, not by reading the table.
 */
describe('profile search plans on 100,000 rows', () => {
  const ROWS = 100_000;
  const CLIENTS = 20;
  let db: TestDatabase;
  let owner: Pool;
  let orm: MikroORM;
  let clientId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    owner = new Pool({ connectionString: db.ownerUrl, max: 2 });
    orm = await openOrm(db.appUrl);
    const { rows: clients } = await owner.query<{ id: string }>(
      `insert into clients (name) select 'Plan client ' || n from generate_series(1, ${CLIENTS}) n returning id`);
    clientId = clients[0].id;
    // Names from a vocabulary where "zebra" is rare (1 in 500); countries, devices and interests each with a rare value.
    await owner.query(`
      insert into target_customer_profiles (client_id, name, demographics, behavior, interests)
      select ($1::uuid[])[1 + n % ${CLIENTS}],
             (array['Young families', 'Retired teachers', 'Urban professionals', 'Rural donors', 'Students'])[1 + n % 5]
               || ' ' || n || case when n % 500 = 0 then ' zebra crossing' else '' end,
             jsonb_build_object('gender', (array['all', 'female', 'male'])[1 + n % 3],
                                'ageRange', jsonb_build_object('min', 18 + n % 30, 'max', 50 + n % 30),
                                'location', jsonb_build_object('countries',
                                  case when n % 400 = 0 then '["NZ"]'::jsonb else (array['["US"]', '["US","CA"]', '["GB"]', '["DE","FR"]'])[1 + n % 4]::jsonb end)),
             jsonb_build_object('devicePreferences', case when n % 300 = 0 then '["tablet"]'::jsonb else '["mobile","desktop"]'::jsonb end),
             case when n % 350 = 0 then array['beekeeping'] else array['education', 'health'] end
        from generate_series(1, ${ROWS}) n`, [clients.map((c) => c.id)]);
    await owner.query('analyze target_customer_profiles');
  }, 120_000);
  afterAll(async () => {
    await orm?.close();
    await owner?.end();
    await db?.drop();
  });

  /** The plan of the list's search statement for `query` (as the API parses it), run as listRows runs it, as one JSON string. */
  const planOf = (query: Record<string, string>) => withClient(orm.em, clientId, (em) => asSearchRole(em, async () => {
    const { sql, params } = listQuery(customerProfiles, customerProfileFilter(CustomerProfileQuery.parse(query)));
    const [row] = await em.execute<{ 'QUERY PLAN': unknown }[]>(`explain (format json) ${sql}`, params);
    return JSON.stringify(row['QUERY PLAN']);
  }));

  it('has the rows and the statistics', async () => {
    const { rows: [stats] } = await owner.query<{ n: number }>(`select reltuples::int as n from pg_class where relname = 'target_customer_profiles'`);
    expect(stats.n).toBeGreaterThan(ROWS * 0.9);
  });

  it.each([
    ['a name search', { search: 'zebra' }, 'idx_target_customer_profiles_name_trgm'],
    ['a country (demographics containment)', { countries: 'NZ' }, 'idx_target_customer_profiles_demographics'],
    ['a device preference (behavior containment)', { device_preferences: 'tablet' }, 'idx_target_customer_profiles_behavior'],
    ['an interest (array overlap)', { interests: 'beekeeping' }, 'idx_target_customer_profiles_interests'],
  ])('%s reads its index', async (_label, query, index) => {
    const plan = await planOf(query);
    expect(plan).toContain(`"Index Name":"${index}"`);
    expect(plan).not.toContain('"Node Type":"Seq Scan"');
  });

  it('lists the client\'s rows the index finds, and only them, as a full count finds them', async () => {
    const found = await withClient(orm.em, clientId, (em) => listRows(em, customerProfiles, customerProfileFilter(CustomerProfileQuery.parse({ search: 'zebra', limit: '200' }))));
    expect(found.every((row) => String(row.name).includes('zebra'))).toBe(true);
    const { rows: [{ n }] } = await owner.query<{ n: number }>(
      `select count(*)::int as n from target_customer_profiles where client_id = $1 and name ilike '%zebra%'`, [clientId]);
    expect(found.length).toBe(n);
    expect(n).toBeGreaterThan(0);
  });
});
