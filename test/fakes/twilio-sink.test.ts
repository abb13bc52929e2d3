import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { acceptedTexts, createTwilio, refusedRecipient, sendText, twilioFailure, type Twilio } from '../../activities/sms/twilio';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, TwilioSink, twilioSignature } from './twilio-sink';

/** The Twilio sink answers the real `twilio` SDK as Twilio's REST API 2010-04-01 does, and signs what it posts as Twilio signs. */
describe('Twilio sink', () => {
  let sink: TwilioSink;
  let provider: Twilio;
  const from = '+15005550006';

  beforeAll(async () => {
    sink = await TwilioSink.start();
    provider = createTwilio(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, sink.url);
  });
  beforeEach(() => sink.reset());
  afterAll(async () => { await sink?.stop(); });

  /** The error the SDK throws for a request, or a failure when it succeeds. */
  async function refusal(text: { to: string; from: string; body: string; statusCallback?: string }, client = provider) {
    return sendText(client, text).then(() => { throw new Error('expected a refusal'); }, (error: { status: number; code: number; message: string; moreInfo: string }) => error);
  }

  it('queues a message through the SDK, counting its segments, and lists and fetches it', async () => {
    const sent = await sendText(provider, { to: '+14155550100', from, body: 'a'.repeat(161) });
    expect(sent).toEqual({ sid: expect.stringMatching(/^SM[0-9a-f]{32}$/), status: 'queued' });
    expect(sink.messages()).toMatchObject([{ sid: sent.sid, to: '+14155550100', from, numSegments: 2, status: 'queued' }]);
    const fetched = await provider.client.messages(sent.sid).fetch();
    expect(fetched).toMatchObject({ sid: sent.sid, numSegments: '2', direction: 'outbound-api', apiVersion: '2010-04-01' });
    expect(await acceptedTexts(provider, from, ['+14155550100', '+14155550111'], new Date(Date.now() - 1000)))
      .toEqual(new Map([['+14155550100', { sid: sent.sid, body: 'a'.repeat(161) }]]));
    expect(await acceptedTexts(provider, from, ['+14155550100'], new Date(Date.now() + 120_000))).toEqual(new Map());
    expect(await acceptedTexts(provider, '+15005550009', ['+14155550100'], new Date(Date.now() - 1000))).toEqual(new Map());
  });

  it('pages a list as Twilio does (next_page_uri followed by the SDK)', async () => {
    for (let i = 0; i < 5; i++) await sendText(provider, { to: '+14155550101', from, body: `hello ${i}` });
    const all = await provider.client.messages.list({ to: '+14155550101', pageSize: 2 });
    expect(all.map((m) => m.body)).toEqual(['hello 4', 'hello 3', 'hello 2', 'hello 1', 'hello 0']);
    expect(sink.requests.filter((r) => r.method === 'GET')).toHaveLength(3);
  });

  it.each([
    ['no To', { to: '', from, body: 'x' }, 21604, 400],
    ['no From', { to: '+14155550100', from: '', body: 'x' }, 21603, 400],
    ['a To without +', { to: '4155550100', from, body: 'x' }, 21211, 400],
    ['a To with spaces', { to: '+1 415 555 0100', from, body: 'x' }, 21211, 400],
    ['a From that is no number', { to: '+14155550100', from: 'not-a-number', body: 'x' }, 21212, 400],
    ['an empty body', { to: '+14155550100', from, body: '' }, 21602, 400],
    ['a body of 1,601 characters', { to: '+14155550100', from, body: 'a'.repeat(1601) }, 21617, 400],
    ['a StatusCallback that is no URL', { to: '+14155550100', from, body: 'x', statusCallback: 'not a url' }, 21609, 400],
  ])('refuses %s with Twilio code %i', async (_, text, code, status) => {
    const error = await refusal(text);
    expect(error).toMatchObject({ status, code, moreInfo: `https://www.twilio.com/docs/errors/${code}` });
    expect(sink.messages()).toEqual([]);
  });

  it('takes 1,600 characters, emoji counted as one character each', async () => {
    await sendText(provider, { to: '+14155550100', from, body: '😀'.repeat(1600) });
    // 33 emoji (66 UTF-16 units) fill a 67-unit part: a surrogate pair is never split.
    expect(sink.messages()[0].numSegments).toBe(Math.ceil(1600 / 33));
  });

  it('refuses wrong credentials (20003) and another account (20404)', async () => {
    expect(await refusal({ to: '+14155550100', from, body: 'x' }, createTwilio(TEST_ACCOUNT_SID, 'wrong', sink.url))).toMatchObject({ status: 401, code: 20003 });
    const other = `AC${'0'.repeat(31)}2`;
    expect(await refusal({ to: '+14155550100', from, body: 'x' }, createTwilio(other, TEST_AUTH_TOKEN, sink.url))).toMatchObject({ status: 401, code: 20003 });
    const raw = await fetch(`${sink.url}/2010-04-01/Accounts/${other}/Messages.json`, {
      method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${TEST_ACCOUNT_SID}:${TEST_AUTH_TOKEN}`).toString('base64')}` }, body: '',
    });
    expect(raw.status).toBe(404);
    expect(await raw.json()).toEqual({ code: 20404, message: expect.any(String), more_info: 'https://www.twilio.com/docs/errors/20404', status: 404 });
  });

  it('answers 429 and 5xx on demand, and slowly; the product retries those and fails only a refused recipient', async () => {
    sink.failNext(1, { status: 429 });
    const throttled = await refusal({ to: '+14155550100', from, body: 'x' });
    expect(throttled).toMatchObject({ status: 429, code: 20429 });
    expect(twilioFailure(throttled)).toMatchObject({ type: 'ProviderUnavailable', nonRetryable: false });
    sink.failFor(60_000, { status: 503 });
    expect(await refusal({ to: '+14155550100', from, body: 'x' })).toMatchObject({ status: 503, code: 20500 });
    sink.reset();
    sink.refuseNumbers(['+14155550199']);
    const notMobile = await refusal({ to: '+14155550199', from, body: 'x' });
    expect(refusedRecipient(notMobile)).toMatch(/^Twilio 21614: /);
    expect(refusedRecipient(throttled)).toBeNull();
    expect(twilioFailure(await refusal({ to: '+14155550100', from: 'bad', body: 'x' }))).toMatchObject({ type: 'ProviderRejected', nonRetryable: true });
    sink.setLatency(300);
    const started = Date.now();
    await sendText(provider, { to: '+14155550100', from, body: 'slow' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  describe('the handset side', () => {
    let webhook: Server;
    let url: string;
    const received: { headers: Record<string, unknown>; form: Record<string, string> }[] = [];

    beforeAll(async () => {
      webhook = createServer((req, res) => {
        let raw = '';
        req.on('data', (chunk: Buffer) => { raw += chunk.toString('utf8'); });
        req.on('end', () => {
          received.push({ headers: req.headers, form: Object.fromEntries(new URLSearchParams(raw)) });
          res.writeHead(200, { 'Content-Type': 'text/xml' }).end('<Response/>');
        });
      });
      await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/webhooks/twilio/inbound?client=x`;
    });
    afterAll(async () => { await new Promise((resolve) => webhook.close(resolve)); });

    it('posts an inbound text signed as Twilio signs, which the SDK validates', async () => {
      received.length = 0;
      const answer = await sink.inbound(url, { from: '+14155550100', to: from, body: 'Hello there' });
      expect(answer).toEqual({ status: 200, contentType: 'text/xml', body: '<Response/>' });
      const [{ headers, form }] = received;
      expect(form).toMatchObject({ From: '+14155550100', To: from, Body: 'Hello there', AccountSid: TEST_ACCOUNT_SID, SmsStatus: 'received' });
      expect(form.MessageSid).toMatch(/^SM[0-9a-f]{32}$/);
      const signature = headers['x-twilio-signature'] as string;
      expect(signature).toBe(twilioSignature(TEST_AUTH_TOKEN, url, form));
      expect(twilio.validateRequest(TEST_AUTH_TOKEN, signature, url, form)).toBe(true);
      expect(twilio.validateRequest(TEST_AUTH_TOKEN, signature, url, { ...form, Body: 'Hello therE' })).toBe(false);
    });

    it('keeps Twilio\'s own opt-out list: STOP to a sender refuses its texts (21610) until START', async () => {
      await sink.inbound(url, { from: '+14155550100', to: from, body: ' stop ' });
      expect(await refusal({ to: '+14155550100', from, body: 'x' })).toMatchObject({ status: 400, code: 21610 });
      await sendText(provider, { to: '+14155550100', from: '+15005550007', body: 'another sender is not blocked' });
      await sink.inbound(url, { from: '+14155550100', to: from, body: 'START' });
      await sendText(provider, { to: '+14155550100', from, body: 'welcome back' });
    });

    it('reports a message\'s status to its StatusCallback, signed', async () => {
      received.length = 0;
      const sent = await sendText(provider, { to: '+14155550100', from, body: 'x', statusCallback: url });
      await sink.statusCallback(sent.sid, 'delivered');
      expect(received[0].form).toMatchObject({ MessageSid: sent.sid, MessageStatus: 'delivered' });
      expect(twilio.validateRequest(TEST_AUTH_TOKEN, received[0].headers['x-twilio-signature'] as string, url, received[0].form)).toBe(true);
    });
  });
});
