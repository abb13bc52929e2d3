import type { MikroORM } from '@mikro-orm/postgresql';
import { Pool } from 'pg';
import { lockBudget, reserveBudget, settleBudget } from '../../activities/delivery/budget-spend';
import { openOrm } from '../../domain/db/orm';
import { withClient } from '../../domain/db/tenancy';
import { type TestDatabase, createTestDatabase } from '../support/database';
import { type TenantRows, seedTenant } from '../support/tenant-rows';

/** The spend ledger under retries and concurrent lanes: a hard cap is never crossed, whatever the interleaving. */
describe('budget reservations', () => {
  let db: TestDatabase;
  let owner: Pool;
  let orm: MikroORM;
  let rows: TenantRows;

  const inClient = <T>(work: Parameters<typeof withClient<T>>[2]) => withClient(orm.em, rows.clientId, work);
  const newBudget = async (amount: number) => {
    const { rows: [budget] } = await owner.query<{ id: string }>(
      `insert into budgets (client_id, name, amount, cost_per_message) values ($1, 'Cap', $2, 0.01) returning id`, [rows.clientId, amount]);
    return budget.id;
  };
  const spent = async (budgetId: string) => {
    const { rows: [budget] } = await owner.query<{ amount_spent: string; ledger: string | null }>(
      `select amount_spent, (select sum(amount) from budget_spend where budget_id = b.id) as ledger from budgets b where id = $1`, [budgetId]);
    return { amountSpent: Number(budget.amount_spent), ledger: Number(budget.ledger ?? 0) };
  };
  const status = async (budgetId: string) =>
    (await owner.query<{ status: string }>('select status from budgets where id = $1', [budgetId])).rows[0].status;
  // Batches are keyed by campaign, step, shard and cursor: each test spends on a step of its own.
  const batch = (budgetId: string, stepNumber: number, shard: number, clock = { dayLengthSeconds: 86_400, anchorMs: 0 }) =>
    ({ budgetId, campaignId: rows.campaignId, clientId: rows.clientId, stepNumber, shard, afterDonorId: null, clock, waitForPeriod: true });

  beforeAll(async () => {
    db = await createTestDatabase();
    owner = new Pool({ connectionString: db.ownerUrl, max: 2 });
    orm = await openOrm(db.appUrl, { pool: { min: 0, max: 12 } });
    rows = await seedTenant(owner);
  });
  afterAll(async () => {
    await orm?.close();
    await owner?.end();
    await db?.drop();
  });

  it('a retried batch keeps paying for what its earlier attempt sent, so no other lane can spend it', async () => {
    const budgetId = await newBudget(0.10);
    // First attempt: 6 sent and settled, then the activity's completion was lost.
    const first = await inClient((em) => reserveBudget(em, { ...batch(budgetId, 2, 0), wanted: 6, alreadySent: 0 }));
    await inClient((em) => settleBudget(em, first, 6));
    // The retry finds nothing left to send on its page, but the 6 stay reserved while it runs.
    const retry = await inClient((em) => reserveBudget(em, { ...batch(budgetId, 2, 0), wanted: 0, alreadySent: 6 }));
    expect(await spent(budgetId)).toEqual({ amountSpent: 0.06, ledger: 0.06 });
    const other = await inClient((em) => reserveBudget(em, { ...batch(budgetId, 2, 1), wanted: 10, alreadySent: 0 }));
    expect(other).toMatchObject({ affordable: 4, exhausted: true });
    await inClient((em) => settleBudget(em, retry, 6));
    await inClient((em) => settleBudget(em, other, 4));
    expect(await spent(budgetId)).toEqual({ amountSpent: 0.10, ledger: 0.10 });
    expect(await status(budgetId)).toBe('EXHAUSTED');
  });

  it('a retry that sends the rest of its page is charged for the whole page exactly once', async () => {
    const budgetId = await newBudget(1.00);
    const first = await inClient((em) => reserveBudget(em, { ...batch(budgetId, 3, 0), wanted: 10, alreadySent: 0 }));
    await inClient((em) => settleBudget(em, first, 3)); // 3 went out before a 429
    const retry = await inClient((em) => reserveBudget(em, { ...batch(budgetId, 3, 0), wanted: 7, alreadySent: 3 }));
    expect(retry.affordable).toBe(7);
    await inClient((em) => settleBudget(em, retry, 10));
    expect(await spent(budgetId)).toEqual({ amountSpent: 0.10, ledger: 0.10 });
    expect(await status(budgetId)).toBe('ACTIVE');
  });

  it('a DAILY budget caps each day and renews the next; its alerts fire once per day; batches wait instead of pausing', async () => {
    const { rows: [{ id: budgetId }] } = await owner.query<{ id: string }>(
      `insert into budgets (client_id, name, amount, cost_per_message, period, alerts)
       values ($1, 'Daily', 0.05, 0.01, 'DAILY', '[{"threshold_percent": 60}, {"threshold_percent": 100}]') returning id`, [rows.clientId]);
    // A rehearsal's clock: one-second days from now.
    const clock = { dayLengthSeconds: 1, anchorMs: Date.now() };
    const first = await inClient((em) => reserveBudget(em, { ...batch(budgetId, 5, 0, clock), wanted: 8, alreadySent: 0 }));
    expect(first).toMatchObject({ affordable: 5, exhausted: false });
    expect(first.waitUntil).toBeGreaterThan(Date.now() - 50);
    expect(first.waitUntil! - Date.now()).toBeLessThanOrEqual(1000);
    const fired = await inClient((em) => settleBudget(em, first, 5));
    expect(fired).toHaveLength(2);
    expect(await status(budgetId)).toBe('EXHAUSTED');

    await new Promise((resolve) => setTimeout(resolve, first.waitUntil! - Date.now() + 5));
    const next = await inClient((em) => reserveBudget(em, { ...batch(budgetId, 5, 1, clock), wanted: 3, alreadySent: 0 }));
    expect(next).toMatchObject({ affordable: 3, waitUntil: null, exhausted: false });
    expect(next.periodKey).not.toBe(first.periodKey);
    expect(await status(budgetId)).toBe('ACTIVE');
    const firedAgain = await inClient((em) => settleBudget(em, next, 3));
    const { rows: [figures] } = await owner.query<{ amount_spent: string; lifetime_spent: string; period_key: string }>(
      'select amount_spent, lifetime_spent, period_key from budgets where id = $1', [budgetId]);
    expect(figures).toEqual({ amount_spent: '0.03', lifetime_spent: '0.08', period_key: next.periodKey });
    // 60% fired again in the new period, 100% not yet; the first day's two stay unhanded too.
    const { rows: events } = await owner.query<{ period_key: string; threshold_percent: string }>(
      'select period_key, threshold_percent from budget_alert_events where budget_id = $1 order by fired_at, threshold_percent', [budgetId]);
    expect(events).toEqual([
      { period_key: first.periodKey, threshold_percent: '60.00' }, { period_key: first.periodKey, threshold_percent: '100.00' },
      { period_key: next.periodKey, threshold_percent: '60.00' },
    ]);
    expect(firedAgain).toHaveLength(3);
    const { rows: ledger } = await owner.query<{ period_key: string; amount: string }>(
      'select period_key, sum(amount)::text as amount from budget_spend where budget_id = $1 group by 1 order by 2 desc', [budgetId]);
    expect(ledger).toEqual([{ period_key: first.periodKey, amount: '0.05' }, { period_key: next.periodKey, amount: '0.03' }]);
  });

  it('without the touchpoint\'s wait (runs started before periods), a periodic budget still pauses at its cap', async () => {
    const { rows: [{ id: budgetId }] } = await owner.query<{ id: string }>(
      `insert into budgets (client_id, name, amount, cost_per_message, period) values ($1, 'Weekly', 0.02, 0.01, 'WEEKLY') returning id`, [rows.clientId]);
    const reservation = await inClient((em) => reserveBudget(em, { ...batch(budgetId, 6, 0), wanted: 5, alreadySent: 0, waitForPeriod: false }));
    expect(reservation).toMatchObject({ affordable: 2, exhausted: true, waitUntil: null });
    expect(reservation.periodKey).toMatch(/^WEEKLY:\d{4}-W\d{2}$/);
  });

  it('a shared budget: two campaigns\' lanes reserving at once draw from its one amount, never more', async () => {
    const budgetId = await newBudget(0.30);
    const { rows: [{ id: otherCampaign }] } = await owner.query<{ id: string }>(
      `insert into campaigns (client_id, name, track15_enabled, track15_season, track15_stage) values ($1, 'Autumn', true, 'fall', 'draft') returning id`,
      [rows.clientId]);
    const lanes = await Promise.all([rows.campaignId, otherCampaign].flatMap((campaignId) => Array.from({ length: 4 }, (_, shard) => inClient(async (em) => {
      const reservation = await reserveBudget(em, { ...batch(budgetId, 7, shard), campaignId, wanted: 6, alreadySent: 0 });
      await settleBudget(em, reservation, reservation.affordable);
      return reservation.affordable;
    }))));
    // 48 wanted, 30 affordable in all, whichever lanes came first.
    expect(lanes.reduce((sum, n) => sum + n, 0)).toBe(30);
    expect(await spent(budgetId)).toEqual({ amountSpent: 0.30, ledger: 0.30 });
    expect(await status(budgetId)).toBe('EXHAUSTED');
  });

  it('eight lanes claiming and settling at once never cross the cap and never deadlock', async () => {
    const budgetId = await newBudget(0.25);
    const lanes = await Promise.all(Array.from({ length: 8 }, (_, shard) => inClient(async (em) => {
      // The claim order of deliverBatch: budget row (reservation), then the campaign's stats row.
      const reservation = await reserveBudget(em, { ...batch(budgetId, 4, shard), wanted: 5, alreadySent: 0 });
      await em.execute('select increment_campaign_stat(?, ?, ?)', [rows.campaignId, 'skipped', 5 - reservation.affordable]);
      return reservation;
    }).then((reservation) => inClient(async (em) => {
      // The settle order of deliverBatch: budget row first, then the campaign's stats row.
      await lockBudget(em, budgetId);
      await em.execute('select increment_campaign_stat(?, ?, ?)', [rows.campaignId, 'sent', reservation.affordable]);
      await settleBudget(em, reservation, reservation.affordable);
      return reservation.affordable;
    }))));
    expect(lanes.reduce((sum, n) => sum + n, 0)).toBe(25);
    expect(await spent(budgetId)).toEqual({ amountSpent: 0.25, ledger: 0.25 });
  });
});
