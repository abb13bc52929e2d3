import type { MikroORM } from '@mikro-orm/postgresql';
import { recalculateRfm } from '../../activities/rfm-recalculation';
import { openOrm } from '../../domain/db/orm';
import { withClient } from '../../domain/db/tenancy';
import { scoreDonor } from '../../domain/rfm';
import { type TestDatabase, createTestDatabase } from '../support/database';
import { Fixtures } from '../support/fixtures';

const AS_OF = new Date('2026-06-30T12:00:00Z');
const DAY = 86_400_000;

/** Gift histories on every threshold of seed 000: recency days, gift counts and dollar totals. */
function histories(): { amounts: number[]; daysAgo: number[] }[] {
  const cases: { amounts: number[]; daysAgo: number[] }[] = [];
  for (const days of [0, 30, 31, 90, 91, 180, 181, 365, 366, 800]) cases.push({ amounts: [60], daysAgo: [days] });
  for (const count of [1, 2, 3, 5, 6, 9, 10, 12]) cases.push({ amounts: Array(count).fill(25), daysAgo: Array.from({ length: count }, (_, i) => 10 + i * 20) });
  for (const total of [49.99, 50, 199.99, 200, 499.99, 500, 999.99, 1000, 2500]) cases.push({ amounts: [total], daysAgo: [45] });
  cases.push({ amounts: [300, 400, 500, 100], daysAgo: [5, 40, 70, 100] }); // a champion
  return cases;
}

describe('RFM recalculation (one SQL statement per client)', () => {
  let db: TestDatabase;
  let fixtures: Fixtures;
  let orm: MikroORM;

  beforeAll(async () => {
    db = await createTestDatabase();
    fixtures = new Fixtures(db.ownerUrl);
    orm = await openOrm(db.appUrl);
  });
  afterAll(async () => {
    await orm?.close();
    await fixtures?.close();
    await db?.drop();
  });

  it('agrees with domain/rfm scoreDonor for every boundary, and counts only succeeded gifts up to the date', async () => {
    const clientId = await fixtures.client('RFM');
    const cases = histories();
    const donorIds = await fixtures.donors(clientId, cases.map((_, i) => ({ email: `rfm-${i}@donors.test` })));
    const [noGifts] = await fixtures.donors(clientId, [{ email: 'never-gave@donors.test', segment: 'Loyal' }]);
    for (const [i, history] of cases.entries()) {
      for (const [j, amount] of history.amounts.entries()) {
        await fixtures.donation(clientId, donorIds[i], amount, { at: new Date(AS_OF.getTime() - history.daysAgo[j] * DAY) });
      }
      // Ignored: a refunded gift, a failed one, and one after the as-of date.
      await fixtures.query(`insert into donations (client_id, donor_id, amount, status, donated_at) values
        ($1, $2, 5000, 'refunded', $3), ($1, $2, 5000, 'failed', $3), ($1, $2, 5000, 'succeeded', $4)`,
        [clientId, donorIds[i], AS_OF, new Date(AS_OF.getTime() + DAY)]);
    }

    const result = await withClient(orm.em, clientId, (em) => recalculateRfm(em, clientId, AS_OF));
    // The never-giving donor was seeded with a segment: losing it is a change too.
    expect(result).toEqual({ scored: cases.length + 1, changed: cases.length + 1 });

    const rows = await fixtures.query<{ id: string; r: number | null; f: number | null; m: number | null; segment: string | null }>(
      `select id, rfm_recency_score as r, rfm_frequency_score as f, rfm_monetary_score as m, rfm_segment as segment from donors where client_id = $1`, [clientId]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const [i, history] of cases.entries()) {
      const expected = scoreDonor(history.amounts.map((amount, j) => ({ amountCents: Math.round(amount * 100), at: new Date(AS_OF.getTime() - history.daysAgo[j] * DAY) })), AS_OF)!;
      expect({ case: i, ...byId.get(donorIds[i]) }).toEqual({ case: i, id: donorIds[i], r: expected.r, f: expected.f, m: expected.m, segment: expected.segment });
    }
    expect(byId.get(noGifts)).toMatchObject({ r: null, f: null, m: null, segment: null });
    expect(new Set(rows.map((row) => row.segment)).size).toBeGreaterThanOrEqual(4);
  });

  it('rewrites only donors whose scores change, and stamps the client', async () => {
    const clientId = await fixtures.client('RFM nightly');
    const [steady, lapsing] = await fixtures.donors(clientId, [{ email: 'steady@rfm.test' }, { email: 'lapsing@rfm.test' }]);
    await fixtures.donation(clientId, steady, 60, { at: new Date(AS_OF.getTime() - 10 * DAY) });
    await fixtures.donation(clientId, lapsing, 60, { at: new Date(AS_OF.getTime() - 30 * DAY) });
    expect(await withClient(orm.em, clientId, (em) => recalculateRfm(em, clientId, AS_OF))).toEqual({ scored: 2, changed: 2 });
    const stamps = async () => Object.fromEntries((await fixtures.query<{ id: string; at: Date; r: number }>(
      'select id, rfm_last_calculated as at, rfm_recency_score as r from donors where client_id = $1', [clientId])).map((row) => [row.id, row]));
    const before = await stamps();

    // The next day only the donor whose last gift is now 31 days old drops a recency band.
    const nextDay = new Date(AS_OF.getTime() + DAY);
    expect(await withClient(orm.em, clientId, (em) => recalculateRfm(em, clientId, nextDay))).toEqual({ scored: 2, changed: 1 });
    const after = await stamps();
    expect(after[steady]).toEqual(before[steady]);
    expect(after[lapsing].r).toBe(before[lapsing].r - 1);
    expect(after[lapsing].at.getTime()).toBeGreaterThan(before[lapsing].at.getTime());
    const [client] = await fixtures.query<{ rfm_calculated_at: Date | null }>('select rfm_calculated_at from clients where id = $1', [clientId]);
    expect(client.rfm_calculated_at!.getTime()).toBeGreaterThanOrEqual(after[lapsing].at.getTime());
  });

  it('recalculates one donor without touching the others', async () => {
    const clientId = await fixtures.client('RFM one');
    const [a, b] = await fixtures.donors(clientId, [{ email: 'a@rfm.test' }, { email: 'b@rfm.test' }]);
    // One recent $60 gift: R5 F1 M2, a new donor.
    await fixtures.donation(clientId, a, 60, { at: AS_OF });
    await fixtures.donation(clientId, b, 60, { at: AS_OF });
    expect(await withClient(orm.em, clientId, (em) => recalculateRfm(em, clientId, AS_OF, a))).toEqual({ scored: 1, changed: 1 });
    const rows = await fixtures.query<{ id: string; segment: string | null }>('select id, rfm_segment as segment from donors where client_id = $1', [clientId]);
    expect(Object.fromEntries(rows.map((r) => [r.id, r.segment]))).toEqual({ [a]: 'New Donors', [b]: null });

    // Scored again with nothing moved: no change, but the donor was scored, and its stamp says so.
    const stamp = async () => (await fixtures.query<{ at: Date }>('select rfm_last_calculated as at from donors where id = $1', [a]))[0].at;
    const first = await stamp();
    expect(await withClient(orm.em, clientId, (em) => recalculateRfm(em, clientId, AS_OF, a))).toEqual({ scored: 1, changed: 0 });
    expect((await stamp()).getTime()).toBeGreaterThan(first.getTime());
  });
});
