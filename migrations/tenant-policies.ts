/**
 * The statements that put tables under row-level security (DESIGN.md §3, tenancy): the application role
 * sees and writes only rows whose client column is the session's `app.client_id`; the operator role sees
 * all. `tables` maps each table to the column naming its client. Shared by every migration adding tenant
 * tables, so each one isolates its tables exactly as the first did.
 */
export function tenantIsolationSql(tables: Record<string, string>): string[] {
  return Object.entries(tables).flatMap(([table, column]) => [
    `grant select, insert, update, delete on ${table} to track15_app, track15_operator;`,
    `alter table ${table} enable row level security;`,
    `alter table ${table} force row level security;`,
    `create policy tenant_isolation on ${table} for all to track15_app
                     using (${column} = app_current_client_id()) with check (${column} = app_current_client_id());`,
    `create policy operator_access on ${table} for all to track15_operator using (true) with check (true);`,
  ]);
}
