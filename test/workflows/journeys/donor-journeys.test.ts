import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { ensureJourneyLapseSchedule } from '../../../workflows/schedules';
import { type ApiHarness, STRIPE_WEBHOOK_SECRET, startApi } from '../../api/support';
import { type CampaignHarness, eventually, startCampaignHarness } from '../../support/campaign-harness';
import { shuffled, stripeEvent, stripeSignature } from '../../support/provider-signing';

const DAY_MS = 86_400_000;
const id = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;

interface Transition { from_stage: string | null; to_stage: string; at: string; cause: string; donation_id: string | null; campaign_id: string | null }

/**
 * Issue 18 item 1: the journeys the product keeps. Gifts recorded from Stripe's signed webhooks (three
 * deliveries each, shuffled) move a donor once; concurrent gifts of one donor each move them once, in
 * turn; a refund of the only gift returns the donor to lead; the Temporal Schedule's sweep lapses donors
 * after the client's lapse window (one day here, gifts dated days back) and a later gift reactivates
 * them; the analytics route's figures match what the journeys and gifts say, computed here.
 */
describe('donor journeys', () => {
  let h: CampaignHarness;
  let api: ApiHarness;
  let client: { id: string; key: string };
  let campaignId: string;
  const scheduleId = `journey-lapse-test-${randomBytes(4).toString('hex')}`;

  const deliver = (event: object) => {
    const payload = JSON.stringify(event);
    return api.request({
      method: 'POST', url: '/webhooks/stripe', payload,
      headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature(payload, STRIPE_WEBHOOK_SECRET) },
    });
  };
  /** Each event three times, shuffled, all applied. */
  const deliverThrice = async (events: { id: string }[], seed: number) => {
    for (const event of shuffled([...events, ...events, ...events], seed)) expect((await deliver(event)).statusCode).toBe(200);
    await Promise.all(events.map((event) => h.temporal.client.workflow.getHandle(`stripe-event-${event.id}`).result()));
  };
  /** A one-time gift through a give link of `step`, charged `daysAgo` days ago: its PaymentIntent's success and its Checkout Session. */
  const gift = (donorId: string, options: { step?: number; daysAgo?: number; cents?: number } = {}) => {
    const intent = id('pi');
    const created = Math.floor((Date.now() - (options.daysAgo ?? 0) * DAY_MS) / 1000);
    const metadata = { purpose: 'gift', client_id: client.id, campaign_id: campaignId, step_number: String(options.step ?? 11), donor_id: donorId };
    const amount = options.cents ?? 5000;
    const events = [
      { ...stripeEvent('payment_intent.succeeded', { id: intent, object: 'payment_intent', status: 'succeeded', amount, amount_received: amount, currency: 'usd', metadata }), created },
      { ...stripeEvent('checkout.session.completed', {
        id: id('cs_test'), object: 'checkout.session', metadata, currency: 'usd', mode: 'payment', payment_status: 'paid', status: 'complete',
        payment_intent: intent, amount_total: amount, customer_details: { email: null, name: null },
      }), created },
    ];
    return { intent, events };
  };
  const give = async (donorId: string, options: Parameters<typeof gift>[1] = {}, seed = 1) => {
    const { intent, events } = gift(donorId, options);
    await deliverThrice(events, seed);
    const [row] = await api.fixtures.query<{ id: string }>('select id from donations where stripe_payment_intent_id = $1', [intent]);
    return { intent, donationId: row.id };
  };
  const refund = (intent: string) => deliverThrice([stripeEvent('charge.refunded', {
    id: id('ch'), object: 'charge', payment_intent: intent, amount: 5000, amount_refunded: 5000, refunded: true, currency: 'usd',
    metadata: { purpose: 'gift', client_id: client.id },
  })], 3);
  const journey = async (donorId: string, query = '') => {
    const answer = await api.call(client.key, { url: `/v1/clients/${client.id}/donors/${donorId}/journey${query}` });
    expect(answer.statusCode).toBe(200);
    return answer.json();
  };
  const moves = async (donorId: string) => (await journey(donorId, '?limit=200')).items.map((t: Transition) => [t.from_stage, t.to_stage, t.cause]);
  const newDonor = async (email: string) => {
    const created = await api.call(client.key, { method: 'POST', url: `/v1/clients/${client.id}/donors`, payload: { email, source: 'referral' } });
    expect(created.statusCode).toBe(201);
    return created.json().id as string;
  };
  /** As if the donor had been created `days` ago (their creation and its transition moved back). */
  const createdDaysAgo = async (donorIds: string[], days: number) => {
    await api.fixtures.query(`update donors set created_at = now() - make_interval(days => $2), stage_entered_at = now() - make_interval(days => $2)
                               where id = any($1)`, [donorIds, days]);
    await api.fixtures.query(`update donor_journey_transitions set at = now() - make_interval(days => $2) where donor_id = any($1)`, [donorIds, days]);
  };
  /** Runs the lapse sweep as the Schedule does, and answers its workflow's result. */
  const sweep = async () => {
    const schedule = h.temporal.client.schedule.getHandle(scheduleId);
    const before = (await schedule.describe()).info.recentActions.length;
    await schedule.trigger();
    const started = await eventually(async () => {
      const actions = (await schedule.describe()).info.recentActions;
      return actions.length > before ? actions.at(-1) : undefined;
    }, 15_000, 'the scheduled sweep');
    return h.temporal.client.workflow.getHandle(started.action.workflow.workflowId, started.action.workflow.firstExecutionRunId).result();
  };

  beforeAll(async () => {
    h = await startCampaignHarness();
    api = await startApi({ db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue: h.temporal.taskQueue } });
    client = await api.client('Journey Food Bank');
    campaignId = await api.fixtures.track15Campaign(client.id);
    await api.fixtures.query(`update track15_narrative_steps set channel = 'sms' where campaign_id = $1 and step_number = 12`, [campaignId]);
    await ensureJourneyLapseSchedule(h.temporal.client, h.temporal.taskQueue, scheduleId);
  });
  afterAll(async () => {
    await h?.temporal.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    await api?.close();
    await h?.close();
  });

  it('a new donor is a lead; gifts delivered three times each move them once: new donor, then active, then no further move', async () => {
    const ada = await newDonor('ada@journeys.test');
    expect(await moves(ada)).toEqual([[null, 'lead', 'created']]);

    const first = await give(ada, { step: 12, daysAgo: 2 }, 5);
    const after = await journey(ada);
    expect(after).toMatchObject({
      donor_id: ada, stage: 'new_donor', next_offset: null,
      first_gift: { donation_id: first.donationId, campaign_id: campaignId, step_number: 12, source: 'sms_campaign' },
      items: [
        { from_stage: null, to_stage: 'lead', cause: 'created', donation_id: null },
        { from_stage: 'lead', to_stage: 'new_donor', cause: 'gift', donation_id: first.donationId, campaign_id: campaignId },
      ],
    });
    // The first gift is dated at its charge (the event's created), not when the webhook came; charged before the donor was
    // created here, its move is dated at the creation: a transition is never dated before the one before it.
    expect(Math.abs(Date.parse(after.first_gift.at) - (Date.now() - 2 * DAY_MS))).toBeLessThan(60_000);
    expect(after.items[1].at).toBe(after.items[0].at);

    const second = await give(ada, {}, 6);
    await give(ada, {}, 7);
    expect(await moves(ada)).toEqual([[null, 'lead', 'created'], ['lead', 'new_donor', 'gift'], ['new_donor', 'active', 'gift']]);
    const final = await journey(ada);
    expect(final.items[2].donation_id).toBe(second.donationId);
    expect(final).toMatchObject({ stage: 'active', first_gift: { donation_id: first.donationId, source: 'sms_campaign' } });
    // Paged like every list, oldest first.
    const firstPage = await journey(ada, '?limit=2');
    expect([firstPage.items.length, firstPage.next_offset]).toEqual([2, 2]);
    expect((await journey(ada, '?limit=2&offset=2')).items).toEqual(final.items.slice(2));
  });

  it('gifts of one donor at once, from Stripe and in racing transactions, move them once each, in turn', async () => {
    const bo = await newDonor('bo@journeys.test');
    const gifts = [gift(bo), gift(bo), gift(bo)];
    await Promise.all(gifts.map((g, i) => deliverThrice(g.events, 10 + i)));
    expect(await moves(bo)).toEqual([[null, 'lead', 'created'], ['lead', 'new_donor', 'gift'], ['new_donor', 'active', 'gift']]);

    // Two transactions insert a gift of one lead each; the second waits for the first's donor lock and sees its move.
    const [cy] = await api.fixtures.donors(client.id, [{ email: 'cy@journeys.test' }]);
    const pool = new Pool({ connectionString: h.db.ownerUrl, max: 2 });
    const [one, two] = [await pool.connect(), await pool.connect()];
    try {
      const insert = `insert into donations (client_id, donor_id, amount) values ($1, $2, 10) returning id`;
      await one.query('begin');
      await two.query('begin');
      const { rows: [firstGift] } = await one.query(insert, [client.id, cy]);
      const racing = two.query(insert, [client.id, cy]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const waiting = await api.fixtures.query<{ waiting: boolean }>(
        `select count(*) > 0 as waiting from pg_stat_activity where wait_event_type = 'Lock' and query like 'insert into donations%'`);
      expect(waiting).toEqual([{ waiting: true }]);
      await one.query('commit');
      const { rows: [secondGift] } = await racing;
      await two.query('commit');
      const rows = await api.fixtures.query<{ from_stage: string | null; to_stage: string; donation_id: string | null }>(
        'select from_stage, to_stage, donation_id from donor_journey_transitions where donor_id = $1 order by sequence', [cy]);
      expect(rows).toEqual([
        { from_stage: null, to_stage: 'lead', donation_id: null },
        { from_stage: 'lead', to_stage: 'new_donor', donation_id: firstGift.id },
        { from_stage: 'new_donor', to_stage: 'active', donation_id: secondGift.id },
      ]);
    } finally {
      one.release();
      two.release();
      await pool.end();
    }
  });

  it('a refund of the only gift makes the donor a lead again, without attribution; a refund that leaves gifts moves nothing', async () => {
    const dee = await newDonor('dee@journeys.test');
    const only = await give(dee);
    await refund(only.intent);
    expect(await moves(dee)).toEqual([[null, 'lead', 'created'], ['lead', 'new_donor', 'gift'], ['new_donor', 'lead', 'refund']]);
    expect(await journey(dee)).toMatchObject({ stage: 'lead', last_gift_at: null, first_gift: { at: null, donation_id: null, source: null } });
    // Their next gift is their first.
    const next = await give(dee, { step: 11 });
    expect(await journey(dee)).toMatchObject({ stage: 'new_donor', first_gift: { donation_id: next.donationId, source: 'email_campaign' } });

    const eve = await newDonor('eve@journeys.test');
    const firstOfTwo = await give(eve, { daysAgo: 3, step: 12 });
    const second = await give(eve, { daysAgo: 1, step: 11 });
    await refund(firstOfTwo.intent);
    const read = await journey(eve);
    expect(read.items.map((t: Transition) => t.to_stage)).toEqual(['lead', 'new_donor', 'active']);
    // The attribution follows the remaining gifts.
    expect(read).toMatchObject({ stage: 'active', first_gift: { donation_id: second.donationId, source: 'email_campaign' } });
  });

  it('the daily Schedule lapses donors past the client\'s lapse window, once, dated when the window ran out; a later gift reactivates them', async () => {
    await ensureJourneyLapseSchedule(h.temporal.client, h.temporal.taskQueue, scheduleId); // a second worker start changes nothing
    const described = await h.temporal.client.schedule.getHandle(scheduleId).describe();
    expect(described.spec.calendars).toEqual([expect.objectContaining({ hour: [{ start: 2, end: 2, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] })]);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'journeyLapseWorkflow', taskQueue: h.temporal.taskQueue });

    const patched = await api.call(client.key, { method: 'PATCH', url: `/v1/clients/${client.id}`, payload: { lapse_after_days: 1 } });
    expect([patched.statusCode, patched.json().lapse_after_days]).toEqual([200, 1]);
    const fay = await newDonor('fay@journeys.test');
    const gus = await newDonor('gus@journeys.test');
    const hal = await newDonor('hal@journeys.test');
    await createdDaysAgo([fay, gus, hal], 10);
    await give(fay, { daysAgo: 3 });
    await give(gus, { daysAgo: 3.5 });
    await give(gus, { daysAgo: 3 }); // within the day: active
    await give(hal, { daysAgo: 0.5 });
    const lapsedBefore = (await api.fixtures.query(`select id from donors where client_id = $1 and stage = 'lapsed'`, [client.id])).length;

    const first = await sweep();
    // Every donor of this client whose last gift is a day old or more, and no other (this suite's database has one client).
    const lapsedNow = await api.fixtures.query<{ id: string }>(`select id from donors where client_id = $1 and stage = 'lapsed'`, [client.id]);
    expect(first.donorsLapsed).toBe(lapsedNow.length - lapsedBefore);
    expect(lapsedNow.map((row) => row.id)).toEqual(expect.arrayContaining([fay, gus]));
    expect(lapsedNow.map((row) => row.id)).not.toContain(hal);
    expect(await sweep()).toMatchObject({ donorsLapsed: 0 });

    const fayJourney = await journey(fay);
    expect(fayJourney.items.map((t: Transition) => [t.from_stage, t.to_stage, t.cause])).toEqual(
      [[null, 'lead', 'created'], ['lead', 'new_donor', 'gift'], ['new_donor', 'lapsed', 'lapse']]);
    expect(Date.parse(fayJourney.items[2].at)).toBe(Date.parse(fayJourney.last_gift_at) + DAY_MS);
    expect((await journey(gus)).items.map((t: Transition) => t.to_stage)).toEqual(['lead', 'new_donor', 'active', 'lapsed']);

    const back = await give(fay);
    await give(fay);
    expect((await journey(fay)).items.slice(3).map((t: Transition) => [t.from_stage, t.to_stage, t.cause, t.donation_id])).toEqual(
      [['lapsed', 'reactivated', 'gift', back.donationId], ['reactivated', 'active', 'gift', expect.any(String)]]);

    // A gift that comes after the window ran out but before any sweep noticed records the lapse itself, dated the same way.
    const ida = await newDonor('ida@journeys.test');
    await createdDaysAgo([ida], 10);
    await give(ida, { daysAgo: 3 });
    await give(ida, { daysAgo: 0 });
    const idaJourney = await journey(ida);
    expect(idaJourney.items.map((t: Transition) => [t.to_stage, t.cause])).toEqual([['lead', 'created'], ['new_donor', 'gift'], ['lapsed', 'lapse'], ['reactivated', 'gift']]);
    expect(Date.parse(idaJourney.items[2].at)).toBe(Date.parse(idaJourney.items[1].at) + DAY_MS);
  });

  it('the analytics answer per stage and source what the journeys and gifts say, computed here; since keeps a cohort', async () => {
    // Two leads from long ago, one of them converted a week later; one donor's stage entered 40 days ago.
    const [old, oldGiver] = await api.fixtures.donors(client.id, [{ email: 'old@journeys.test' }, { email: 'old-giver@journeys.test' }]);
    await createdDaysAgo([old, oldGiver], 60);
    await api.fixtures.query(`update clients set lapse_after_days = 365 where id = $1`, [client.id]);
    await give(oldGiver, { daysAgo: 53, step: 12 });

    const answer = await api.call(client.key, { url: `/v1/clients/${client.id}/journeys/analytics` });
    expect(answer.statusCode).toBe(200);
    const body = answer.json();
    expect(body).toMatchObject({ lapse_after_days: 365, since: null });

    // Independently: each donor's stage and its time from their last transition, their first gift from the donations.
    const donors = await api.fixtures.query<{ id: string; source: string; created_at: Date }>(
      'select id, source, created_at from donors where client_id = $1 and is_active', [client.id]);
    const asOf = Date.parse(body.as_of);
    const expected = new Map<string, { stage: string; source: string; count: number; count_30d: number; days: number[] }>();
    for (const donor of donors) {
      const { items } = await journey(donor.id, '?limit=200');
      const last = items.at(-1) as Transition;
      const gifts = await api.fixtures.query<{ donated_at: Date; campaign_id: string | null; step_number: number | null }>(
        `select donated_at, campaign_id, step_number from donations where donor_id = $1 and status = 'succeeded' order by donated_at, id limit 1`, [donor.id]);
      const firstGift = gifts[0];
      const channel = firstGift ? (await api.fixtures.query<{ channel: string }>(
        'select channel from track15_narrative_steps where campaign_id = $1 and step_number = $2', [firstGift.campaign_id, firstGift.step_number]))[0]?.channel : undefined;
      const source = !firstGift ? donor.source : channel === 'sms' ? 'sms_campaign' : channel === 'email' ? 'email_campaign' : donor.source;
      const key = `${last.to_stage}/${source}`;
      const group = expected.get(key) ?? { stage: last.to_stage, source, count: 0, count_30d: 0, days: [] };
      group.count += 1;
      if (asOf - Date.parse(last.at) < 30 * DAY_MS) group.count_30d += 1;
      if (firstGift && firstGift.donated_at.getTime() >= donor.created_at.getTime()) group.days.push((firstGift.donated_at.getTime() - donor.created_at.getTime()) / DAY_MS);
      expected.set(key, group);
    }
    const stageOrder = ['lead', 'new_donor', 'active', 'lapsed', 'reactivated'];
    const computed = [...expected.values()]
      .sort((a, b) => stageOrder.indexOf(a.stage) - stageOrder.indexOf(b.stage) || a.source.localeCompare(b.source))
      .map(({ days, ...group }) => ({
        ...group, converted: days.length,
        avg_days_to_conversion: days.length ? Math.round((days.reduce((sum, d) => sum + d, 0) / days.length) * 100) / 100 : null,
      }));
    expect(body.groups).toEqual(computed);
    // The figures are not trivial: several stages and sources, a lead outside the 30 days, a week-long conversion.
    expect(new Set(computed.map((g) => g.stage)).size).toBeGreaterThanOrEqual(4);
    expect(computed.find((g) => g.stage === 'lead' && g.source === 'website')).toMatchObject({ count_30d: expect.any(Number) });
    expect(computed.some((g) => g.count > g.count_30d)).toBe(true);
    expect(computed.find((g) => g.source === 'sms_campaign' && g.stage === 'new_donor')?.avg_days_to_conversion).toBeGreaterThan(6);

    // since: only donors created since then (the two old ones are left out).
    const since = new Date(Date.now() - 30 * DAY_MS).toISOString();
    const cohort = (await api.call(client.key, { url: `/v1/clients/${client.id}/journeys/analytics?since=${encodeURIComponent(since)}` })).json();
    const total = (groups: { count: number }[]) => groups.reduce((sum, g) => sum + g.count, 0);
    expect([cohort.since, total(cohort.groups)]).toEqual([since, total(body.groups) - 2]);

    const bad = await api.call(client.key, { url: `/v1/clients/${client.id}/journeys/analytics?since=yesterday` });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(new Set(bad.json().errors.map((e: { field: string }) => e.field))).toEqual(new Set(['query.since']));
  });
});
