import { type CampaignHarness, eventually, startCampaignHarness } from '../support/campaign-harness';
import { POSTAL_ADDRESS, SENDER_EMAIL } from '../support/fixtures';
import { type ApiHarness, databaseFingerprint, insertKey, startApi } from '../api/support';

/**
 * Issue 14 item 2: the sender identity per client, overridden per campaign, required at activation, and
 * carried by every message (From, Reply-To, the CAN-SPAM postal address in the footer), through the API,
 * the real Temporal worker and the SendGrid sink.
 */
describe('sender identity', () => {
  let h: CampaignHarness;
  let api: ApiHarness;
  let clientId: string;
  let key: string;
  const clientUrl = () => `/v1/clients/${clientId}`;
  const patchClient = (payload: unknown) => api.call(key, { method: 'PATCH', url: clientUrl(), payload });
  const campaignCall = (method: string, campaignId: string, rest = '', payload?: unknown) =>
    api.call(key, { method, url: `${clientUrl()}/campaigns/${campaignId}${rest}`, payload });

  beforeAll(async () => {
    h = await startCampaignHarness({ batchSize: 10 });
    api = await startApi({ db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue: h.temporal.taskQueue } });
    clientId = await h.fixtures.client('Harbour Food Bank');
    key = await insertKey(h.fixtures, clientId);
    await h.fixtures.donors(clientId, [{ email: 'ann@donors.test', first_name: 'Ann' }, { email: 'bo@donors.test', first_name: 'Bo' }]);
  });
  afterAll(async () => {
    await api?.close();
    await h?.close();
  });

  it('shows and changes the client\'s sender identity; bad values are 400 naming the field and change nothing', async () => {
    expect((await api.call(key, { url: clientUrl() })).json().sender).toEqual({
      from_email: SENDER_EMAIL, from_name: 'Harbour Food Bank', reply_to: null, postal_address: POSTAL_ADDRESS,
    });
    const changed = await patchClient({ sender: { reply_to: 'Replies@Client.test', from_name: 'Harbour & Co' } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().sender).toMatchObject({ from_email: SENDER_EMAIL, from_name: 'Harbour & Co', reply_to: 'Replies@Client.test' });

    const before = await databaseFingerprint(h.fixtures);
    for (const [sender, field] of [
      [{ from_email: 'not an address' }, 'body.sender.from_email'],
      [{ reply_to: 'x@' }, 'body.sender.reply_to'],
      [{ from_name: 'Evil\r\nBcc: all@example.com' }, 'body.sender.from_name'],
      [{ postal_address: 'Street\u0000' }, 'body.sender.postal_address'],
      [{ postal_address: 'x'.repeat(501) }, 'body.sender.postal_address'],
      [{ from_email: SENDER_EMAIL, sender_id: 1 }, 'body.sender'],
    ] as const) {
      const refused = await patchClient({ sender });
      expect(refused.statusCode).toBe(400);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect(await databaseFingerprint(h.fixtures)).toBe(before);
  });

  it('refuses to activate without a sender address and postal address, with both reasons, changing nothing', async () => {
    const bare = await h.fixtures.client('No Sender Yet');
    const bareKey = await insertKey(h.fixtures, bare);
    await h.fixtures.query('update clients set sender_from_email = null, postal_address = null where id = $1', [bare]);
    await h.fixtures.donors(bare, [{ email: 'cy@donors.test' }]);
    const campaignId = await h.fixtures.track15Campaign(bare, { dayLengthSeconds: 2 });

    const refused = await api.call(bareKey, { method: 'POST', url: `/v1/clients/${bare}/campaigns/${campaignId}/activate` });
    expect(refused.statusCode).toBe(409);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json().reasons).toEqual([
      'the client has no sender address (sender.from_email)',
      'the client has no postal address (sender.postal_address), which CAN-SPAM requires in every email',
    ]);
    const [row] = await h.fixtures.query<{ stage: string; recipients: number }>(
      `select track15_stage as stage, (select count(*)::int from campaign_recipients where campaign_id = $1) as recipients
         from campaigns where id = $1`, [campaignId]);
    expect(row).toEqual({ stage: 'ready_for_launch', recipients: 0 });

    // The campaign's own overrides are enough.
    const overridden = await api.call(bareKey, {
      method: 'PATCH', url: `/v1/clients/${bare}/campaigns/${campaignId}`,
      payload: { sender: { from_email: 'appeal@client.test', postal_address: 'PO Box 7\nBangor, ME 04401' } },
    });
    expect(overridden.statusCode).toBe(200);
    expect(overridden.json().sender).toEqual({ from_email: 'appeal@client.test', from_name: null, reply_to: null, postal_address: 'PO Box 7\nBangor, ME 04401' });
    const activated = await api.call(bareKey, { method: 'POST', url: `/v1/clients/${bare}/campaigns/${campaignId}/activate` });
    expect(activated.statusCode).toBe(200);
    await api.call(bareKey, { method: 'POST', url: `/v1/clients/${bare}/campaigns/${campaignId}/stop`, payload: { reason: 'test over' } });
    await h.result(campaignId);
  }, 60_000);

  it('sends from the campaign\'s identity over the client\'s, with Reply-To and the postal address in both parts', async () => {
    const campaignId = await h.fixtures.track15Campaign(clientId, { dayLengthSeconds: 30, controlShare: 0 });
    expect((await campaignCall('PATCH', campaignId, '', { sender: { from_name: 'Spring <Appeal>' } })).statusCode).toBe(200);
    expect((await campaignCall('POST', campaignId, '/activate')).statusCode).toBe(200);

    const mails = await eventually(async () => {
      const sent = h.sink.mails().filter((mail) => mail.body.custom_args?.campaign_id === campaignId);
      return sent.reduce((n, mail) => n + mail.body.personalizations.length, 0) === 2 ? sent : undefined;
    }, 30_000, 'step 1 sent to both donors');
    for (const { body } of mails) {
      expect(body.from).toEqual({ email: SENDER_EMAIL, name: 'Spring <Appeal>' });
      expect(body.reply_to).toEqual({ email: 'Replies@Client.test' });
      const html = body.content.find((c: { type: string }) => c.type === 'text/html').value as string;
      const text = body.content.find((c: { type: string }) => c.type === 'text/plain').value as string;
      expect(html).toContain('Spring &lt;Appeal&gt;<br>\n12 Harbour Street<br>\nPortland, ME 04101</p>');
      expect(text.endsWith('\n\nSpring <Appeal>\n12 Harbour Street\nPortland, ME 04101')).toBe(true);
    }

    await eventually(async () => {
      const [{ sent }] = await h.fixtures.query<{ sent: number }>(
        `select count(*)::int as sent from campaign_deliveries where campaign_id = $1 and status = 'sent'`, [campaignId]);
      return sent === 2 ? sent : undefined;
    }, 30_000, 'step 1 settled');
    // While it runs, the client cannot take away what the campaign sends with; the campaign may fall back to the client's.
    const before = await databaseFingerprint(h.fixtures);
    const refused = await patchClient({ sender: { postal_address: null } });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().reasons).toEqual([expect.stringMatching(/running campaign .*postal address/)]);
    expect(await databaseFingerprint(h.fixtures)).toBe(before);
    expect((await campaignCall('PATCH', campaignId, '', { sender: { from_name: null } })).json().sender.from_name).toBeNull();

    await campaignCall('POST', campaignId, '/stop', { reason: 'test over' });
    await h.result(campaignId);
  }, 60_000);
});
