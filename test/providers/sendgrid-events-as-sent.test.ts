import { randomBytes } from 'node:crypto';
import { pauseCampaign, resumeCampaign, stopCampaign } from '../../workflows/campaigns/lifecycle';
import { type ApiHarness, startApi } from '../api/support';
import type { SinkDelivery } from '../fakes/sendgrid-sink';
import { type CampaignHarness, eventually, startCampaignHarness } from '../support/campaign-harness';
import { SendGridSigner } from '../support/provider-signing';

/**
 * The Event Webhook as SendGrid really sends it (issue 10 item 3): batches mixing event types the
 * product does not use and events it cannot read, bounces and drops without the product's custom_args,
 * drop reasons that mean the address is unusable, and the same fact redelivered under a new sg_event_id.
 */
describe('SendGrid Event Webhook, as SendGrid sends it', () => {
  const signer = new SendGridSigner();
  let h: CampaignHarness;
  let api: ApiHarness;
  let clientId: string;
  let otherClientId: string;
  let campaignId: string;
  const donors: Record<string, string> = {};
  const NAMES = ['plain', 'unsubscriber', 'bounced', 'dropped_bounced', 'dropped_invalid', 'dropped_unsubscribed', 'dropped_spam', 'dropped_content'] as const;
  type Name = (typeof NAMES)[number];
  /** The address client A's dropped_bounced donor shares with a donor of client B. */
  const SHARED = 'dropped_bounced@donors.test';

  const post = (events: unknown[]) => {
    const payload = JSON.stringify(events);
    return api.request({ method: 'POST', url: '/webhooks/sendgrid', payload, headers: signer.headers(payload) });
  };
  const id = () => randomBytes(16).toString('base64url');
  let sent: Record<Name, SinkDelivery>;
  /** As SendGrid writes them: custom_args as top-level members, plus members the product does not read. */
  const withArgs = (name: Name, event: string, extra: Record<string, unknown> = {}) => ({
    ...withoutArgs(name, event, extra), ...sent[name].customArgs,
  });
  /** An event carrying none of the product's custom_args: only SendGrid's own ids. */
  const withoutArgs = (name: Name, event: string, extra: Record<string, unknown> = {}) => ({
    email: sent[name].to, timestamp: Math.floor(sent[name].receivedAt / 1000) + 5, event, sg_event_id: id(),
    sg_message_id: `${sent[name].messageId}.filterdrecv-5645d9c87f-l8x2n-1-5F6A3B2C-3.0`,
    'smtp-id': `<${sent[name].messageId}@geopod-ismtpd-4-0>`, category: ['track15'], ...extra,
  });
  const recorded = async (ids: string[]) => (await api.fixtures.query<{ n: number }>(
    `select count(*)::int as n from processed_webhook_events where provider = 'sendgrid' and event_id = any($1)`, [ids]))[0].n;
  const applied = (events: { sg_event_id: string }[], what: string) => {
    const ids = events.map((e) => e.sg_event_id);
    return eventually(async () => ((await recorded(ids)) === ids.length ? true : undefined), 20_000, what);
  };
  const stats = async () => (await api.fixtures.query<{ stats: Record<string, number> }>('select stats from campaigns where id = $1', [campaignId]))[0].stats;
  const ledger = (step: number) => api.fixtures.query<{ donor_id: string; status: string; skip_reason: string | null }>(
    'select donor_id, status, skip_reason from campaign_deliveries where campaign_id = $1 and step_number = $2', [campaignId, step]);

  beforeAll(async () => {
    h = await startCampaignHarness();
    api = await startApi({ db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue: h.temporal.taskQueue }, sendgridPublicKey: signer.publicKey });
    clientId = await api.fixtures.client('Events As Sent Org');
    otherClientId = await api.fixtures.client('Another Org');
    const ids = await api.fixtures.donors(clientId, NAMES.map((name) => ({ email: `${name}@donors.test`, first_name: name })));
    NAMES.forEach((name, i) => { donors[name] = ids[i]; });
    [donors.other_client_shared] = await api.fixtures.donors(otherClientId, [{ email: SHARED, first_name: 'Shared' }]);
    campaignId = await api.fixtures.track15Campaign(clientId, { dayLengthSeconds: 10, controlShare: 0 });
  });
  afterAll(async () => {
    await api?.close();
    await h?.close();
  });

  it('applies each event on its own, matches events without custom_args, suppresses unusable addresses, counts facts once', async () => {
    await h.activate(clientId, campaignId);
    await eventually(async () => ((await ledger(1)).filter((row) => row.status === 'sent').length === NAMES.length ? true : undefined), 30_000, 'step 1');
    const paused = await pauseCampaign(h.lifecycle, campaignId, 'reading the events');
    expect([paused.currentStep, paused.steps[2]]).toEqual([1, undefined]); // the premise: step 2 has not started
    sent = Object.fromEntries(NAMES.map((name) => [name, h.sink.deliveries().find((d) => d.customArgs.donor_id === donors[name])!])) as Record<Name, SinkDelivery>;

    const actedOn = [
      withArgs('plain', 'delivered', { response: '250 OK' }),
      withArgs('plain', 'open', { useragent: 'Mozilla/5.0', ip: '192.0.2.1', sg_machine_open: false }),
      withArgs('plain', 'open', { useragent: 'Mozilla/5.0', ip: '192.0.2.1', sg_machine_open: false }), // a second open: same fact
      withArgs('unsubscriber', 'unsubscribe'),
      withoutArgs('bounced', 'bounce', { type: 'bounce', bounce_classification: 'Invalid Address', reason: '550 5.1.1 The email account does not exist.', status: '5.1.1', tls: 1 }),
      withoutArgs('dropped_bounced', 'dropped', { reason: 'Bounced Address', status: '5.0.0' }),
      withArgs('dropped_invalid', 'dropped', { reason: 'Invalid', status: '5.0.0' }),
      // Matched within the request by address, whatever its case.
      { ...withoutArgs('dropped_unsubscribed', 'dropped', { reason: 'Unsubscribed Address', status: '5.0.0' }), email: 'Dropped_Unsubscribed@Donors.TEST' },
      withArgs('dropped_spam', 'dropped', { reason: 'Spam Reporting Address', status: '5.0.0' }),
      withArgs('dropped_content', 'dropped', { reason: 'Spam Content (if Spam Checker app is enabled)', status: '5.0.0' }),
    ];
    const otherIntegration = { ...withoutArgs('plain', 'dropped', { reason: 'Bounced Address' }), email: SHARED, sg_message_id: 'NotOurRequest1234.filterdrecv-1.0' };
    const batch = [
      withArgs('plain', 'processed'),
      withArgs('plain', 'deferred', { response: '400 try again later', attempt: '5' }),
      { event: 'account_status_change', sg_event_id: id(), timestamp: Math.floor(Date.now() / 1000), type: 'compliance_suspend' }, // carries no email
      withArgs('plain', 'group_resubscribe', { asm_group_id: 7 }),
      withArgs('plain', 'some_event_sendgrid_adds_later'),
      { ...withArgs('plain', 'click'), timestamp: 'yesterday' }, // malformed
      { ...withArgs('plain', 'delivered'), email: 'nul\u0000@donors.test' }, // malformed: PostgreSQL cannot store it
      'not an event', // malformed
      ...actedOn,
      otherIntegration,
    ];
    const response = await post(batch);
    expect([response.statusCode, response.json()]).toEqual([200, { received: true, duplicate: false, ignored: 5, malformed: 3 }]);
    await applied(actedOn, 'the batch applied');

    const suppressed = await api.fixtures.query<{ id: string; email_suppression_reason: string }>(
      'select id, email_suppression_reason from donors where email_suppressed_at is not null order by email');
    expect(Object.fromEntries(suppressed.map((row) => [row.id, row.email_suppression_reason]))).toEqual({
      [donors.bounced]: 'bounce', [donors.dropped_bounced]: 'bounce', [donors.dropped_invalid]: 'invalid',
      [donors.dropped_unsubscribed]: 'unsubscribed', [donors.dropped_spam]: 'spamreport',
    }); // not dropped_content (the message, not the address), not client B's donor of the same address
    const sends = await api.fixtures.query<{ donor_id: string; status: string; dropped_at: Date | null; bounced_at: Date | null }>(
      'select donor_id, status, dropped_at, bounced_at from email_sends where campaign_id = $1 and step_number = 1', [campaignId]);
    const send = (name: Name) => sends.find((row) => row.donor_id === donors[name])!;
    expect(send('bounced')).toMatchObject({ status: 'bounced', bounced_at: expect.any(Date), dropped_at: null });
    expect(send('dropped_unsubscribed')).toMatchObject({ status: 'bounced', dropped_at: expect.any(Date), bounced_at: null });
    const once = await stats();
    expect(once).toMatchObject({ delivered: 1, opens: 1, unsubscribes: 1, bounces: 1, dropped: 5 });

    // SendGrid redelivers facts under new sg_event_ids: the events are recorded, the stats do not move.
    const repeats = [withArgs('plain', 'delivered'), withArgs('plain', 'open'), withoutArgs('bounced', 'bounce', { type: 'bounce' }), withArgs('dropped_spam', 'dropped', { reason: 'Spam Reporting Address' })];
    expect((await post(repeats)).json()).toEqual({ received: true, duplicate: false, ignored: 0, malformed: 0 });
    await applied(repeats, 'the repeats applied');
    expect(await stats()).toEqual(once);

    await resumeCampaign(h.lifecycle, campaignId);
    const settled = async () => { const rows = await ledger(2); return rows.length === NAMES.length && rows.every((row) => row.status !== 'pending'); };
    await eventually(async () => ((await settled()) ? true : undefined), 30_000, 'step 2');
    const step2 = await ledger(2);
    expect(Object.fromEntries(NAMES.map((name) => [name, (({ skip_reason, status }) => skip_reason ?? status)(step2.find((row) => row.donor_id === donors[name])!)]))).toEqual({
      plain: 'sent', unsubscriber: 'unsubscribed', bounced: 'suppressed', dropped_bounced: 'suppressed', dropped_invalid: 'suppressed',
      dropped_unsubscribed: 'suppressed', dropped_spam: 'suppressed', dropped_content: 'sent',
    });
    await stopCampaign(h.lifecycle, campaignId, 'test done');
    await h.result(campaignId);
  }, 90_000);
});
