import { touchpointWorkflowId } from '../../../domain/campaigns/workflow-contract';
import { stopCampaign } from '../../../workflows/campaigns/lifecycle';
import { type CampaignHarness, eventually, startCampaignHarness } from '../../support/campaign-harness';

/**
 * Issue 18 item 4, on the real Temporal server, PostgreSQL and the Twilio sink: no text outside 08:00-21:00
 * in the recipient's zone; a touchpoint due outside waits (a durable timer) until 08:00 on the recipient's
 * wall clock and then sends: deferred, not dropped. The worker's SMS clock is set to the night of a DST
 * change in New York (clocks spring forward at 02:00 on Sunday 8 March 2026), so 08:00 is 12:00 UTC, not
 * 13:00 as the evening before's offset would say.
 */
describe('SMS hours across a DST change', () => {
  let h: CampaignHarness;
  /** How far the worker's SMS clock is ahead of the real one. */
  let shift = 0;

  beforeAll(async () => {
    h = await startCampaignHarness({ batchSize: 5, clock: () => Date.now() + shift });
  });
  afterAll(async () => { await h?.close(); });

  /** A campaign texting donors in New York at step 1, activated with the SMS clock reading `at`. */
  async function textCampaign(at: string, phones: string[]): Promise<{ campaignId: string; startedAt: number }> {
    const clientId = await h.fixtures.client(`Night Texts ${at}`);
    await h.fixtures.query(`update clients set sms_from_number = $1 where id = $2`, [`+1500555${String(Date.now()).slice(-4)}`, clientId]);
    const ids = await h.fixtures.donors(clientId, phones.map((phone) => ({ phone, email: null })));
    await h.fixtures.query(`update donors set timezone = 'America/New_York' where id = any($1::uuid[])`, [ids]);
    await h.fixtures.query(
      `insert into notification_preferences (client_id, donor_id, category, sms_enabled) select $1, unnest($2::uuid[]), 'marketing', true`, [clientId, ids]);
    const campaignId = await h.fixtures.track15Campaign(clientId, { dayLengthSeconds: 12, controlShare: 0 });
    await h.fixtures.query(`update track15_narrative_steps set channel = 'sms' where campaign_id = $1 and step_number = 1`, [campaignId]);
    const startedAt = Date.now();
    shift = Date.parse(at) - startedAt;
    await h.activate(clientId, campaignId);
    return { campaignId, startedAt };
  }

  /** The durable timers the touchpoint started, in seconds (none before it exists). */
  async function timers(campaignId: string): Promise<number[]> {
    const history = await h.temporal.client.workflow.getHandle(touchpointWorkflowId(campaignId, 1)).fetchHistory().catch(() => null);
    if (!history) return [];
    return history.events!.flatMap((event) => {
      const timeout = event.timerStartedEventAttributes?.startToFireTimeout;
      return timeout ? [Number(timeout.seconds ?? 0) + (timeout.nanos ?? 0) / 1e9] : [];
    });
  }

  it('holds a text due at 21:30 EST on the eve of the change until 08:00 EDT, nine and a half hours later, and sends nothing meanwhile', async () => {
    const { campaignId } = await textCampaign('2026-03-08T02:30:00Z', ['+12125550101', '+12125550102']);
    // The lane's wait: from 21:30 EST to 08:00 EDT is 9 h 30 min, less the seconds the run took to get there.
    const wait = await eventually(async () => (await timers(campaignId)).find((seconds) => seconds > 3600), 60_000, 'the deferral timer');
    expect(wait).toBeGreaterThan(9.5 * 3600 - 120);
    expect(wait).toBeLessThanOrEqual(9.5 * 3600);
    expect(h.twilioSink.messages().filter((m) => m.to.startsWith('+1212555010'))).toEqual([]);
    const [{ n }] = await h.fixtures.query<{ n: number }>('select count(*)::int as n from campaign_deliveries where campaign_id = $1 and step_number = 1', [campaignId]);
    expect(n).toBe(0);
    await stopCampaign(h.lifecycle, campaignId, 'seen enough');
  }, 90_000);

  it('sends at 08:00 EDT once the clocks have sprung forward: a wait of seconds, not an hour more', async () => {
    const { campaignId, startedAt } = await textCampaign('2026-03-08T11:59:50Z', ['+12125550201', '+12125550202', '+12125550203']);
    const texts = await eventually(async () => {
      const sent = h.twilioSink.messages().filter((m) => m.to.startsWith('+1212555020'));
      return sent.length === 3 ? sent : undefined;
    }, 60_000, 'the texts at 08:00 EDT');
    // 12:00:00 UTC on the shifted clock is 10 s after activation on the real one.
    for (const text of texts) expect(text.receivedAt).toBeGreaterThanOrEqual(startedAt + 10_000 - 50);
    const waits = await timers(campaignId);
    expect(waits.some((seconds) => seconds > 0 && seconds <= 10)).toBe(true);
    expect(waits.every((seconds) => seconds < 3600)).toBe(true);
    // The sink records a text on arrival; the ledger settles once Twilio's answer is back.
    await eventually(async () => {
      const rows = await h.fixtures.query<{ status: string }>('select status from campaign_deliveries where campaign_id = $1 and step_number = 1', [campaignId]);
      return rows.length === 3 && rows.every((row) => row.status === 'sent') ? true : undefined;
    }, 10_000, 'three sent rows');
    await stopCampaign(h.lifecycle, campaignId, 'seen enough');
  }, 90_000);
});
