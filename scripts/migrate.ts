/**
 * `npm run migrate` (up), `npm run migrate:down` (one step back). Runs as the table owner
 * (DATABASE_OWNER_URL), never as the application role.
 */
import { loadConfig } from '../domain/config';
import { openOrm } from '../domain/db/orm';

export async function migrate(ownerUrl: string, direction: 'up' | 'down' | 'reset'): Promise<string[]> {
  const orm = await openOrm(ownerUrl);
  try {
    const migrator = orm.getMigrator();
    const done = direction === 'up' ? await migrator.up()
      : direction === 'down' ? await migrator.down()
        : await migrator.down({ to: 0 });
    return done.map((m) => m.name);
  } finally {
    await orm.close(true);
  }
}

if (require.main === module) {
  const direction = process.argv[2] === 'down' ? 'down' : 'up';
  migrate(loadConfig().DATABASE_OWNER_URL, direction)
    .then((names) => console.log(names.length ? `migrated ${direction}: ${names.join(', ')}` : 'nothing to migrate'))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
