import { unsubscribeGroupId } from '../../activities/email/unsubscribe-groups';
import type { CampaignStatus } from '../../domain/campaigns/workflow-contract';
import { type CampaignHarness, eventually, startCampaignHarness } from '../support/campaign-harness';

/** SendGrid rate-limiting and failing for a while: every email still goes out, none twice, and waits honour Retry-After. */
describe('provider failures during a campaign', () => {
  let h: CampaignHarness;

  beforeAll(async () => { h = await startCampaignHarness({ batchSize: 25 }); });
  afterAll(async () => { await h?.close(); });

  it('retries 429 (after Retry-After) and 5xx until everything is delivered exactly once', async () => {
    const clientId = await h.fixtures.client('Faulty Provider Client');
    await h.fixtures.donors(clientId, [...Array(80)].map((_, i) => ({ email: `fault-${i}@donors.test`, first_name: `F${i}` })));
    const campaignId = await h.fixtures.track15Campaign(clientId, { dayLengthSeconds: 1, controlShare: 0 });

    // The client's unsubscribe group exists already (as after its first campaign), so the faults meet the sends.
    await unsubscribeGroupId(h.activityDeps, clientId, 'marketing');
    // Counted, not timed, faults: a window of time could close before a slow machine's first send.
    h.sink.failNext(4, { status: 429, retryAfterSeconds: 2 });
    await h.activate(clientId, campaignId);
    // Once the rate limit lifts, the provider errors for a few requests more.
    const rateLimited = () => h.sink.requests.filter((r) => r.path === '/v3/mail/send' && r.status === 429).length;
    const thenUnavailable = eventually(async () => (rateLimited() >= 4 ? true : undefined), 60_000, 'four rate-limited sends')
      .then(() => h.sink.failNext(3, { status: 503 }));
    const status = (await h.result(campaignId)) as CampaignStatus;
    await thenUnavailable;

    const sends = h.sink.requests.filter((r) => r.path === '/v3/mail/send');
    const limited = sends.filter((r) => r.status === 429);
    expect(limited).toHaveLength(4);
    expect(sends.filter((r) => r.status === 503)).toHaveLength(3);
    // The retry of a rate-limited request (the next one to the same first recipient) waited at least
    // the Retry-After it was given; lanes running side by side may send other requests meanwhile.
    const firstRecipient = (request: (typeof sends)[number]) =>
      (request.body as { personalizations: { to: { email: string }[] }[] }).personalizations[0].to[0].email;
    for (const rejected of limited) {
      const retry = sends.find((r) => r.at > rejected.at && firstRecipient(r) === firstRecipient(rejected));
      expect(retry).toBeDefined();
      expect(retry!.at - rejected.at).toBeGreaterThanOrEqual(1_900);
    }

    const deliveries = h.sink.deliveries().filter((d) => d.customArgs.campaign_id === campaignId);
    const keys = new Set(deliveries.map((d) => `${d.customArgs.step_number}/${d.customArgs.donor_id}`));
    expect(keys.size).toBe(deliveries.length);
    expect(deliveries).toHaveLength(80 * 15);
    const [{ pending, sent }] = await h.fixtures.query<{ pending: number; sent: number }>(
      `select count(*) filter (where status = 'pending')::int as pending, count(*) filter (where status = 'sent')::int as sent
         from campaign_deliveries where campaign_id = $1`, [campaignId]);
    expect({ pending, sent }).toEqual({ pending: 0, sent: 80 * 15 });
    expect(Object.values(status.steps).reduce((n, t) => n + t.sent, 0)).toBe(80 * 15);
  }, 120_000);

  it('fails only the rejected address when SendGrid answers 400 for one recipient', async () => {
    const clientId = await h.fixtures.client('Bad Address Client');
    await h.fixtures.donors(clientId, [...Array(10)].map((_, i) => ({ email: `addr-${i}@donors.test` })));
    h.sink.rejectAddresses(['addr-3@donors.test']);
    const campaignId = await h.fixtures.track15Campaign(clientId, { dayLengthSeconds: 1, controlShare: 0 });
    await h.activate(clientId, campaignId);
    await h.result(campaignId);

    const rows = await h.fixtures.query<{ email: string; status: string; failure_reason: string | null }>(
      `select d.email, l.status, l.failure_reason from campaign_deliveries l join donors d on d.id = l.donor_id
        where l.campaign_id = $1 and l.step_number = 1`, [campaignId]);
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(9);
    expect(rows.find((r) => r.email === 'addr-3@donors.test')).toMatchObject({ status: 'failed', failure_reason: expect.stringMatching(/valid address/) });
  }, 60_000);
});
