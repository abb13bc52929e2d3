import { z } from 'zod';
import { ClientParams, choice, pagination, text, timestamp, uuid } from '../common';

/**
 * Pieces every seed 004 resource shares: the audit fields it answers with, the version a change is
 * based on, and the list query (pagination, sort, soft-deleted rows).
 */

/** A name as the seed stores it: varchar(255), one line. */
export const resourceName = text().trim().min(1).max(255);
/** Seed 004's free text (descriptions, notes): multi-line. */
export const longText = text({ multiline: true }).max(10_000);
/** A short label inside a JSONB document (an interest, a platform, a rule). */
export const label = text().trim().min(1).max(200);
export const labels = (max = 50) => z.array(label).max(max);

/** Where the version a change is based on may travel instead of If-Match. */
export const baseVersion = z.number().int().min(1).max(2_147_483_647).optional()
  .describe('The version this change is based on, when the If-Match header is not sent; a stale one answers 412');

/** Who and when, on every seed 004 row (the seed's audit trail). */
export const auditFields = {
  version: z.number().int().describe('Increments on every change; the ETag carries it'),
  metadata: z.record(z.string(), z.unknown()),
  created_by: z.string().nullable().describe('Id of the API key that created the row'),
  updated_by: z.string().nullable().describe('Id of the API key that last changed it (including delete and restore)'),
  created_at: timestamp,
  updated_at: timestamp,
  deleted_at: timestamp.nullable().describe('Set when soft-deleted; null otherwise'),
};

/** Where a JSONB document is answered as stored (it was validated against the request schema on the way in). */
export const storedDocument = z.record(z.string(), z.unknown());

/** The list query every seed 004 resource takes, plus its own filters; `sortable` names what `sort` may be. */
export function listQuery<const S extends readonly [string, ...string[]], F extends z.ZodRawShape>(sortable: S, filters: F) {
  return z.strictObject({
    ...filters,
    include_deleted: choice({ true: 'soft-deleted rows are listed too (with deleted_at set)', false: 'only rows not deleted' }, 'Whether soft-deleted rows are listed')
      .default('false').transform((value) => value === 'true'),
    sort: choice(Object.fromEntries(sortable.map((key) => [key, `by ${key}`])) as Record<S[number], string>, 'Sort key').default(sortable[0]),
    order: choice({ asc: 'smallest or oldest first', desc: 'largest or newest first' }, 'Sort order; ties are broken by id').default('desc'),
    ...pagination,
  });
}

/** GET of one row: `include_deleted=true` also answers for a soft-deleted one. */
export const ReadQuery = z.strictObject({
  include_deleted: choice({ true: 'a soft-deleted row is answered too', false: 'a soft-deleted row answers 404' }, 'Whether a soft-deleted row is found')
    .default('false').transform((value) => value === 'true'),
});

/** Path of one resource, e.g. /clients/{clientId}/budgets/{budgetId}. */
export function resourceParams<const K extends string>(idName: K) {
  return ClientParams.extend({ [idName]: uuid } as { [P in K]: typeof uuid });
}
