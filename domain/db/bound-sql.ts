import type { EntityManager, Knex } from '@mikro-orm/postgresql';

/**
 * Runs `sql` (`?` placeholders) in `em`'s transaction, or on its pool outside one, with its parameters
 * bound: sent beside the statement over PostgreSQL's extended protocol, not written into its text.
 * `em.execute` inlines every parameter into the SQL text, escaping it character by character; for the
 * delivery path's page-sized JSON parameters (about 100 KB a statement, three statements a page) that
 * escaping and the larger text cost the worker more CPU than reading the statement's results. Rows come
 * back as `em.execute` returns them (the same connection, the same type parsers); an error is PostgreSQL's
 * own, with its SQLSTATE in `code`.
 */
export async function executeBound<T extends object>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<T[]> {
  const knex = em.getTransactionContext<Knex.Transaction>() ?? em.getKnex();
  const { rows } = await knex.raw(sql, params as Knex.RawBinding[]) as { rows: T[] };
  return rows;
}
