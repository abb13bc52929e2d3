import { Client } from 'pg';

/** The PostgreSQL server scripts/test.sh chose (DATABASE_URL's, 127.0.0.1:5432, or the private cluster). */
export const PG_ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432';
/** Each jest run migrates its own template (named after its pid), so concurrent runs never collide. */
export function templateDatabase(): string {
  return process.env.TRACK15_TEST_TEMPLATE ?? `track15_tpl_${process.pid}`;
}

/** Test databases carry the pid of the process that made them: `track15_t_<pid>_…` and `track15_tpl_<pid>`. */
export const TEST_DATABASE_PATTERN = /^track15_(?:t|tpl)_(\d+)/;

export function databaseUrl(database: string, role: 'owner' | 'app'): string {
  const url = new URL(`${PG_ADMIN_URL}/${database}`);
  if (role === 'app') { url.username = 'track15_app'; url.password = 'track15_app'; }
  return url.toString();
}

export async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: `${PG_ADMIN_URL}/postgres` });
  await client.connect();
  try { return await work(client); } finally { await client.end(); }
}
