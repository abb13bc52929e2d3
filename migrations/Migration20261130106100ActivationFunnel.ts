import { Migration } from '@mikro-orm/migrations';
import { tenantIsolationSql } from './tenant-policies';

/** The tenant tables this migration adds, by the column that names their client. */
export const ACTIVATION_FUNNEL_TENANT_TABLES: Record<string, string> = {
  content_version_views: 'client_id',
  agreement_acceptances: 'client_id',
};

/**
 * Issue 16 item 5, which version converts: the funnel of the activation pages per content version.
 * - content_version_views: one row per visitor per version per day. The visitor is a salted hash
 *   (hex SHA-256) computed by the application; no address or agent is stored.
 * - agreement_acceptances: who accepted which agreement version when, and the activation version the
 *   visitor had been shown, so a payment can be credited to both pages.
 * - payments.acceptance_id: the acceptance a payment was started from (its idempotency key's source).
 */
export class Migration20261130106100ActivationFunnel extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table content_version_views (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        content_version_id uuid not null references content_versions(id) on delete cascade,
        visitor_hash char(64) not null constraint chk_content_version_views_visitor_hash check (visitor_hash ~ '^[0-9a-f]{64}$'),
        view_day date not null,
        created_at timestamptz not null default now(),
        unique (content_version_id, visitor_hash, view_day)
      );`);
    this.addSql(`
      create table agreement_acceptances (
        id uuid primary key default gen_random_uuid(),
        client_id uuid not null references clients(id) on delete cascade,
        content_version_id uuid not null references content_versions(id) on delete cascade,
        activation_version_id uuid references content_versions(id) on delete set null,
        visitor_hash char(64) not null constraint chk_agreement_acceptances_visitor_hash check (visitor_hash ~ '^[0-9a-f]{64}$'),
        accepted_at timestamptz not null default now()
      );`);
    this.addSql('create index idx_agreement_acceptances_version on agreement_acceptances(content_version_id);');
    this.addSql('create index idx_agreement_acceptances_activation_version on agreement_acceptances(activation_version_id);');
    this.addSql('alter table payments add column acceptance_id uuid references agreement_acceptances(id) on delete set null;');
    this.addSql('create index idx_payments_acceptance on payments(acceptance_id);');
    for (const sql of tenantIsolationSql(ACTIVATION_FUNNEL_TENANT_TABLES)) this.addSql(sql);
  }

  override async down(): Promise<void> {
    this.addSql('alter table payments drop column if exists acceptance_id;');
    this.addSql('drop table if exists agreement_acceptances;');
    this.addSql('drop table if exists content_version_views;');
  }
}
