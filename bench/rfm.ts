/**
 * `npm run bench -- rfm`: RFM recalculation for one client with 1,000,000 donors and 5,000,000 donations,
 * as the one set-based statement of activities/rfm-recalculation.ts, against two baselines measured in
 * the same run: the bare aggregate scan (the GROUP BY over donations alone, which any recalculation must
 * do), and the seed's way (score functions called per donor) on a 10,000-donor subset.
 * Sizes can be lowered for a quick look: BENCH_RFM_DONORS=100000 npx tsx bench/rfm.ts
 */
import { Pool } from 'pg';
import { recalculateRfm } from '../activities/rfm-recalculation';
import { openOrm } from '../domain/db/orm';
import { withClient } from '../domain/db/tenancy';
import { migrate } from '../scripts/migrate';

const ADMIN = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432';
const DATABASE = 'track15_bench_rfm';
const DONORS = Number(process.env.BENCH_RFM_DONORS ?? 1_000_000);
const DONATIONS = DONORS * 5;
const SUBSET = Math.min(10_000, DONORS);
const AS_OF = '2026-06-30T00:00:00Z';

/** The seed's per-donor functions (seed 000 named them; their bodies follow its thresholds), as of bench.as_of. */
const SEED_FUNCTIONS = `
  create schema seed_rfm;
  create function seed_rfm.calculate_recency_score(p_donor_id uuid) returns integer as $$
  declare days integer;
  begin
    select floor(extract(epoch from (current_setting('bench.as_of')::timestamptz - max(donated_at))) / 86400) into days
      from donations where donor_id = p_donor_id and status = 'succeeded' and donated_at <= current_setting('bench.as_of')::timestamptz;
    return case when days is null then null when days <= 30 then 5 when days <= 90 then 4 when days <= 180 then 3 when days <= 365 then 2 else 1 end;
  end $$ language plpgsql;
  create function seed_rfm.calculate_frequency_score(p_donor_id uuid) returns integer as $$
  declare gifts integer;
  begin
    select count(*) into gifts
      from donations where donor_id = p_donor_id and status = 'succeeded' and donated_at <= current_setting('bench.as_of')::timestamptz;
    return case when gifts = 0 then null when gifts >= 10 then 5 when gifts >= 6 then 4 when gifts >= 3 then 3 when gifts = 2 then 2 else 1 end;
  end $$ language plpgsql;
  create function seed_rfm.calculate_monetary_score(p_donor_id uuid) returns integer as $$
  declare total numeric;
  begin
    select sum(amount) into total
      from donations where donor_id = p_donor_id and status = 'succeeded' and donated_at <= current_setting('bench.as_of')::timestamptz;
    return case when total is null then null when total >= 1000 then 5 when total >= 500 then 4 when total >= 200 then 3 when total >= 50 then 2 else 1 end;
  end $$ language plpgsql;
  create function seed_rfm.assign_rfm_segment(r integer, f integer, m integer) returns varchar as $$
  begin
    return case
      when r is null then null
      when r >= 4 and f >= 4 and m >= 4 then 'Champions'
      when r >= 4 and f = 1 and m <= 2 then 'New Donors'
      when r >= 3 and f >= 3 and m >= 3 then 'Loyal'
      when r >= 4 and f <= 3 and m <= 3 then 'Potential Loyalists'
      when r between 3 and 4 and f between 2 and 3 and m between 2 and 3 then 'Promising'
      when r between 2 and 3 and f between 2 and 4 and m between 2 and 4 then 'Need Attention'
      when r <= 2 and f <= 3 and m <= 3 then 'At Risk'
      when r >= 4 then 'Potential Loyalists' when r = 3 then 'Need Attention' else 'At Risk' end;
  end $$ language plpgsql;`;

/** The seed's recalculate_rfm_segments() body, limited to the subset. */
const SEED_UPDATE = `
  update donors d set
    rfm_recency_score = seed_rfm.calculate_recency_score(d.id),
    rfm_frequency_score = seed_rfm.calculate_frequency_score(d.id),
    rfm_monetary_score = seed_rfm.calculate_monetary_score(d.id),
    rfm_segment = seed_rfm.assign_rfm_segment(seed_rfm.calculate_recency_score(d.id), seed_rfm.calculate_frequency_score(d.id), seed_rfm.calculate_monetary_score(d.id)),
    rfm_last_calculated = now()
  where d.client_id = $1 and d.id in (select id from bench_subset)`;

/**
 * The GROUP BY any recalculation has to do, with nothing after it: every aggregate is consumed (and only
 * one row shipped), or the planner drops the aggregates it sees unused and merely groups the donor ids.
 */
const AGGREGATE_ONLY = `
  select count(*), max(last_gift), sum(gifts), sum(total) from (
    select donor_id, max(donated_at) as last_gift, count(*) as gifts, sum(amount) as total from donations
     where client_id = ? and status = 'succeeded' and donated_at <= ?::timestamptz group by donor_id) per_donor`;

async function main(): Promise<void> {
  const ownerUrl = await freshDatabase();
  const appUrl = Object.assign(new URL(ownerUrl), { username: 'track15_app', password: 'track15_app' }).toString();
  const owner = new Pool({ connectionString: ownerUrl, max: 1 });
  const orm = await openOrm(appUrl, { pool: { min: 0, max: 1 } });
  try {
    console.log(`\nrfm: generating ${DONORS.toLocaleString()} donors and ${DONATIONS.toLocaleString()} donations …`);
    const generated = await timed(() => generate(owner));
    console.log(`generated in ${generated.seconds.toFixed(1)} s`);
    const clientId = generated.value;

    await withClient(orm.em, clientId, (em) => em.execute(AGGREGATE_ONLY, [clientId, AS_OF])); // warm the cache for both
    const aggregate = median(await repeat(3, () => timed(() => withClient(orm.em, clientId, (em) => em.execute(AGGREGATE_ONLY, [clientId, AS_OF])))));
    const firstScoring = await timed(() => withClient(orm.em, clientId, (em) => recalculateRfm(em, clientId, new Date(AS_OF))));
    // Three nightly runs, each a day later: only donors whose scores moved are rewritten.
    const nights = await repeat(3, async (night) => {
      await owner.query('vacuum analyze donors'); // as autovacuum would between two nightly runs
      const asOf = new Date(Date.parse(AS_OF) + (night + 1) * 86_400_000);
      return timed(() => withClient(orm.em, clientId, (em) => recalculateRfm(em, clientId, asOf)));
    });
    const recalculation = median(nights);
    // The write floor: touching every donor row once (new row versions in the heap and all 12 indexes of
    // donors, three of them GIN), with nothing to compute. Recalculation is roughly aggregate + this.
    const rewrite = await timed(() => withClient(orm.em, clientId, (em) => em.execute('update donors set rfm_last_calculated = now() where client_id = ?', [clientId], 'run')));
    const seed = await timed(() => seedWay(owner, clientId));

    const scored = await owner.query<{ segment: string | null; donors: number }>(
      'select rfm_segment as segment, count(*)::int as donors from donors group by 1 order by 2 desc');
    const perDonorSetMs = (firstScoring.seconds * 1000) / DONORS;
    const perDonorSeedMs = (seed.seconds * 1000) / SUBSET;
    const seedExtrapolated = (perDonorSeedMs * DONORS) / 1000;
    console.log(`
rfm: one client, ${DONORS.toLocaleString()} donors, ${DONATIONS.toLocaleString()} donations (PostgreSQL ${(await owner.query('show server_version')).rows[0].server_version})
  bare aggregate scan (GROUP BY only)      ${aggregate.seconds.toFixed(2)} s   (median of 3)
  nightly recalculation (one UPDATE)       ${recalculation.seconds.toFixed(2)} s   (median of 3 nights: ${nights.map((n) => `${n.seconds.toFixed(2)} s, ${n.value.toLocaleString()} donors changed`).join('; ')})
  nightly recalculation / aggregate        ${(recalculation.seconds / aggregate.seconds).toFixed(2)}x   (target: within 3x)
  first scoring of never-scored donors     ${firstScoring.seconds.toFixed(2)} s   (${firstScoring.value.toLocaleString()} donors written, ${(perDonorSetMs * 1000).toFixed(1)} µs per donor)
  first scoring / aggregate                ${(firstScoring.seconds / aggregate.seconds).toFixed(2)}x
  bare rewrite of every donor row          ${rewrite.seconds.toFixed(2)} s   (the write floor of a first scoring)
  first scoring / (aggregate + rewrite)    ${(firstScoring.seconds / (aggregate.seconds + rewrite.seconds)).toFixed(2)}x
  seed's per-donor functions, ${SUBSET.toLocaleString()} donors  ${seed.seconds.toFixed(2)} s   (${(perDonorSeedMs * 1000).toFixed(1)} µs per donor)
  seed's way extrapolated to all donors    ${seedExtrapolated.toFixed(1)} s
  speed-up of the set-based first scoring  ${(seedExtrapolated / firstScoring.seconds).toFixed(1)}x
  speed-up of the nightly run              ${(seedExtrapolated / recalculation.seconds).toFixed(1)}x   (the seed rewrote every donor every night)
  segments: ${scored.rows.map((row) => `${row.segment ?? 'none'} ${row.donors.toLocaleString()}`).join(', ')}`);
  } finally {
    await orm.close();
    await owner.end();
    if (!process.env.BENCH_RFM_KEEP) await admin(`drop database if exists ${DATABASE} with (force)`);
  }
}

/**
 * One client's donors and gifts, set-based. Gifts per donor are skewed (a few donors give often, many
 * once or never), amounts mostly small, dates over two years, and some gifts failed or refunded.
 */
async function generate(owner: Pool): Promise<string> {
  const { rows: [{ id: clientId }] } = await owner.query<{ id: string }>(`insert into clients (name) values ('RFM bench') returning id`);
  await owner.query(`insert into donors (client_id, email, first_name, last_name)
                     select $1, 'donor' || g || '@bench.test', 'Donor', 'No' || g from generate_series(1, $2::int) g`, [clientId, DONORS]);
  await owner.query('create table bench_donor_numbers as select id, row_number() over (order by id) as n from donors');
  await owner.query('create unique index on bench_donor_numbers (n)');
  // Bulk load only: the donor ids come from the donors table itself, so the per-row foreign-key checks are skipped.
  await owner.query(`set session_replication_role = replica`);
  await owner.query(`
    insert into donations (client_id, donor_id, amount, status, donated_at)
    select $1, d.id, gift.amount, gift.status, gift.donated_at
      from (select 1 + floor(power(random(), 2) * $4::int)::int as n,
                   round((5 + 400 * power(random(), 3))::numeric, 2) as amount,
                   case when random() < 0.92 then 'succeeded' when random() < 0.6 then 'refunded' else 'failed' end as status,
                   $3::timestamptz - random() * interval '730 days' as donated_at
              from generate_series(1, $2::int)) gift
      join bench_donor_numbers d on d.n = gift.n`, [clientId, DONATIONS, AS_OF, DONORS]);
  await owner.query(`set session_replication_role = origin`);
  await owner.query(`create table bench_subset as select id from donors order by random() limit ${SUBSET}`);
  await owner.query('vacuum analyze donors');
  await owner.query('vacuum analyze donations');
  return clientId;
}

async function seedWay(owner: Pool, clientId: string): Promise<number> {
  await owner.query(SEED_FUNCTIONS);
  await owner.query(`select set_config('bench.as_of', $1, false)`, [AS_OF]);
  return (await owner.query(SEED_UPDATE, [clientId])).rowCount ?? 0;
}

async function repeat<T>(times: number, run: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let index = 0; index < times; index++) results.push(await run(index));
  return results;
}

function median<T extends { seconds: number }>(runs: T[]): T {
  return [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)];
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - started) / 1000 };
}

async function admin(sql: string): Promise<void> {
  const pool = new Pool({ connectionString: `${ADMIN}/postgres`, max: 1 });
  try { await pool.query(sql); } finally { await pool.end(); }
}

async function freshDatabase(): Promise<string> {
  await admin(`drop database if exists ${DATABASE} with (force)`);
  await admin(`create database ${DATABASE}`);
  const url = `${ADMIN}/${DATABASE}`;
  await migrate(url, 'up');
  return url;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
