import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { allEntities } from '../entities';
import { migrationsList } from '../../migrations';

/**
 * One place that says how the application talks to PostgreSQL. Migrations are listed explicitly
 * (not discovered by glob) so the same list runs under tsx, jest and compiled JavaScript.
 */
export function ormOptions(clientUrl: string, overrides: Partial<Options> = {}): Options {
  return {
    clientUrl,
    entities: allEntities,
    extensions: [Migrator],
    migrations: { migrationsList, transactional: true, allOrNothing: true, snapshot: false, silent: true },
    // Schema comes from hand-written migrations, never from the entity metadata.
    schemaGenerator: { disableForeignKeys: false },
    discovery: { warnWhenNoEntities: false },
    forceUtcTimezone: true,
    pool: { min: 0, max: 10 },
    ...overrides,
  };
}

export function openOrm(clientUrl: string, overrides: Partial<Options> = {}): Promise<MikroORM> {
  return MikroORM.init(ormOptions(clientUrl, overrides));
}
