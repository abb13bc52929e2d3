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
    drop: () => withAdmin(async (admin) => { await admin.query(`drop database if exists "${name}" with (force)`); }),
  };
}
