import type { EntityManager } from '@mikro-orm/postgresql';
import { preconditionFailed } from '../../optimistic-lock';
import { conflict, invalid, notFound } from '../../problem';

/**
 * One store for seed 004's versioned, soft-deleted, audited tables: create, read, list, change,
 * delete and restore, each change conditional on the version the caller read (api/optimistic-lock.ts)
 * and stamped with the calling API key (created_by / updated_by). The resources differ only in what
 * their ResourceSpec says.
 */

/** A unique index a write can break, in the caller's words. */
export interface UniqueRule { field: string; rule: string }

/** Another row this one must point at (checked before writing, so the answer names the field). */
export interface Reference { field: string; table: string; what: string }

export interface ResourceSpec {
  /** How answers name it: "customer profile". */
  what: string;
  table: string;
  /** The columns answered, as SQL over the table (dates as text). */
  columns: string;
  /** Columns a caller may write; the API field has the column's name. */
  writable: readonly string[];
  /** Sort keys the list accepts, by API name: the SQL expression. */
  sortable: Record<string, string>;
  /** Unique indexes (by name) a create, change or restore can break. */
  uniqueRules: Record<string, UniqueRule>;
  /** Rows this one points at (containers: profile, guidelines, budget). */
  references: readonly Reference[];
  /** Tables whose live rows keep this one from being deleted: the seed's ON DELETE RESTRICT. */
  referencedBy: readonly { table: string; column: string; what: string }[];
}

/** The row as answered; every spec's columns include these. */
export interface StoredRow { id: string; version: number; deleted_at: string | null; [column: string]: unknown }

export interface ListFilter {
  /** SQL conditions over the table, with `?` placeholders. */
  where: string[];
  params: unknown[];
  includeDeleted: boolean;
  sort: string;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

/** Who is acting: the API key's id, recorded in created_by / updated_by. */
export type Actor = string;

export async function getRow(em: EntityManager, spec: ResourceSpec, id: string, includeDeleted = false): Promise<StoredRow> {
  const [row] = await em.execute<StoredRow[]>(`select ${spec.columns} from ${spec.table} where id = ?`, [id]);
  if (!row || (row.deleted_at !== null && !includeDeleted)) throw notFound(spec.what);
  return row;
}

/**
 * A page of the client's rows in two statements. The first finds the page's ids with every filter on
 * an index: it runs as the operator role, with the tenant named explicitly (`client_id =
 * app_current_client_id()`), because under the application role's row-level security PostgreSQL may
 * not evaluate a non-leakproof operator (ILIKE, @>, &&) inside an index scan before the policy, so no
 * trigram or GIN index could ever serve a search. The second reads those rows back as the application
 * role, so row-level security still guards every row answered.
 */
export async function listRows(em: EntityManager, spec: ResourceSpec, filter: ListFilter): Promise<StoredRow[]> {
  const ids = await asSearchRole(em, async () => {
    const { sql, params } = listQuery(spec, filter);
    return (await em.execute<{ id: string }[]>(sql, params)).map((row) => row.id);
  });
  if (ids.length === 0) return [];
  const order = filter.order === 'asc' ? 'asc' : 'desc';
  return em.execute<StoredRow[]>(
    `select ${spec.columns} from ${spec.table} where id in (select jsonb_array_elements_text(?::jsonb)::uuid)
      order by ${spec.sortable[filter.sort]} ${order}, id ${order}`,
    [JSON.stringify(ids)],
  );
}

/**
 * Runs `work` as the operator role inside the client's transaction, then returns to the application
 * role. Only for statements that name the tenant themselves (listQuery); a failure aborts the
 * transaction, which ends the role change with it.
 */
export async function asSearchRole<T>(em: EntityManager, work: () => Promise<T>): Promise<T> {
  await em.execute('set local role track15_operator');
  const result = await work();
  await em.execute('reset role');
  return result;
}

/** The ids of one page of the client's rows, as SQL; apart so a test can EXPLAIN exactly what the API runs. */
export function listQuery(spec: ResourceSpec, filter: ListFilter): { sql: string; params: unknown[] } {
  const where = ['client_id = app_current_client_id()', ...filter.where, ...(filter.includeDeleted ? [] : ['deleted_at is null'])];
  const order = filter.order === 'asc' ? 'asc' : 'desc';
  return {
    sql: `select id from ${spec.table} where ${where.join(' and ')}
      order by ${spec.sortable[filter.sort]} ${order}, id ${order} limit ? offset ?`,
    params: [...filter.params, filter.limit, filter.offset],
  };
}

/** The writable fields the input names, as one JSON object PostgreSQL reads into a row of the table. */
function writableFields(spec: ResourceSpec, input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(spec.writable.filter((column) => input[column] !== undefined).map((column) => [column, input[column]]));
}

export async function createRow(em: EntityManager, spec: ResourceSpec, clientId: string, actor: Actor, input: Record<string, unknown>): Promise<StoredRow> {
  const fields = writableFields(spec, input);
  await requireReferences(em, spec, fields);
  const columns = Object.keys(fields);
  // jsonb_populate_record turns each field into its column's type (text[], jsonb, numeric, date) the way a cast would.
  const [{ id }] = await guardUnique(spec, 'body', em.execute<{ id: string }[]>(
    `insert into ${spec.table} (client_id, created_by, updated_by${columns.map((c) => `, ${c}`).join('')})
     select ?, ?, ?${columns.map((c) => `, r.${c}`).join('')} from jsonb_populate_record(null::${spec.table}, ?::jsonb) r
     returning id`,
    [clientId, actor, actor, JSON.stringify(fields)],
  ));
  return getRow(em, spec, id);
}

/** Changes the fields named, if the row is live and still at `version`; answers the new row. */
export async function updateRow(em: EntityManager, spec: ResourceSpec, id: string, version: number, actor: Actor, input: Record<string, unknown>): Promise<StoredRow> {
  const fields = writableFields(spec, input);
  if (Object.keys(fields).length === 0) throw invalid([{ field: 'body', message: 'name at least one field to change' }]);
  await requireReferences(em, spec, fields);
  const sets = Object.keys(fields).map((column) => `${column} = r.${column}`);
  return versionedChange(em, spec, id, version, 'live', guardUnique(spec, 'body', em.execute<{ id: string }[]>(
    `update ${spec.table} t set ${sets.join(', ')}, version = t.version + 1, updated_by = ?
       from jsonb_populate_record(null::${spec.table}, ?::jsonb) r
      where t.id = ? and t.version = ? and t.deleted_at is null returning t.id`,
    [actor, JSON.stringify(fields), id, version],
  )));
}

/**
 * Soft delete: sets deleted_at, so lists hide the row and restore can bring it back. Refused with 409
 * naming them while live rows point at it, as the seed's ON DELETE RESTRICT would refuse a real delete.
 */
export async function softDeleteRow(em: EntityManager, spec: ResourceSpec, id: string, version: number, actor: Actor): Promise<StoredRow> {
  for (const referrer of spec.referencedBy) {
    const holders = await em.execute<{ id: string; name: string }[]>(
      `select id, name from ${referrer.table} where ${referrer.column} = ? and deleted_at is null order by name, id limit 20`, [id]);
    if (holders.length > 0) {
      const names = holders.map((h) => `"${h.name}" (${h.id})`).join(', ');
      throw conflict(`the ${spec.what} is used by ${referrer.what} ${names}; change or delete ${holders.length > 1 ? 'them' : 'it'} first`, {
        reasons: [`referenced by ${referrer.what} (ON DELETE RESTRICT)`],
        referenced_by: holders.map((h) => ({ type: referrer.what, id: h.id, name: h.name })),
      });
    }
  }
  return versionedChange(em, spec, id, version, 'live', em.execute<{ id: string }[]>(
    `update ${spec.table} set deleted_at = now(), version = version + 1, updated_by = ?
      where id = ? and version = ? and deleted_at is null returning id`,
    [actor, id, version],
  ));
}

/** Clears deleted_at; refused with 409 naming the rule when a live row now holds what this one would take (a second default). */
export async function restoreRow(em: EntityManager, spec: ResourceSpec, id: string, version: number, actor: Actor): Promise<StoredRow> {
  const deleted = await getRow(em, spec, id, true);
  await requireReferences(em, spec, deleted, 'restore');
  return versionedChange(em, spec, id, version, 'deleted', guardUnique(spec, 'restore', em.execute<{ id: string }[]>(
    `update ${spec.table} set deleted_at = null, version = version + 1, updated_by = ?
      where id = ? and version = ? and deleted_at is not null returning id`,
    [actor, id, version],
  )));
}

/**
 * Runs a change conditional on the version; when it touched nothing, finds out why: no such row
 * (404), a newer version (412 with the current one), or the row is not in the state the change needs (409).
 */
async function versionedChange(em: EntityManager, spec: ResourceSpec, id: string, version: number, needs: 'live' | 'deleted', change: Promise<{ id: string }[]>): Promise<StoredRow> {
  const [changed] = await change;
  if (changed) return getRow(em, spec, id, true);
  const [current] = await em.execute<{ version: number; deleted: boolean }[]>(
    `select version, deleted_at is not null as deleted from ${spec.table} where id = ?`, [id]);
  if (!current) throw notFound(spec.what);
  if (current.version !== version) throw preconditionFailed(spec.what, current.version);
  throw conflict(needs === 'live' ? `the ${spec.what} is deleted; restore it first` : `the ${spec.what} is not deleted`,
    { reasons: [needs === 'live' ? 'deleted' : 'not deleted'] });
}

/** Each reference named must be a live row of the client (RLS hides other clients' rows, so theirs answer 404). */
async function requireReferences(em: EntityManager, spec: ResourceSpec, fields: Record<string, unknown>, purpose: 'write' | 'restore' = 'write'): Promise<void> {
  for (const reference of spec.references) {
    const id = fields[reference.field];
    if (typeof id !== 'string') continue;
    const [row] = await em.execute<{ deleted: boolean }[]>(`select deleted_at is not null as deleted from ${reference.table} where id = ?`, [id]);
    const field = purpose === 'write' ? `body.${reference.field}` : reference.field;
    if (!row) throw notFound(reference.what, field);
    if (row.deleted) {
      throw conflict(`${field}: the ${reference.what} ${id} is deleted; restore it first`, { errors: [{ field, message: `refers to a deleted ${reference.what}` }] });
    }
  }
}

/** A unique violation of a known rule answers 409 naming the rule and its field, not the values. */
async function guardUnique<T>(spec: ResourceSpec, during: 'body' | 'restore', write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    const { code, constraint } = error as { code?: string; constraint?: string };
    const rule = code === '23505' && constraint ? spec.uniqueRules[constraint] : undefined;
    if (!rule) throw error;
    const field = during === 'body' ? `body.${rule.field}` : rule.field;
    throw conflict(`${field}: ${rule.rule}${during === 'restore' ? `; restoring this ${spec.what} would break it` : ''}`, {
      rule: constraint, reasons: [rule.rule], errors: [{ field, message: rule.rule }],
    });
  }
}
