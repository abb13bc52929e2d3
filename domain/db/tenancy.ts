import type { EntityManager } from '@mikro-orm/postgresql';
import { TENANT_FILTER, type TenantFilterArgs } from '../entities/tenant';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string | null | undefined): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * Runs one unit of work for one client: a transaction in which PostgreSQL's row-level security sees
 * `app.client_id` (transaction-local, so a pooled connection never leaks it to the next user) and
 * the ORM's `tenant` filter (on by default for every tenant entity) scopes every entity query to the
 * same client. Outside withClient/asOperator, entity queries fail rather than read across clients.
 */
export async function withClient<T>(em: EntityManager, clientId: string, work: (em: EntityManager) => Promise<T>): Promise<T> {
  if (!isUuid(clientId)) throw new TypeError(`client id must be a UUID, got ${JSON.stringify(clientId)}`);
  return em.fork().transactional(async (tx) => {
    await tx.execute(`select set_config('app.client_id', ?, true)`, [clientId]);
    tx.setFilterParams(TENANT_FILTER, { clientId } satisfies TenantFilterArgs);
    return work(tx);
  });
}

/**
 * One read for one client in a single round trip, for hot read paths where withClient's four (begin,
 * tenant, read, commit) dominate: `query` (a constant of the code, returning one row of one json column,
 * `$1` bound to `arg`) runs inside PostgreSQL's read_as_client() with `app.client_id` set, so row-level
 * security scopes it as withClient would; the ORM filter plays no part (raw SQL). Resolves to the json
 * value, or null when the query found no row.
 */
export async function readAsClient<T>(em: EntityManager, clientId: string, query: string, arg: string): Promise<T | null> {
  if (!isUuid(clientId)) throw new TypeError(`client id must be a UUID, got ${JSON.stringify(clientId)}`);
  const [row] = await em.getConnection().execute<{ result: T | null }[]>('select read_as_client(?, ?, ?) as result', [clientId, query, arg]);
  return row.result;
}

/**
 * Runs a unit of work as the operator role, which may read and write across clients (cross-tenant
 * analytics, client administration): row-level security lets the role through, and the ORM's tenant
 * filter is opened to all clients for this unit of work only.
 */
export async function asOperator<T>(em: EntityManager, work: (em: EntityManager) => Promise<T>): Promise<T> {
  return em.fork().transactional(async (tx) => {
    await tx.execute('set local role track15_operator');
    tx.setFilterParams(TENANT_FILTER, { allClients: true } satisfies TenantFilterArgs);
    return work(tx);
  });
}
