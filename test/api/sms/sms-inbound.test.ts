import { createTwilio, sendText } from '../../../activities/sms/twilio';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, TwilioSink, type WebhookAnswer } from '../../fakes/twilio-sink';
import { PUBLIC_BASE_URL } from '../../support/campaign-harness';
import { type ApiHarness, databaseFingerprint, insertKey, startApi } from '../support';

/**
 * Issue 18 items 3, 4 and 6: texts from donors arrive on Twilio's signed webhook; STOP-like keywords opt the
 * number out of the client at once with one confirmation, START lifts it, HELP names the client and how to
 * reach it; a forged request is refused and changes nothing; a redelivery is applied once. The Twilio sink
 * signs as Twilio does, from its documented algorithm.
 */
describe('incoming texts', () => {
  let api: ApiHarness;
  let sink: TwilioSink;
  let clientId: string;
  const clientNumber = '+15005550010';
  /** The URL configured at Twilio (what it signs); the sink reaches the API at its own address. */
  const webhook = `${PUBLIC_BASE_URL}/webhooks/twilio/sms`;

  beforeAll(async () => {
    api = await startApi();
    sink = await TwilioSink.start();
    clientId = (await api.client('Food Bank')).id;
    await api.fixtures.query(`update clients set sms_from_number = $1, sender_reply_to = 'help@foodbank.test' where id = $2`, [clientNumber, clientId]);
  });
  afterAll(async () => {
    await sink?.stop();
    await api?.close();
  });

  const text = (from: string, body: string, messageSid?: string) =>
    sink.inbound(webhook, { from, to: clientNumber, body, ...(messageSid ? { messageSid } : {}) }, { via: api.baseUrl });
  /** The one <Message> of a TwiML answer, or null when it has none. */
  const reply = (answer: WebhookAnswer) => {
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^text\/xml/);
    const messages = [...answer.body.matchAll(/<Message>([^<]*)<\/Message>/g)].map((m) => m[1]);
    expect(messages.length).toBeLessThanOrEqual(1);
    return messages[0] ?? null;
  };
  const optedOut = async (phone: string) => (await api.fixtures.query(
    'select keyword from sms_opt_outs where client_id = $1 and phone = $2', [clientId, phone]))[0]?.keyword ?? null;

  it('a client sets its SMS number (E.164, one client per number) through the API', async () => {
    const other = await api.client('Other Org');
    const patch = (payload: unknown) => api.call(other.key, { method: 'PATCH', url: `/v1/clients/${other.id}`, payload });
    expect((await patch({ sms_from_number: '+15005550011' })).json().sms_from_number).toBe('+15005550011');
    const bad = await patch({ sms_from_number: '500 555 0011' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { field: string }) => e.field)).toEqual(['body.sms_from_number']);
    const taken = await patch({ sms_from_number: clientNumber });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().errors.map((e: { field: string }) => e.field)).toEqual(['body.sms_from_number']);
    expect((await patch({ sms_from_number: null })).json().sms_from_number).toBeNull();
  });

  it.each([['STOP', '+14155550301'], ['  stop ', '+14155550302'], ['StopAll', '+14155550303'], ['unsubscribe', '+14155550304'],
    ['Cancel', '+14155550305'], ['END', '+14155550306'], ['quit\n', '+14155550307']])('%j opts %s out at once, with one confirmation', async (body, phone) => {
    const confirmation = reply(await text(phone, body));
    expect(confirmation).toMatch(/^Food Bank: You are unsubscribed/);
    expect(await optedOut(phone)).toBe(body.trim().toUpperCase());
  });

  it('START, UNSTOP or YES lifts the opt-out; HELP names the client and its contact; other texts get no answer', async () => {
    const phone = '+14155550310';
    reply(await text(phone, 'STOP'));
    expect(reply(await text(phone, 'start'))).toMatch(/^Food Bank: You are resubscribed/);
    expect(await optedOut(phone)).toBeNull();
    reply(await text(phone, 'END'));
    expect(reply(await text(phone, ' Yes '))).toMatch(/resubscribed/);
    reply(await text(phone, 'quit'));
    expect(reply(await text(phone, 'UNSTOP'))).toMatch(/resubscribed/);
    expect(reply(await text(phone, 'help'))).toBe('Food Bank: for help, email help@foodbank.test. Msg &amp; data rates may apply. Reply STOP to opt out.');
    expect(reply(await text(phone, 'please stop texting me'))).toBeNull();
    expect(await optedOut(phone)).toBeNull();
  });

  it('threads a donor\'s texts and the confirmations in their conversation with the client\'s number, and archives it on STOP', async () => {
    const [donor] = await api.fixtures.donors(clientId, [{ phone: '+14155550320', email: 'thread@donors.test' }]);
    reply(await text('+14155550320', 'Thank you!'));
    reply(await text('+14155550320', 'STOP'));
    const [conversation] = await api.fixtures.query<{ id: string; donor_id: string; message_count: number; status: string; opted_out: boolean }>(
      `select id, donor_id, message_count, status, opted_out_at is not null as opted_out from conversations
        where client_id = $1 and customer_phone = '+14155550320' and brand_phone = $2`, [clientId, clientNumber]);
    expect(conversation).toMatchObject({ donor_id: donor, message_count: 3, status: 'archived', opted_out: true });
    const messages = await api.fixtures.query<{ direction: string; content: string }>(
      'select direction, content from messages where conversation_id = $1 order by created_at, direction', [conversation.id]);
    expect(messages.map((m) => [m.direction, m.content.slice(0, 20)])).toEqual([
      ['inbound', 'Thank you!'], ['inbound', 'STOP'], ['outbound', 'Food Bank: You are u'],
    ]);
    // The same thread through the API, a page at a time.
    const owner = await insertKey(api.fixtures, clientId);
    const list = await api.call(owner, { url: `/v1/clients/${clientId}/conversations?donor_id=${donor}` });
    expect(list.json()).toEqual({ items: [expect.objectContaining({ id: conversation.id, status: 'archived', message_count: 3, customer_phone: '+14155550320' })], next_offset: null });
    const first = await api.call(owner, { url: `/v1/clients/${clientId}/conversations/${conversation.id}/messages?limit=2` });
    expect(first.json().items.map((m: { direction: string }) => m.direction)).toEqual(['inbound', 'inbound']);
    expect(first.json().next_offset).toBe(2);
    const second = await api.call(owner, { url: `/v1/clients/${clientId}/conversations/${conversation.id}/messages?limit=2&offset=2` });
    expect(second.json()).toEqual({ items: [expect.objectContaining({ direction: 'outbound', status: 'pending' })], next_offset: null });
    const bad = await api.call(owner, { url: `/v1/clients/${clientId}/conversations/${conversation.id}/messages?limit=0` });
    expect(bad.json().errors.map((e: { field: string }) => e.field)).toEqual(['query.limit']);
  });

  it('applies a redelivered MessageSid once: no second confirmation, nothing written again', async () => {
    const sid = `SM${'ab'.repeat(16)}`;
    expect(reply(await text('+14155550330', 'STOP', sid))).toMatch(/unsubscribed/);
    const before = await databaseFingerprint(api.fixtures);
    expect(reply(await text('+14155550330', 'STOP', sid))).toBeNull();
    expect(reply(await text('+14155550330', 'START', sid))).toBeNull();
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
    expect(await optedOut('+14155550330')).toBe('STOP');
  });

  it.each([
    ['without a signature', { signature: '' }],
    ['signed with another token', { signature: 'bm90IHRoZSBzaWduYXR1cmU=' }],
  ])('refuses a text %s (400 naming the header) and changes nothing', async (_, options) => {
    const before = await databaseFingerprint(api.fixtures);
    const answer = await sink.inbound(webhook, { from: '+14155550340', to: clientNumber, body: 'STOP' }, { via: api.baseUrl, ...options });
    expect(answer.status).toBe(400);
    expect(answer.contentType).toMatch(/application\/problem\+json/);
    expect(JSON.parse(answer.body).errors.map((e: { field: string }) => e.field)).toEqual(['header.x-twilio-signature']);
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
  });

  it('refuses a text whose parameters were altered after signing, or signed for another URL', async () => {
    const before = await databaseFingerprint(api.fixtures);
    const signed = new URLSearchParams({ MessageSid: `SM${'cd'.repeat(16)}`, AccountSid: sink.accountSid, From: '+14155550350', To: clientNumber, Body: 'Hello' });
    const { twilioSignature } = await import('../../fakes/twilio-sink');
    const signature = twilioSignature('local-development-twilio-auth-token', webhook, Object.fromEntries(signed));
    const altered = new URLSearchParams(signed);
    altered.set('Body', 'STOP');
    const post = (body: URLSearchParams, header: string, path = '/webhooks/twilio/sms') => api.request({
      method: 'POST', url: path, payload: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': header },
    });
    expect((await post(altered, signature)).statusCode).toBe(400);
    const otherUrl = twilioSignature('local-development-twilio-auth-token', 'https://elsewhere.test/webhooks/twilio/sms', Object.fromEntries(signed));
    expect((await post(signed, otherUrl)).statusCode).toBe(400);
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
  });

  it('answers a signed text with a malformed parameter 400 naming it, and a text to no client\'s number with an empty answer', async () => {
    const before = await databaseFingerprint(api.fixtures);
    const bad = await sink.inbound(webhook, { from: '+14155550360', to: clientNumber, body: 'STOP', messageSid: 'not-a-sid' }, { via: api.baseUrl });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).errors.map((e: { field: string }) => e.field)).toEqual(['body.MessageSid']);
    const elsewhere = await sink.inbound(webhook, { from: '+14155550360', to: '+15005559999', body: 'STOP' }, { via: api.baseUrl });
    expect(reply(elsewhere)).toBeNull();
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
  });

  it('moves an outbound text\'s status forward only on Twilio\'s signed status callbacks; a forged one is refused', async () => {
    const statusUrl = `${PUBLIC_BASE_URL}/webhooks/twilio/status`;
    const sent = await sendText(createTwilio(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, sink.url), { to: '+14155550370', from: clientNumber, body: 'Hello', statusCallback: statusUrl });
    const [donor] = await api.fixtures.donors(clientId, [{ phone: '+14155550370', email: 'status@donors.test' }]);
    const [conversation] = await api.fixtures.query<{ id: string }>(
      `insert into conversations (client_id, donor_id, customer_phone, brand_phone) values ($1, $2, '+14155550370', $3) returning id`, [clientId, donor, clientNumber]);
    await api.fixtures.query(`insert into messages (client_id, conversation_id, direction, content, status, external_id) values ($1, $2, 'outbound', 'Hello', 'pending', $3)`,
      [clientId, conversation.id, sent.sid]);
    const status = async () => (await api.fixtures.query<{ status: string; delivered: boolean }>(
      'select status, delivered_at is not null as delivered from messages where external_id = $1', [sent.sid]))[0];
    const callback = (value: string, options = {}) => sink.statusCallback(sent.sid, value, { via: api.baseUrl, ...options });

    expect((await callback('sending')).status).toBe(200);
    expect(await status()).toEqual({ status: 'pending', delivered: false });
    await callback('sent');
    expect(await status()).toEqual({ status: 'sent', delivered: false });
    const forged = await callback('failed', { signature: 'Zm9yZ2Vk' });
    expect(forged.status).toBe(400);
    expect(await status()).toEqual({ status: 'sent', delivered: false });
    await callback('delivered');
    expect(await status()).toEqual({ status: 'delivered', delivered: true });
    // Late, out-of-order and repeated callbacks change nothing.
    await callback('sent');
    await callback('undelivered');
    await callback('delivered');
    expect(await status()).toEqual({ status: 'delivered', delivered: true });
  });
});
