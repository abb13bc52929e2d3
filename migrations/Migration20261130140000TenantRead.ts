import { Migration } from '@mikro-orm/migrations';

/**
 * `read_as_client(client, query, arg)`: one read for one client in a single round trip (issue 12 item 4).
 * withClient's transaction costs four round trips (begin, set the tenant, the read, commit); a hot read
 * path (the routine campaign status) runs here instead: the function sets `app.client_id` for the reads
 * it runs, so row-level security scopes them exactly as in withClient, runs `query` (a constant of the
 * API's code, one row of one json column, `$1` bound to `arg`) and puts the previous tenant back before
 * returning, so it leaves nothing behind inside a caller's transaction or on a pooled connection.
 * SECURITY INVOKER: the query runs with the caller's rights and policies.
 */
export class Migration20261130140000TenantRead extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create function read_as_client(p_client_id uuid, p_query text, p_arg uuid) returns json as $$
      declare
        previous text := current_setting('app.client_id', true);
        result json;
      begin
        perform set_config('app.client_id', p_client_id::text, true);
        execute p_query into result using p_arg;
        perform set_config('app.client_id', coalesce(previous, ''), true);
        return result;
      end
      $$ language plpgsql security invoker;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop function read_as_client(uuid, text, uuid);');
  }
}
