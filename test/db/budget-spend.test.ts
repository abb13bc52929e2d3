import type { MikroORM } from '@mikro-orm/postgresql';
import { Pool } from 'pg';
import { lockBudget, reserveBudget, settleBudget } from '../../activities/budget-spend';
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
  const batch = (budgetId: string, stepNumber: number, shard: number) =>
    ({ budgetId, campaignId: rows.campaignId, clientId: rows.clientId, stepNumber, shard, afterDonorId: null });

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
