import { smsSegments } from '../../../domain/sms';
import { campaignStatus, stopCampaign } from '../../../workflows/campaigns/lifecycle';
import { type CampaignHarness, eventually, startCampaignHarness } from '../../support/campaign-harness';
import { LONG_MESSAGE, zoneAt } from '../../support/fixtures';

/**
 * Issue 18 item 2 on the real Temporal server, PostgreSQL, the SendGrid sink and the Twilio sink, through the
 * real `twilio` SDK: an SMS step is a text, not an email; only to a valid phone with SMS consent, never to a
 * number that opted out; once per donor through provider faults; its segments costed against the budget.
 */
describe('SMS steps', () => {
  let h: CampaignHarness;
  let clientId: string;
  const from = '+15005550006';

  beforeAll(async () => {
    h = await startCampaignHarness({ batchSize: 3 });
    clientId = await h.fixtures.client('Texting Org');
    await h.fixtures.query('update clients set sms_from_number = $1 where id = $2', [from, clientId]);
  });
  afterAll(async () => { await h?.close(); });

  /** Donors in a zone where it is early afternoon now, each with an SMS consent unless `consent` is false. */
  async function donors(rows: { key: string; phone: string | null; email?: string; consent?: boolean }[]): Promise<Map<string, string>> {
    const ids = await h.fixtures.donors(clientId, rows.map((r) => ({ email: r.email ?? `${r.key}-${Date.now()}@donors.test`, phone: r.phone ?? undefined, first_name: r.key })));
    await h.fixtures.query('update donors set timezone = $1 where id = any($2::uuid[])', [zoneAt(14), ids]);
    const consenting = ids.filter((_, i) => rows[i].consent !== false);
    await h.fixtures.query(
      `insert into notification_preferences (client_id, donor_id, category, sms_enabled) select $1, unnest($2::uuid[]), 'marketing', true`, [clientId, consenting]);
    return new Map(rows.map((r, i) => [r.key, ids[i]]));
  }

  /** A campaign whose step 1 is a text; it runs until step 1 is tallied, then stops. */
  async function runTextStep(options: { budgetCost?: number } = {}): Promise<string> {
    const campaignId = await h.fixtures.track15Campaign(clientId, { dayLengthSeconds: 12, controlShare: 0 });
    await h.fixtures.query(`update track15_narrative_steps set channel = 'sms', message = $2 where campaign_id = $1 and step_number = 1`, [campaignId, LONG_MESSAGE]);
    if (options.budgetCost !== undefined) {
      const [budget] = await h.fixtures.query<{ id: string }>(
        `insert into budgets (client_id, name, amount, cost_per_message) values ($1, 'Texts', 100, $2) returning id`, [clientId, options.budgetCost]);
      await h.fixtures.query(`insert into campaign_profile_usage (client_id, campaign_id, budget_id, usage_type) values ($1, $2, $3, 'INDIVIDUAL')`,
        [clientId, campaignId, budget.id]);
    }
    await h.activate(clientId, campaignId);
    await eventually(async () => ((await campaignStatus(h.lifecycle, campaignId)).steps[1] ? true : undefined), 60_000, 'step 1');
    await stopCampaign(h.lifecycle, campaignId, 'seen enough');
    return campaignId;
  }

  const ledger = (campaignId: string) => h.fixtures.query<{ donor_id: string; status: string; skip_reason: string | null; channel: string; provider_message_id: string | null; sms_segments: number | null }>(
    'select donor_id, status, skip_reason, channel, provider_message_id, sms_segments from campaign_deliveries where campaign_id = $1 and step_number = 1', [campaignId]);

  it('texts through Twilio, never SendGrid, only a valid phone with SMS consent that has not opted out; segments are costed', async () => {
    const ids = await donors([
      { key: 'ada', phone: '+14155550101' },
      { key: 'bob', phone: '+14155550102', consent: false },
      { key: 'cy', phone: null },
      { key: 'dee', phone: '415-555-0104' },
      { key: 'eve', phone: '+14155550105' },
      { key: 'fay', phone: '+14155550106' },
      { key: 'gus', phone: '+14155550107' },
    ]);
    await h.fixtures.query(`insert into sms_opt_outs (client_id, phone, keyword) values ($1, '+14155550105', 'STOP')`, [clientId]);
    await h.fixtures.query('update notification_preferences set unsubscribed_at = now() where donor_id = $1', [ids.get('fay')]);
    const campaignId = await runTextStep({ budgetCost: 0.05 });

    const texts = h.twilioSink.messages();
    expect(texts.map((t) => t.to).sort()).toEqual(['+14155550101', '+14155550107']);
    for (const text of texts) {
      expect(text.from).toBe(from);
      expect(text.body).toContain('Every week, families in our city face empty shelves.');
      expect(text.body).toMatch(/Reply STOP to opt out\.$/);
    }
    // The wrong-channel fault: step 1 went to SendGrid as an email and was recorded as a sent text.
    expect(h.sink.deliveries().filter((d) => d.customArgs.campaign_id === campaignId)).toEqual([]);

    const rows = new Map((await ledger(campaignId)).map((row) => [row.donor_id, row]));
    const ada = rows.get(ids.get('ada')!)!;
    const sent = texts.find((t) => t.to === '+14155550101')!;
    const segments = smsSegments(sent.body).segments;
    expect(segments).toBeGreaterThan(1);
    expect(ada).toMatchObject({ status: 'sent', channel: 'sms', provider_message_id: sent.sid, sms_segments: segments });
    expect(rows.get(ids.get('bob')!)).toMatchObject({ status: 'skipped', skip_reason: 'no_sms_consent' });
    expect(rows.get(ids.get('cy')!)).toMatchObject({ status: 'skipped', skip_reason: 'no_address' });
    expect(rows.get(ids.get('dee')!)).toMatchObject({ status: 'skipped', skip_reason: 'no_address' });
    expect(rows.get(ids.get('eve')!)).toMatchObject({ status: 'skipped', skip_reason: 'sms_opted_out' });
    expect(rows.get(ids.get('fay')!)).toMatchObject({ status: 'skipped', skip_reason: 'unsubscribed' });

    // Seed 001's thread: one conversation per (client, donor number, client number), the text in it under Twilio's SID.
    const [thread] = await h.fixtures.query<{ donor_id: string; message_count: number; content: string; status: string; direction: string; external_id: string }>(
      `select c.donor_id, c.message_count, m.content, m.status, m.direction, m.external_id
         from conversations c join messages m on m.conversation_id = c.id
        where c.client_id = $1 and c.customer_phone = '+14155550101' and c.brand_phone = $2`, [clientId, from]);
    expect(thread).toEqual({ donor_id: ids.get('ada'), message_count: 1, content: sent.body, status: 'pending', direction: 'outbound', external_id: sent.sid });

    // The budget pays per segment: two texts of `segments` segments at 0.05.
    const totalSegments = texts.reduce((sum, t) => sum + smsSegments(t.body).segments, 0);
    const [spend] = await h.fixtures.query<{ messages: number; amount: string }>(
      'select sum(messages)::int as messages, sum(amount)::text as amount from budget_spend where campaign_id = $1 and step_number = 1', [campaignId]);
    expect(spend.messages).toBe(totalSegments);
    expect(Number(spend.amount)).toBeCloseTo(totalSegments * 0.05, 2);
  }, 90_000);

  it('retries 429 and 5xx with backoff and texts each donor once', async () => {
    h.twilioSink.reset();
    await donors([1, 2, 3, 4, 5].map((n) => ({ key: `retry${n}`, phone: `+1415555020${n}` })));
    h.twilioSink.failNext(1, { status: 429 });
    const campaignId = await h.fixtures.track15Campaign(clientId, { dayLengthSeconds: 12, controlShare: 0 });
    await h.fixtures.query(`update track15_narrative_steps set channel = 'sms' where campaign_id = $1 and step_number = 1`, [campaignId]);
    // Faults once the first texts are out: the retry must not text anyone twice.
    const faults = setInterval(() => {
      if (h.twilioSink.messages().length >= 2) {
        h.twilioSink.failNext(2, { status: 503 });
        clearInterval(faults);
      }
    }, 5);
    try {
      await h.activate(clientId, campaignId);
      await eventually(async () => ((await campaignStatus(h.lifecycle, campaignId)).steps[1] ? true : undefined), 60_000, 'step 1');
    } finally {
      clearInterval(faults);
    }
    await stopCampaign(h.lifecycle, campaignId, 'seen enough');
    const recipients = (await ledger(campaignId)).filter((row) => row.status === 'sent');
    // Every consenting donor of the client so far, once each.
    const numbers = h.twilioSink.messages().map((t) => t.to);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(numbers).toHaveLength(recipients.length);
    expect(numbers).toEqual(expect.arrayContaining(['+14155550201', '+14155550202', '+14155550203', '+14155550204', '+14155550205']));
    expect(h.twilioSink.requests.some((r) => r.status === 503)).toBe(true);
    expect(h.twilioSink.requests.some((r) => r.status === 429)).toBe(true);
  }, 120_000);

  it('fails a number Twilio refuses and texts the rest', async () => {
    h.twilioSink.reset();
    h.twilioSink.refuseNumbers(['+14155550101']);
    const campaignId = await runTextStep();
    const rows = await ledger(campaignId);
    const refused = rows.filter((row) => row.status === 'failed');
    expect(refused).toHaveLength(1);
    const [{ failure_reason: reason }] = await h.fixtures.query<{ failure_reason: string }>(
      `select failure_reason from campaign_deliveries where campaign_id = $1 and status = 'failed'`, [campaignId]);
    expect(reason).toMatch(/^Twilio 21614: /);
    expect(reason).not.toContain('4155550101');
    expect(h.twilioSink.messages().map((t) => t.to)).not.toContain('+14155550101');
    expect(h.twilioSink.messages().length).toBe(rows.filter((row) => row.status === 'sent').length);
  }, 90_000);

  it('refuses to activate SMS steps for a client without an SMS number', async () => {
    const other = await h.fixtures.client('No Number Org');
    const campaignId = await h.fixtures.track15Campaign(other, { dayLengthSeconds: 12 });
    await h.fixtures.query(`update track15_narrative_steps set channel = 'sms' where campaign_id = $1 and step_number in (2, 5)`, [campaignId]);
    await expect(h.activate(other, campaignId)).rejects.toMatchObject({ reasons: expect.arrayContaining([expect.stringMatching(/steps 2, 5 are SMS steps/)]) });
  });

  it('the touchpoint child of an email step never touches Twilio', async () => {
    h.twilioSink.reset();
    const campaignId = await h.fixtures.track15Campaign(clientId, { dayLengthSeconds: 12, controlShare: 0 });
    await h.activate(clientId, campaignId);
    await eventually(async () => ((await campaignStatus(h.lifecycle, campaignId)).steps[1] ? true : undefined), 60_000, 'step 1');
    await stopCampaign(h.lifecycle, campaignId, 'seen enough');
    expect(h.twilioSink.requests).toEqual([]);
    expect(h.sink.deliveries().filter((d) => d.customArgs.campaign_id === campaignId).length).toBeGreaterThan(0);
  }, 90_000);
});
