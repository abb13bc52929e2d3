import { Migration } from '@mikro-orm/migrations';
import { tenantIsolationSql } from './tenant-policies';

/** The tenant tables this migration adds, by the column that names their client. */
export const AB_TEST_TENANT_TABLES: Record<string, string> = { step_ab_decisions: 'client_id' };

/**
 * A/B tests on a step (issue 14 item 4):
 * - `track15_narrative_steps.ab_test`: the step's 2–4 subject-line or message variants, the metric
 *   (opens|clicks), the test share and the waiting time in hours (shape: api/schemas/narrative.ts);
 * - `campaign_deliveries.ab_variant`: which variant a recipient of the test share was sent (null for the
 *   rest, who get the winner, and for steps without a test), so the rates are read from the ledger and facts;
 * - `step_ab_decisions`: the decision the touchpoint workflow made, one per campaign step.
 */
export class Migration20261130107000AbTests extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table track15_narrative_steps add column ab_test jsonb;');
    this.addSql(`alter table campaign_deliveries add column ab_variant smallint
                   constraint chk_campaign_deliveries_ab_variant check (ab_variant between 0 and 3);`);
    this.addSql(`
      create table step_ab_decisions (
        campaign_id uuid not null references campaigns(id) on delete cascade,
        client_id uuid not null references clients(id) on delete cascade,
        step_number integer not null check (step_number between 1 and 15),
        metric text not null constraint chk_step_ab_decisions_metric check (metric in ('opens', 'clicks')),
        -- [{index, recipients, conversions, rate, ci95: [low, high]}] in variant order.
        variants jsonb not null,
        winner smallint not null check (winner between 0 and 3),
        significant boolean not null,
        p_value double precision,
        decided_at timestamptz not null default now(),
        primary key (campaign_id, step_number)
      );`);
    for (const sql of tenantIsolationSql(AB_TEST_TENANT_TABLES)) this.addSql(sql);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists step_ab_decisions;');
    this.addSql('alter table campaign_deliveries drop column if exists ab_variant;');
    this.addSql('alter table track15_narrative_steps drop column if exists ab_test;');
  }
}
