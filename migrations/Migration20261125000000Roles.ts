import { Migration } from '@mikro-orm/migrations';

/**
 * The roles behind tenant isolation. The application connects as track15_app, which owns nothing,
 * so row-level security applies to it; track15_operator may read across clients. The app may become
 * the operator only by an explicit SET ROLE: NOINHERIT keeps the operator's policies from applying to
 * every app query. Roles are cluster-wide and shared by every database of the cluster, so `down`
 * leaves them in place.
 */
export class Migration20261125000000Roles extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      do $$
      begin
        if not exists (select 1 from pg_roles where rolname = 'track15_app') then
          create role track15_app login noinherit password 'track15_app';
        end if;
        if not exists (select 1 from pg_roles where rolname = 'track15_operator') then
          create role track15_operator nologin;
        end if;
      end $$;`);
    // Roles are shared by every database of the cluster, and concurrent test runs migrate their own
    // databases side by side: touch the role only when it needs changing, or one of them fails with
    // "tuple concurrently updated".
    this.addSql(`
      do $$
      begin
        if exists (select 1 from pg_roles where rolname = 'track15_app' and rolinherit) then
          alter role track15_app noinherit;
        end if;
        if not pg_has_role('track15_app', 'track15_operator', 'member') then
          grant track15_operator to track15_app;
        end if;
      end $$;`);
    this.addSql('create extension if not exists pgcrypto;');
    this.addSql('create extension if not exists pg_trgm;');
    this.addSql('grant usage on schema public to track15_app, track15_operator;');
  }

  override async down(): Promise<void> {
    this.addSql('revoke usage on schema public from track15_app, track15_operator;');
  }
}
