import { type ArcClock, zoneDueAt } from '../../../domain/campaigns/schedule';
import { type TouchpointInput, touchpointWorkflowId } from '../../../domain/campaigns/workflow-contract';
import { campaignStatus, stopCampaign } from '../../../workflows/campaigns/lifecycle';
import { type CampaignHarness, eventually, startCampaignHarness } from '../../support/campaign-harness';

/**
 * Issue 14 item 6 on the real Temporal server, PostgreSQL and the sink, at rehearsal pace (one rehearsal
 * hour is a fraction of a second): each touchpoint goes out in time-zone waves, in time order, each at the
 * send hour of its recipients' zone; quiet hours hold a wave; a DST change moves one zone's wave and not
 * another's. The pause case is in campaign-control.test.ts.
 */
describe('time-zone waves', () => {
  let h: CampaignHarness;

  beforeAll(async () => { h = await startCampaignHarness({ batchSize: 5 }); });
  afterAll(async () => { await h?.close(); });

  /** A client whose donors live in the given zones (null: none given), three a zone. */
  async function audience(name: string, zones: (string | null)[]): Promise<{ clientId: string; zoneOf: Map<string, string | null> }> {
    const clientId = await h.fixtures.client(name);
    const zoneOf = new Map<string, string | null>();
    for (const [z, zone] of zones.entries()) {
      const ids = await h.fixtures.donors(clientId, [0, 1, 2].map((i) => ({ email: `${name.replace(/\W/g, '')}-${z}-${i}@donors.test` })));
      // Written as stored data, not through the API: 'Mars/Base' stands for a zone no longer known.
      await h.fixtures.query('update donors set timezone = $1 where id = any($2::uuid[])', [zone, ids]);
      for (const id of ids) zoneOf.set(id, zone);
    }
    return { clientId, zoneOf };
  }

  async function campaign(clientId: string, settings: { dayLengthSeconds: number; sendHour: number; timezone: string; startDate?: string }): Promise<string> {
    const campaignId = await h.fixtures.track15Campaign(clientId, { dayLengthSeconds: settings.dayLengthSeconds, sendHour: settings.sendHour, controlShare: 0 });
    await h.fixtures.query('update campaigns set track15_timezone = $1, start_date = $2 where id = $3', [settings.timezone, settings.startDate ?? null, campaignId]);
    return campaignId;
  }

  /** The clock the plan is computed from, read back from the activated campaign. */
  async function clockOf(campaignId: string): Promise<ArcClock> {
    const [row] = await h.fixtures.query<{ activated_at: Date; timezone: string; send_hour: number; day_seconds: number; start_date: string | null; qs: string | null; qe: string | null }>(
      `select c.track15_activated_at as activated_at, c.track15_timezone as timezone, c.track15_send_hour as send_hour,
              c.track15_day_length_seconds as day_seconds, to_char(c.start_date, 'YYYY-MM-DD') as start_date,
              cl.quiet_hours_start::text as qs, cl.quiet_hours_end::text as qe
         from campaigns c join clients cl on cl.id = c.client_id where c.id = $1`, [campaignId]);
    return {
      activatedAt: row.activated_at, campaignZone: row.timezone, sendHour: row.send_hour, dayLengthSeconds: row.day_seconds,
      rehearsalDate: row.start_date, quietHours: row.qs && row.qe ? { start: row.qs, end: row.qe } : null, pausedMs: 0,
    };
  }

  /** The waves the campaign handed a touchpoint, from the child's start event. */
  async function wavesOf(campaignId: string, step: number): Promise<{ at: number; zones: string[] }[]> {
    const history = await h.temporal.client.workflow.getHandle(touchpointWorkflowId(campaignId, step)).fetchHistory();
    const payload = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
    const input = JSON.parse(Buffer.from(payload.data!).toString('utf8')) as TouchpointInput;
    return input.waves!.map((wave) => ({ at: wave.dueAt, zones: wave.zones }));
  }

  /** Runs the arc until `steps` touchpoints are done, then stops it. */
  async function runSteps(clientId: string, campaignId: string, steps: number): Promise<void> {
    await h.activate(clientId, campaignId);
    await eventually(async () => ((await campaignStatus(h.lifecycle, campaignId)).steps[steps] ? true : undefined), 60_000, `step ${steps}`);
    await stopCampaign(h.lifecycle, campaignId, 'seen enough');
  }

  /** When each zone's recipients first and last got the step, from the sink. */
  function sendsByZone(campaignId: string, step: number, zoneOf: Map<string, string | null>): Map<string | null, { first: number; last: number; count: number }> {
    const byZone = new Map<string | null, { first: number; last: number; count: number }>();
    for (const d of h.sink.deliveries().filter((x) => x.customArgs.campaign_id === campaignId && x.customArgs.step_number === String(step))) {
      const zone = zoneOf.get(d.customArgs.donor_id) ?? null;
      const seen = byZone.get(zone) ?? { first: Infinity, last: -Infinity, count: 0 };
      byZone.set(zone, { first: Math.min(seen.first, d.receivedAt), last: Math.max(seen.last, d.receivedAt), count: seen.count + 1 });
    }
    return byZone;
  }

  it('sends each touchpoint in waves, in time order, each at its recipients\' local send hour and none earlier', async () => {
    const { clientId, zoneOf } = await audience('Waves Org', ['Asia/Tokyo', 'Europe/Berlin', null, 'America/New_York', 'Mars/Base']);
    // Twelve-second days: one rehearsal hour is half a second. The clock starts at today's midnight, UTC.
    const campaignId = await campaign(clientId, { dayLengthSeconds: 12, sendHour: 9, timezone: 'UTC' });
    await runSteps(clientId, campaignId, 1);
    const clock = await clockOf(campaignId);
    const planned = (zone: string) => zoneDueAt(clock, 1, zone).getTime();

    // Tokyo reaches 09:00 first, then Berlin, then UTC (with the donors whose zone is unknown), then New York.
    expect(await wavesOf(campaignId, 1)).toEqual([
      { at: planned('Asia/Tokyo'), zones: ['Asia/Tokyo'] },
      { at: planned('Europe/Berlin'), zones: ['Europe/Berlin'] },
      { at: planned('UTC'), zones: ['Mars/Base', 'UTC'] },
      { at: planned('America/New_York'), zones: ['America/New_York'] },
    ]);
    const sends = sendsByZone(campaignId, 1, zoneOf);
    const order = ['Asia/Tokyo', 'Europe/Berlin', null, 'America/New_York'] as const;
    for (const zone of order) {
      expect(sends.get(zone)?.count).toBe(3);
      expect(sends.get(zone)!.first).toBeGreaterThanOrEqual(planned(zone ?? 'UTC'));
    }
    expect(sends.get('Mars/Base')!.first).toBeGreaterThanOrEqual(planned('UTC'));
    // Each wave is over before the next one starts.
    for (let i = 1; i < order.length; i++) expect(sends.get(order[i])!.first).toBeGreaterThanOrEqual(sends.get(order[i - 1])!.last);
    // One ledger row per recipient: waves split the audience, they do not repeat it.
    const [{ n }] = await h.fixtures.query<{ n: number }>(`select count(*)::int as n from campaign_deliveries where campaign_id = $1 and step_number = 1 and status = 'sent'`, [campaignId]);
    expect(n).toBe(15);
  }, 90_000);

  it('holds a wave due inside the client\'s quiet hours until they end, in each recipient\'s zone', async () => {
    const { clientId, zoneOf } = await audience('Quiet Org', [null, 'Asia/Tokyo']);
    await h.fixtures.query(`update clients set quiet_hours_start = '21:00', quiet_hours_end = '08:00' where id = $1`, [clientId]);
    const campaignId = await campaign(clientId, { dayLengthSeconds: 12, sendHour: 6, timezone: 'UTC' });
    await runSteps(clientId, campaignId, 1);
    const clock = await clockOf(campaignId);
    const activatedAt = clock.activatedAt.getTime();
    const waves = await wavesOf(campaignId, 1);
    // 06:00 is quiet: UTC's wave goes at 08:00 (8 rehearsal hours in), Tokyo's at its own 08:00 (23:00 UTC).
    expect(waves).toEqual([
      { at: activatedAt + 8 * 500, zones: ['UTC'] },
      { at: activatedAt + 23 * 500, zones: ['Asia/Tokyo'] },
    ]);
    const sends = sendsByZone(campaignId, 1, zoneOf);
    expect(sends.get(null)!.first).toBeGreaterThanOrEqual(waves[0].at);
    expect(sends.get('Asia/Tokyo')!.first).toBeGreaterThanOrEqual(waves[1].at);
  }, 90_000);

  it('moves New York\'s wave an hour earlier in UTC across its DST change (2026-03-08), and not Berlin\'s', async () => {
    const { clientId, zoneOf } = await audience('DST Org', ['America/New_York', 'Europe/Berlin']);
    // The rehearsal plays the campaign's start date, 2026-03-07, in 12-second days: one hour is 500 ms.
    const campaignId = await campaign(clientId, { dayLengthSeconds: 12, sendHour: 9, timezone: 'America/New_York', startDate: '2026-03-07' });
    await runSteps(clientId, campaignId, 2);
    const activatedAt = (await clockOf(campaignId)).activatedAt.getTime();
    const [day1, day2] = [await wavesOf(campaignId, 1), await wavesOf(campaignId, 2)];
    // The clock starts at 2026-03-07 00:00 EST (05:00 UTC). Berlin's 09:00 is 08:00 UTC both days;
    // New York's is 14:00 UTC on the 7th (EST) and 13:00 UTC on the 8th (EDT).
    expect(day1).toEqual([{ at: activatedAt + 3 * 500, zones: ['Europe/Berlin'] }, { at: activatedAt + 9 * 500, zones: ['America/New_York'] }]);
    // 23 rehearsal hours from New York's first wave to its second; Berlin's keep 24.
    expect(day2).toEqual([{ at: activatedAt + 27 * 500, zones: ['Europe/Berlin'] }, { at: activatedAt + 32 * 500, zones: ['America/New_York'] }]);
    for (const [step, waves] of [[1, day1], [2, day2]] as const) {
      const sends = sendsByZone(campaignId, step, zoneOf);
      expect(sends.get('Europe/Berlin')!.first).toBeGreaterThanOrEqual(waves[0].at);
      expect(sends.get('America/New_York')!.first).toBeGreaterThanOrEqual(waves[1].at);
      expect(sends.get('America/New_York')!.first).toBeGreaterThanOrEqual(sends.get('Europe/Berlin')!.last);
    }
  }, 90_000);
});
