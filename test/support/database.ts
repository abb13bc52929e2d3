import { randomBytes } from 'node:crypto';
import { databaseUrl, templateDatabase, withAdmin } from './pg-admin';

export interface TestDatabase {
  name: string;
  /** Owner of the tables: bypasses nothing (not a superuser in production), used to arrange fixtures. */
  ownerUrl: string;
  /** The application role, subject to row-level security. */
  appUrl: string;
  drop(): Promise<void>;
}

/** A fresh, fully migrated database for one suite, cloned from the template global-setup migrated. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `track15_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(async (admin) => {
    // Concurrent clones of one template can collide on its lock; a short retry absorbs that.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`create database "${name}" template "${templateDatabase()}"`);
        return;
      } catch (error) {
        if (attempt >= 20 || !String(error).includes('being accessed by other users')) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  });
  return {
    name,
    ownerUrl: databaseUrl(name, 'owner'),
    appUrl: databaseUrl(name, 'app'),
    drop: () => withAdmin(async (admin) => {
      // Pools close their sockets asynchronously: give them a moment, or FORCE kills a connection that
      // is still saying goodbye and its client reports an unhandled error in the suite.
      for (let waited = 0; waited < 2_000; waited += 50) {
        const { rows: [{ n }] } = await admin.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
        if (n === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await admin.query(`drop database if exists "${name}" with (force)`);
    }),
  };
}
