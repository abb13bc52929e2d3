import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { openOrm } from '../../domain/db/orm';
import { migrationsList } from '../../migrations';
import { migrate } from '../../scripts/migrate';
import { databaseUrl, withAdmin } from '../support/pg-admin';

/**
 * Everything the migrations create in the public schema, as sorted text: tables and columns, constraints,
 * indexes, our functions (not the extensions') with who may call them, triggers, views, policies, row-level
 * security flags and grants.
 */
const FINGERPRINT = `
  select 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') as line
    from information_schema.columns where table_schema = 'public' and table_name <> 'mikro_orm_migrations'
  union all select 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    from pg_constraint where connamespace = 'public'::regnamespace and conrelid::regclass::text <> 'mikro_orm_migrations'
  union all select 'index ' || indexdef from pg_indexes where schemaname = 'public' and tablename <> 'mikro_orm_migrations'
  union all select 'function ' || p.oid::regprocedure || ' ' || md5(prosrc) || ' definer=' || prosecdef || ' acl=' ||
         (select string_agg(a::text, ',' order by a::text) from unnest(coalesce(proacl, acldefault('f', proowner))) a)
    from pg_proc p where pronamespace = 'public'::regnamespace
     and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
  union all select 'trigger ' || tgrelid::regclass || ' ' || tgname from pg_trigger where not tgisinternal
  union all select 'view ' || viewname || ' ' || md5(definition) from pg_views where schemaname = 'public'
  union all select 'policy ' || tablename || ' ' || policyname || ' ' || array_to_string(roles, ',') || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '')
    from pg_policies where schemaname = 'public'
  union all select 'rls ' || relname || ' ' || relrowsecurity || ' ' || relforcerowsecurity
    from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' and relname <> 'mikro_orm_migrations'
  union all select 'grant ' || grantee || ' ' || table_name || ' ' || privilege_type
    from information_schema.role_table_grants where table_schema = 'public' and grantee like 'track15\\_%'
  order by 1`;

describe('migrations: every one applies and rolls back cleanly on a fresh database', () => {
  // Named like the other test databases, so a run that dies leaves nothing global-setup will not remove.
  const name = `track15_t_${process.pid}_migrate_${randomBytes(3).toString('hex')}`;
  const url = databaseUrl(name, 'owner');
  let orm: MikroORM;

  const fingerprint = async () => (await orm.em.fork().execute<{ line: string }[]>(FINGERPRINT)).map((row) => row.line);

  beforeAll(async () => {
    await withAdmin((admin) => admin.query(`create database "${name}"`));
    orm = await openOrm(url, { pool: { min: 0, max: 1 } });
  });
  afterAll(async () => {
    await orm?.close(true);
    await withAdmin((admin) => admin.query(`drop database if exists "${name}" with (force)`));
  });

  it('up one at a time, then down one at a time back to each earlier state, then up again to the same schema', async () => {
    const migrator = orm.getMigrator();
    const states = [await fingerprint()];
    for (const migration of migrationsList) {
      await migrator.up({ migrations: [migration.name] });
      states.push(await fingerprint());
    }
    expect(states.at(-1)!.filter((line) => line.startsWith('rls ')).length).toBeGreaterThan(20);

    for (let applied = migrationsList.length - 1; applied >= 0; applied--) {
      await migrator.down();
      expect({ applied, schema: await fingerprint() }).toEqual({ applied, schema: states[applied] });
    }
    expect(states[0]).toEqual([]);

    // `npm run migrate` is scripts/migrate.ts: the whole list in one go.
    expect(await migrate(url, 'up')).toEqual(migrationsList.map((m) => m.name));
    expect(await fingerprint()).toEqual(states.at(-1));
  });
});
