import { templateDatabase, withAdmin } from './pg-admin';

export default async function globalTeardown(): Promise<void> {
  await withAdmin(async (admin) => { await admin.query(`drop database if exists "${templateDatabase()}" with (force)`); });
}
