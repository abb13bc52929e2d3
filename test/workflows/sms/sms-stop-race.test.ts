import { campaignStatus, stopCampaign } from '../../../workflows/campaigns/lifecycle';
import { type ApiHarness, startApi } from '../../api/support';
import { type CampaignHarness, PUBLIC_BASE_URL, eventually, startCampaignHarness } from '../../support/campaign-harness';
import { zoneAt } from '../../support/fixtures';

/**
 * Issue 18 items 4 and 6: STOP racing a touchpoint that is already texting. Each lane claims its page of
 * recipients before it sends; Twilio answers slowly, so the claimed numbers wait their turn while their
 * owners text STOP through the signed webhook. The product never even asks Twilio to text a number after
 * its STOP was answered: the send-time check under the number's lock skips it (`sms_opted_out`). (Twilio
 * records a STOP before it calls the webhook, so a text that reaches it in between is refused with 21610,
 * as the sink does too: that delivery fails, which is no text either.)
 */
describe('STOP racing a running touchpoint', () => {
  let h: CampaignHarness;
  let api: ApiHarness;

  beforeAll(async () => {
    h = await startCampaignHarness({ batchSize: 50 });
    api = await startApi({ db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue: h.temporal.taskQueue } });
  });
  afterAll(async () => {
    await api?.close();
    await h?.close();
  });

  it('never texts a number after its STOP was answered, even when the touchpoint had claimed it already', async () => {
    const clientNumber = '+15005550020';
    const clientId = await h.fixtures.client('Racing Org');
    await h.fixtures.query('update clients set sms_from_number = $1 where id = $2', [clientNumber, clientId]);
    const phones = [...Array(32)].map((_, i) => `+1415555${String(4000 + i)}`);
    const ids = await h.fixtures.donors(clientId, phones.map((phone) => ({ phone })));
    // Early afternoon for every recipient, whenever the test runs (a fixed-offset zone).
    await h.fixtures.query('update donors set timezone = $1 where id = any($2::uuid[])', [zoneAt(14), ids]);
    await h.fixtures.query(
      `insert into notification_preferences (client_id, donor_id, category, sms_enabled) select $1, unnest($2::uuid[]), 'marketing', true`, [clientId, ids]);
    const campaignId = await h.fixtures.track15Campaign(clientId, { dayLengthSeconds: 12, controlShare: 0 });
    await h.fixtures.query(`update track15_narrative_steps set channel = 'sms' where campaign_id = $1 and step_number = 1`, [campaignId]);
    h.twilioSink.setLatency(400);

    await h.activate(clientId, campaignId);
    // Once the first texts are out, everyone not yet texted texts STOP.
    await eventually(async () => (h.twilioSink.messages().length > 0 ? true : undefined), 60_000, 'the first text');
    const texted = new Set(h.twilioSink.messages().map((m) => m.to));
    const stopped = new Map<string, number>();
    await Promise.all(phones.filter((phone) => !texted.has(phone)).map(async (phone) => {
      const answer = await h.twilioSink.inbound(`${PUBLIC_BASE_URL}/webhooks/twilio/sms`, { from: phone, to: clientNumber, body: 'STOP' }, { via: api.baseUrl });
      expect(answer.body).toMatch(/You are unsubscribed/);
      stopped.set(phone, Date.now());
    }));
    await eventually(async () => ((await campaignStatus(h.lifecycle, campaignId)).steps[1] ? true : undefined), 60_000, 'step 1');
    await stopCampaign(h.lifecycle, campaignId, 'seen enough');
    h.twilioSink.setLatency(0);

    // No request to text a number reached Twilio after its STOP was answered.
    const late = h.twilioSink.requests.filter((r) => r.method === 'POST' && stopped.has(r.form.To) && r.at > stopped.get(r.form.To)!);
    expect(late).toEqual([]);
    const rows = await h.fixtures.query<{ phone: string; status: string; skip_reason: string | null }>(
      `select d.phone, l.status, l.skip_reason from campaign_deliveries l join donors d on d.id = l.donor_id where l.campaign_id = $1 and l.step_number = 1`, [campaignId]);
    expect(rows).toHaveLength(phones.length);
    const failures = await h.fixtures.query<{ reason: string }>(
      `select failure_reason as reason from campaign_deliveries where campaign_id = $1 and status = 'failed'`, [campaignId]);
    expect(failures.every((f) => f.reason.startsWith('Twilio 21610:'))).toBe(true);
    for (const row of rows) {
      if (row.status === 'sent') expect(h.twilioSink.messages().some((m) => m.to === row.phone)).toBe(true);
      else if (row.status !== 'failed') expect(row).toMatchObject({ status: 'skipped', skip_reason: 'sms_opted_out' });
    }
    // Some of those skipped had been claimed before their STOP arrived: the check at send time caught them.
    expect(rows.filter((row) => row.skip_reason === 'sms_opted_out').length).toBeGreaterThan(0);
    expect(stopped.size).toBeGreaterThan(0);
  }, 120_000);
});
