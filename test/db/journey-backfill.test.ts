import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { openOrm } from '../../domain/db/orm';
import { migrationsList } from '../../migrations';
import { databaseUrl, withAdmin } from '../support/pg-admin';

const JOURNEYS = 'Migration20261130130000DonorJourneys';

/**
 * Issue 18 item 1: an existing database gets journeys from its gifts. Donors with every kind of history
 * are written before the DonorJourneys migration; after it, each has the stage and the transitions the
 * rules of domain/journeys.ts give (the live triggers would have written the same), with the first gift's
 * attribution; a failed or refunded gift counts for nothing.
 */
describe('the DonorJourneys migration backfills journeys from existing gifts', () => {
  const name = `track15_t_${process.pid}_backfill_${randomBytes(3).toString('hex')}`;
  let orm: MikroORM;
  const sql = <T extends object = Record<string, unknown>>(text: string, params: unknown[] = []) => orm.em.fork().execute<T[]>(text, params);

  beforeAll(async () => {
    await withAdmin((admin) => admin.query(`create database "${name}"`));
    orm = await openOrm(databaseUrl(name, 'owner'), { pool: { min: 0, max: 1 } });
    const before = migrationsList.slice(0, migrationsList.findIndex((m) => m.name === JOURNEYS));
    await orm.getMigrator().up({ migrations: before.map((m) => m.name) });
  });
  afterAll(async () => {
    await orm?.close(true);
    await withAdmin((admin) => admin.query(`drop database if exists "${name}" with (force)`));
  });

  it('derives each donor\'s stage, dated transitions and first gift', async () => {
    const [{ id: clientId }] = await sql<{ id: string }>(`insert into clients (name) values ('Backfilled') returning id`);
    const [{ id: campaignId }] = await sql<{ id: string }>(
      `insert into campaigns (client_id, name, track15_audience_filter) values (?, 'Old appeal', '{"stages": ["trial", "churned", "dormant"], "has_email": true}') returning id`,
      [clientId]);
    const donor = async (email: string, createdDaysAgo: number, stage = 'active') => (await sql<{ id: string }>(
      `insert into donors (client_id, email, stage, source, created_at) values (?, ?, ?, 'referral', now() - ? * interval '1 day') returning id`,
      [clientId, email, stage, createdDaysAgo]))[0].id;
    const gift = async (donorId: string, daysAgo: number, status = 'succeeded', campaign: string | null = null) => (await sql<{ id: string }>(
      `insert into donations (client_id, donor_id, campaign_id, amount, status, donated_at) values (?, ?, ?, 25, ?, now() - ? * interval '1 day') returning id`,
      [clientId, donorId, campaign, status, daysAgo]))[0].id;

    const lead = await donor('lead@old.test', 30, 'marketing');
    const newDonor = await donor('new@old.test', 100);
    const first = await gift(newDonor, 90, 'succeeded', campaignId);
    await gift(newDonor, 80, 'refunded');
    const active = await donor('active@old.test', 900);
    await gift(active, 800);
    const secondOfActive = await gift(active, 700);
    await gift(active, 10);
    await gift(active, 10.5, 'failed');
    const lapsed = await donor('lapsed@old.test', 900, 'churned');
    await gift(lapsed, 800);
    const reactivated = await donor('reactivated@old.test', 2000);
    await gift(reactivated, 1900);
    await gift(reactivated, 1800);
    const comeback = await gift(reactivated, 100);
    // Imported with a gift older than the record: its move is dated at the creation, never before it.
    const imported = await donor('imported@old.test', 5);
    const importedGift = await gift(imported, 50);

    await orm.getMigrator().up({ migrations: [JOURNEYS] });

    const rows = await sql<{ donor_id: string; from_stage: string | null; to_stage: string; days_ago: number; cause: string; donation_id: string | null }>(
      `select donor_id, from_stage, to_stage, round(extract(epoch from now() - at) / 86400)::int as days_ago, cause, donation_id
         from donor_journey_transitions order by donor_id, at, sequence`);
    const history = (donorId: string) => rows.filter((row) => row.donor_id === donorId).map(({ donor_id: _, ...row }) => row);
    const moved = (from: string | null, to: string, daysAgo: number, cause: string, donationId: string | null = null) =>
      ({ from_stage: from, to_stage: to, days_ago: daysAgo, cause, donation_id: donationId });

    expect(history(lead)).toEqual([moved(null, 'lead', 30, 'created')]);
    expect(history(newDonor)).toEqual([moved(null, 'lead', 100, 'created'), moved('lead', 'new_donor', 90, 'gift', first)]);
    expect(history(active)).toEqual([
      moved(null, 'lead', 900, 'created'), moved('lead', 'new_donor', 800, 'gift', expect.any(String)),
      moved('new_donor', 'active', 700, 'gift', secondOfActive), moved('active', 'lapsed', 335, 'lapse'),
      moved('lapsed', 'reactivated', 10, 'gift', expect.any(String)),
    ]);
    expect(history(lapsed)).toEqual([
      moved(null, 'lead', 900, 'created'), moved('lead', 'new_donor', 800, 'gift', expect.any(String)), moved('new_donor', 'lapsed', 435, 'lapse'),
    ]);
    expect(history(reactivated)).toEqual([
      moved(null, 'lead', 2000, 'created'), moved('lead', 'new_donor', 1900, 'gift', expect.any(String)),
      moved('new_donor', 'active', 1800, 'gift', expect.any(String)), moved('active', 'lapsed', 1435, 'lapse'),
      moved('lapsed', 'reactivated', 100, 'gift', comeback),
    ]);
    expect(history(imported)).toEqual([moved(null, 'lead', 5, 'created'), moved('lead', 'new_donor', 5, 'gift', importedGift)]);

    const donors = await sql<{ id: string; stage: string; stage_days: number; last_days: number | null; first_gift_donation_id: string | null; first_gift_campaign_id: string | null; first_gift_source: string | null }>(
      `select id, stage, round(extract(epoch from now() - stage_entered_at) / 86400)::int as stage_days,
              round(extract(epoch from now() - last_gift_at) / 86400)::int as last_days, first_gift_donation_id, first_gift_campaign_id, first_gift_source
         from donors`);
    const state = (donorId: string) => { const { id: _, ...rest } = donors.find((row) => row.id === donorId)!; return rest; };
    expect(state(lead)).toEqual({ stage: 'lead', stage_days: 30, last_days: null, first_gift_donation_id: null, first_gift_campaign_id: null, first_gift_source: null });
    expect(state(newDonor)).toEqual({ stage: 'new_donor', stage_days: 90, last_days: 90, first_gift_donation_id: first, first_gift_campaign_id: campaignId, first_gift_source: 'email_campaign' });
    expect(state(active)).toMatchObject({ stage: 'reactivated', stage_days: 10, last_days: 10, first_gift_source: 'referral' });
    expect(state(lapsed)).toMatchObject({ stage: 'lapsed', stage_days: 435, last_days: 800 });
    expect(state(reactivated)).toMatchObject({ stage: 'reactivated', stage_days: 100, last_days: 100 });
    expect(state(imported)).toMatchObject({ stage: 'new_donor', stage_days: 5, first_gift_donation_id: importedGift });

    // A saved audience filter selects the same people by the new names.
    expect(await sql('select track15_audience_filter as filter from campaigns where id = ?', [campaignId]))
      .toEqual([{ filter: { stages: ['lapsed', 'new_donor'], has_email: true } }]);

    // From here the triggers carry on where the backfill left off: the reactivated donor's next gift makes them active.
    const next = await gift(reactivated, 0);
    expect((await sql(`select from_stage, to_stage, donation_id from donor_journey_transitions where donor_id = ? order by at desc, sequence desc limit 1`, [reactivated])))
      .toEqual([{ from_stage: 'reactivated', to_stage: 'active', donation_id: next }]);
  });
});
