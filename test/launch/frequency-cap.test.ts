import { overCap } from '../../activities/delivery/frequency-cap';
import { withClient } from '../../domain/db/tenancy';
import { type CampaignHarness, eventually, startCampaignHarness } from '../support/campaign-harness';
import { type ApiHarness, insertKey, startApi } from '../api/support';

/**
 * Issue 14 item 5: a client's cap on marketing email per donor per rolling window, across its campaigns,
 * enforced at send time. Two campaigns activated together send their first touchpoint to the same donors
 * at the same moment, on the real Temporal worker (eight delivery lanes each) and PostgreSQL.
 */
describe('frequency cap across campaigns', () => {
  let h: CampaignHarness;
  let api: ApiHarness;
  let clientId: string;
  let key: string;
  let donors: string[];

  beforeAll(async () => {
    h = await startCampaignHarness({ batchSize: 5 });
    api = await startApi({ db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue: h.temporal.taskQueue } });
    clientId = await h.fixtures.client('Capped Org');
    key = await insertKey(h.fixtures, clientId);
    donors = await h.fixtures.donors(clientId, Array.from({ length: 30 }, (_, i) => ({ email: `donor-${i}@donors.test` })));
  });
  afterAll(async () => {
    await api?.close();
    await h?.close();
  });

  it('is a client setting: shown, changed, cleared, and validated', async () => {
    const patch = (payload: unknown) => api.call(key, { method: 'PATCH', url: `/v1/clients/${clientId}`, payload });
    expect((await api.call(key, { url: `/v1/clients/${clientId}` })).json().frequency_cap).toBeNull();
    expect((await patch({ frequency_cap: { max_messages: 3, window_days: 7 } })).json().frequency_cap).toEqual({ max_messages: 3, window_days: 7 });
    expect((await patch({ frequency_cap: null })).json().frequency_cap).toBeNull();
    for (const [cap, field] of [
      [{ max_messages: 0, window_days: 7 }, 'body.frequency_cap.max_messages'],
      [{ max_messages: 2, window_days: 1.5 }, 'body.frequency_cap.window_days'],
      [{ max_messages: 2 }, 'body.frequency_cap.window_days'],
    ] as const) {
      const refused = await patch({ frequency_cap: cap });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });

  it('makes a second claim on the same donor wait for the first and count it (two transactions, same instant)', async () => {
    const [a, b] = [await h.fixtures.track15Campaign(clientId, { name: 'race a' }), await h.fixtures.track15Campaign(clientId, { name: 'race b' })];
    const donor = donors[29];
    // A ledger row is a recipient's: the donor is in both campaigns' audiences.
    await h.fixtures.query(`insert into campaign_recipients (campaign_id, donor_id, client_id, recipient_group) select unnest($1::uuid[]), $2, $3, 'test'`,
      [[a, b], donor, clientId]);
    const cap = { messages: 1, windowDays: 7 };
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => { releaseFirst = resolve; });
    let firstChecked!: () => void;
    const firstHasChecked = new Promise<void>((resolve) => { firstChecked = resolve; });
    const first = withClient(h.orm.em, clientId, async (em) => {
      const capped = await overCap(em, clientId, [donor], cap);
      await em.execute(`insert into campaign_deliveries (campaign_id, step_number, donor_id, client_id, status) values (?, 1, ?, ?, 'pending')`, [a, donor, clientId]);
      firstChecked();
      await firstHolds;
      return capped;
    });
    await firstHasChecked;
    let secondDone = false;
    const second = withClient(h.orm.em, clientId, (em) => overCap(em, clientId, [donor], cap)).finally(() => { secondDone = true; });
    // The second claim is blocked on the donor row while the first is uncommitted.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(secondDone).toBe(false);
    releaseFirst();
    expect([...await first]).toEqual([]);
    expect([...await second]).toEqual([donor]);
    await h.fixtures.query('delete from campaign_recipients where campaign_id = any($1::uuid[])', [[a, b]]);
  });

  it('lets only one of two campaigns sending at the same instant reach each donor, and skips the other with frequency_cap', async () => {
    expect((await api.call(key, { method: 'PATCH', url: `/v1/clients/${clientId}`, payload: { frequency_cap: { max_messages: 2, window_days: 7 } } })).statusCode).toBe(200);
    // An earlier campaign: donor 0 had mail eight days ago (outside the window), donor 1 yesterday (inside).
    const earlier = await h.fixtures.track15Campaign(clientId, { name: 'earlier' });
    await h.fixtures.query(`insert into campaign_recipients (campaign_id, donor_id, client_id, recipient_group) select $1, unnest($2::uuid[]), $3, 'test'`,
      [earlier, [donors[0], donors[1]], clientId]);
    await h.fixtures.query(
      `insert into campaign_deliveries (campaign_id, step_number, donor_id, client_id, status, created_at)
       values ($1, 1, $2, $4, 'sent', now() - interval '8 days'), ($1, 2, $3, $4, 'sent', now() - interval '1 day')`,
      [earlier, donors[0], donors[1], clientId]);
    await h.fixtures.query(`update campaigns set track15_stage = 'completed' where id = $1`, [earlier]);

    const campaigns = [
      await h.fixtures.track15Campaign(clientId, { name: 'first', dayLengthSeconds: 120, controlShare: 0 }),
      await h.fixtures.track15Campaign(clientId, { name: 'second', dayLengthSeconds: 120, controlShare: 0 }),
    ];
    await Promise.all(campaigns.map((campaignId) => h.activate(clientId, campaignId)));

    const rows = await eventually(async () => {
      const ledger = await h.fixtures.query<{ campaign_id: string; donor_id: string; status: string; skip_reason: string | null }>(
        `select campaign_id, donor_id, status, skip_reason from campaign_deliveries
          where campaign_id = any($1::uuid[]) and step_number = 1`, [campaigns]);
      return ledger.length === 60 && ledger.every((row) => row.status !== 'pending') ? ledger : undefined;
    }, 45_000, 'step 1 of both campaigns settled');

    const byDonor = new Map<string, string[]>();
    for (const row of rows) byDonor.set(row.donor_id, [...(byDonor.get(row.donor_id) ?? []), row.status === 'sent' ? 'sent' : `skipped:${row.skip_reason}`]);
    // Donor 1 had one email in the window: only one more fits, so exactly one campaign reaches it.
    expect(byDonor.get(donors[1])!.sort()).toEqual(['sent', 'skipped:frequency_cap']);
    // Everyone else had none in the window: both campaigns fit under a cap of two.
    for (const donorId of donors.filter((id) => id !== donors[1])) expect(byDonor.get(donorId)).toEqual(['sent', 'sent']);

    // Every donor now has two in the window. With a cap of three, two more campaigns at once: one each.
    const third = await h.fixtures.track15Campaign(clientId, { name: 'third', dayLengthSeconds: 120, controlShare: 0 });
    const fourth = await h.fixtures.track15Campaign(clientId, { name: 'fourth', dayLengthSeconds: 120, controlShare: 0 });
    await h.fixtures.query(`update clients set frequency_cap_messages = 3 where id = $1`, [clientId]);
    await Promise.all([third, fourth].map((campaignId) => h.activate(clientId, campaignId)));
    const more = await eventually(async () => {
      const ledger = await h.fixtures.query<{ donor_id: string; status: string; skip_reason: string | null }>(
        `select donor_id, status, skip_reason from campaign_deliveries where campaign_id = any($1::uuid[]) and step_number = 1`, [[third, fourth]]);
      return ledger.length === 60 && ledger.every((row) => row.status !== 'pending') ? ledger : undefined;
    }, 45_000, 'step 1 of the next two campaigns settled');
    const sentPerDonor = new Map<string, number>();
    for (const row of more) if (row.status === 'sent') sentPerDonor.set(row.donor_id, (sentPerDonor.get(row.donor_id) ?? 0) + 1);
    for (const donorId of donors) expect([donorId, sentPerDonor.get(donorId) ?? 0]).toEqual([donorId, 1]);
    expect(more.filter((row) => row.status === 'skipped').every((row) => row.skip_reason === 'frequency_cap')).toBe(true);

    for (const campaignId of [...campaigns, third, fourth]) {
      await api.call(key, { method: 'POST', url: `/v1/clients/${clientId}/campaigns/${campaignId}/stop`, payload: { reason: 'test over' } });
    }
    await Promise.all([...campaigns, third, fourth].map((campaignId) => h.result(campaignId)));
  }, 120_000);
});
