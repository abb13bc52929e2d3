import { randomBytes } from 'node:crypto';
import { applySendGridEvents } from '../../activities/email/sendgrid-events';
import type { CampaignStatus } from '../../domain/campaigns/workflow-contract';
import { campaignStatus, pauseCampaign, resumeCampaign, stopCampaign } from '../../workflows/campaigns/lifecycle';
import { type ApiHarness, databaseFingerprint, startApi } from '../api/support';
import type { SinkDelivery } from '../fakes/sendgrid-sink';
import { type CampaignHarness, eventually, startCampaignHarness } from '../support/campaign-harness';
import { SendGridSigner, shuffled } from '../support/provider-signing';

/**
 * SendGrid's Event Webhook against a running campaign: signed batches move emails forward, count stats
 * once per sg_event_id however often they arrive, and unsubscribes, spam reports and bounces take
 * effect before the next touchpoint.
 */
describe('SendGrid Event Webhook', () => {
  const signer = new SendGridSigner();
  let h: CampaignHarness;
  let api: ApiHarness;
  let clientId: string;
  let campaignId: string;
  const donors: Record<string, string> = {};
  const NAMES = ['engaged', 'unsubscriber', 'bouncer', 'complainer', 'blocked', 'grouped'] as const;

  const post = (payload: string, headers = signer.headers(payload)) =>
    api.request({ method: 'POST', url: '/webhooks/sendgrid', payload, headers });
  const eventFor = (delivery: SinkDelivery, event: string, secondsAfter: number, extra: Record<string, unknown> = {}) => ({
    email: delivery.to, timestamp: Math.floor(delivery.receivedAt / 1000) + secondsAfter, event,
    sg_event_id: randomBytes(12).toString('base64url'), sg_message_id: `${delivery.messageId}.filter0001.1.0`,
    ...delivery.customArgs, ...extra,
  });
  const recorded = async (ids: string[]) => (await api.fixtures.query<{ n: number }>(
    `select count(*)::int as n from processed_webhook_events where provider = 'sendgrid' and event_id = any($1)`, [ids]))[0].n;
  const ledger = (step: number) => api.fixtures.query<{ donor_id: string; status: string; skip_reason: string | null }>(
    'select donor_id, status, skip_reason from campaign_deliveries where campaign_id = $1 and step_number = $2', [campaignId, step]);
  const byName = <T extends { donor_id: string }>(rows: T[]) =>
    Object.fromEntries(NAMES.map((name) => [name, rows.find((row) => row.donor_id === donors[name])]));

  beforeAll(async () => {
    h = await startCampaignHarness();
    api = await startApi({ db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue: h.temporal.taskQueue }, sendgridPublicKey: signer.publicKey });
    clientId = await api.fixtures.client('Events Org');
    const ids = await api.fixtures.donors(clientId, NAMES.map((name) => ({ email: `${name}@donors.test`, first_name: name })));
    NAMES.forEach((name, i) => { donors[name] = ids[i]; });
    // Days long enough that the test pauses after step 1 before step 2 is due, even on a loaded machine.
    campaignId = await api.fixtures.track15Campaign(clientId, { dayLengthSeconds: 10, controlShare: 0 });
  });
  afterAll(async () => {
    await api?.close();
    await h?.close();
  });

  it('applies a batch once however often it arrives, and the next touchpoint skips who left', async () => {
    await h.activate(clientId, campaignId);
    await eventually(async () => ((await ledger(1)).filter((row) => row.status === 'sent').length === NAMES.length ? true : undefined), 30_000, 'step 1');
    const paused = await pauseCampaign(h.lifecycle, campaignId, 'reading the events');
    expect([paused.currentStep, paused.steps[2]]).toEqual([1, undefined]); // the premise: step 2 has not started
    const sent = Object.fromEntries(NAMES.map((name) => [name, h.sink.deliveries().find((d) => d.customArgs.donor_id === donors[name])!]));

    // Out of order on purpose: a late "delivered" must not pull an opened and clicked email back.
    const events = [
      eventFor(sent.engaged, 'click', 30), eventFor(sent.engaged, 'open', 20), eventFor(sent.engaged, 'delivered', 10),
      eventFor(sent.engaged, 'processed', 1),
      eventFor(sent.unsubscriber, 'delivered', 10), eventFor(sent.unsubscriber, 'unsubscribe', 40),
      eventFor(sent.bouncer, 'bounce', 10, { type: 'bounce', reason: '550 5.1.1 unknown user' }),
      eventFor(sent.complainer, 'delivered', 10), eventFor(sent.complainer, 'spamreport', 50),
      eventFor(sent.blocked, 'bounce', 10, { type: 'blocked', reason: '421 try later' }),
      eventFor(sent.grouped, 'group_unsubscribe', 15, { asm_group_id: 42 }),
      { email: 'stranger@elsewhere.test', timestamp: 1, event: 'delivered', sg_event_id: 'not-ours-1' }, // no custom_args: not our mail
    ];
    const acted = events.filter((e) => e.event !== 'processed' && e.sg_event_id !== 'not-ours-1');
    const ours = acted.map((e) => e.sg_event_id);
    const first = await post(JSON.stringify(events));
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ received: true, duplicate: false, ignored: 2, malformed: 0 }); // processed, and not our mail
    await eventually(async () => ((await recorded(ours)) === ours.length ? true : undefined), 20_000, 'the batch applied');

    const sends = byName(await api.fixtures.query<{ donor_id: string; status: string; delivered_at: Date | null; opened_at: Date | null; clicked_at: Date | null }>(
      'select donor_id, status, delivered_at, opened_at, clicked_at from email_sends where campaign_id = $1 and step_number = 1', [campaignId]));
    expect(sends.engaged).toMatchObject({ status: 'clicked', delivered_at: expect.any(Date), opened_at: expect.any(Date), clicked_at: expect.any(Date) });
    expect(Object.fromEntries(NAMES.map((name) => [name, sends[name]!.status]))).toEqual({
      engaged: 'clicked', unsubscriber: 'unsubscribed', bouncer: 'bounced', complainer: 'spamreport', blocked: 'bounced', grouped: 'unsubscribed',
    });
    expect(Object.fromEntries(Object.entries(byName(await ledger(1))).map(([name, row]) => [name, row!.status]))).toEqual({
      engaged: 'clicked', unsubscriber: 'delivered', bouncer: 'bounced', complainer: 'delivered', blocked: 'bounced', grouped: 'sent',
    });
    const suppressed = await api.fixtures.query<{ id: string }>('select id from donors where client_id = $1 and email_suppressed_at is not null', [clientId]);
    expect(suppressed.map((row) => row.id)).toEqual([donors.bouncer]); // a "blocked" bounce is temporary
    const preferences = await api.fixtures.query<{ donor_id: string; category: string; email_enabled: boolean }>(
      'select donor_id, category, email_enabled from notification_preferences where client_id = $1 and unsubscribed_at is not null order by category, donor_id', [clientId]);
    expect(new Set(preferences.map((p) => `${p.category}:${p.donor_id}:${p.email_enabled}`))).toEqual(new Set([
      `all:${donors.complainer}:false`, `marketing:${donors.unsubscriber}:false`, `marketing:${donors.grouped}:false`,
    ]));
    const stats = async () => (await api.fixtures.query<{ stats: Record<string, number> }>('select stats from campaigns where id = $1', [campaignId]))[0].stats;
    const once = await stats();
    expect(once).toMatchObject({ delivered: 3, opens: 1, clicks: 1, bounces: 2, unsubscribes: 2, spam_reports: 1 });

    // Delivered twice more, shuffled: Temporal refuses the repeat; the database would too.
    for (const seed of [7, 8]) {
      const again = await post(JSON.stringify(shuffled(events, seed)));
      expect(again.json()).toEqual({ received: true, duplicate: true, ignored: 2, malformed: 0 });
    }
    const replay = acted.map((e) => ({
      sgEventId: e.sg_event_id, event: e.event, email: e.email, timestamp: e.timestamp, campaignId, stepNumber: 1,
      donorId: (e as { donor_id?: string }).donor_id ?? null, sgMessageId: (e as { sg_message_id?: string }).sg_message_id ?? null, bounceType: (e as { type?: string }).type ?? null,
    }));
    expect(await applySendGridEvents(h.activityDeps, clientId, shuffled(replay, 9))).toEqual({ applied: 0, duplicates: replay.length });
    expect(await stats()).toEqual(once);
    expect(await recorded(ours)).toBe(ours.length);

    await resumeCampaign(h.lifecycle, campaignId);
    const settled = async () => { const rows = await ledger(2); return rows.length === NAMES.length && rows.every((row) => row.status !== 'pending'); };
    await eventually(async () => ((await settled()) ? true : undefined), 30_000, 'step 2');
    expect(Object.fromEntries(Object.entries(byName(await ledger(2))).map(([name, row]) => [name, row!.skip_reason ?? row!.status]))).toEqual({
      engaged: 'sent', unsubscriber: 'unsubscribed', bouncer: 'suppressed', complainer: 'unsubscribed', blocked: 'sent', grouped: 'unsubscribed',
    });
    await stopCampaign(h.lifecycle, campaignId, 'test done');
    const final = (await h.result(campaignId)) as CampaignStatus; // completion written, nothing more will change
    expect(final).toMatchObject({ stage: 'completed', stopReason: 'test done' });
  }, 90_000);

  it('refuses forged, altered, unsigned and stale batches with 400, writing nothing', async () => {
    const payload = JSON.stringify([{ email: 'engaged@donors.test', timestamp: 1, event: 'open', sg_event_id: 'forged-1', client_id: clientId, campaign_id: campaignId, step_number: '1', donor_id: donors.engaged }]);
    const before = await databaseFingerprint(api.fixtures);
    const forger = new SendGridSigner();
    const valid = signer.headers(payload);
    const refusals = [
      await post(payload, forger.headers(payload)),
      await post(payload.replace('"open"', '"click"'), valid),
      await post(payload, signer.headers(payload, Math.floor(Date.now() / 1000) - 600)),
      await post(payload, { 'content-type': 'application/json' }),
      await post(payload, { ...valid, 'x-twilio-email-event-webhook-signature': 'not-base64-der' }),
    ];
    for (const refusal of refusals) {
      expect(refusal.statusCode).toBe(400);
      expect(refusal.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refusal.json().errors[0].field).toMatch(/^header\.x-twilio-email-event-webhook-(signature|timestamp)$/);
    }
    // Signed but not a batch at all: the body is named.
    const notBatch = await post(JSON.stringify({ email: 'x@donors.test', event: 'open', sg_event_id: 'm-1' }));
    expect(notBatch.statusCode).toBe(400);
    expect(notBatch.json().errors).toEqual([expect.objectContaining({ field: 'body' })]);
    // Signed, one malformed event and nothing else: counted and skipped, nothing written.
    const malformed = await post(JSON.stringify([{ email: 'x@donors.test', event: 'open', sg_event_id: 'm-1' }]));
    expect([malformed.statusCode, malformed.json()]).toEqual([200, { received: true, duplicate: false, ignored: 0, malformed: 1 }]);
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
    expect(await campaignStatus(h.lifecycle, campaignId)).toMatchObject({ stage: 'completed' });
  });

  it('refuses everything while no verification key is configured', async () => {
    const unconfigured = await startApi({ db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue: h.temporal.taskQueue } });
    try {
      const payload = '[]';
      const response = await unconfigured.request({ method: 'POST', url: '/webhooks/sendgrid', payload, headers: signer.headers(payload) });
      expect(response.statusCode).toBe(503);
      expect(response.json().detail).toMatch(/SENDGRID_WEBHOOK_PUBLIC_KEY/);
    } finally {
      await unconfigured.close();
    }
  });
});
