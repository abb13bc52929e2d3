import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Client } from '@sendgrid/client';
import type { ClientRequest } from '@sendgrid/client/src/request';
import { MailService } from '@sendgrid/mail';
import { SendGridSink } from './sendgrid-sink';

/** The sink driven through the real SendGrid SDK, as the product drives SendGrid. */

interface SdkError { code?: number; response?: { headers: Record<string, string>; body: { errors: { message: string; field: string | null; help: string | null }[] } } }

const FROM = { email: 'campaigns@track15.test', name: 'Track15' };

function sdk(baseUrl: string, apiKey: string | null = 'SG.test-key'): { mail: MailService; client: Client } {
  const client = new Client();
  if (apiKey) client.setApiKey(apiKey);
  client.setDefaultRequest('baseUrl', baseUrl);
  const mail = new MailService();
  mail.setClient(client);
  return { mail, client };
}

function mailTo(addresses: string[]) {
  return {
    from: FROM,
    subject: 'Day 1: the story begins',
    html: '<p>Hello {{first_name}}</p>',
    text: 'Hello {{first_name}}',
    personalizations: addresses.map((email) => ({ to: [{ email }] })),
  };
}

async function rejection(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error('expected the SendGrid call to fail');
}

describe('SendGridSink', () => {
  let sink: SendGridSink;
  let mail: MailService;
  let client: Client;

  beforeEach(async () => {
    sink = await SendGridSink.start();
    ({ mail, client } = sdk(sink.url));
  });
  afterEach(async () => { await sink.stop(); });

  describe('mail/send', () => {
    it('records one delivery per personalization with merged custom_args and headers', async () => {
      const [response] = await mail.send({
        from: FROM,
        subject: 'Top-level subject',
        html: '<p>Hi</p>',
        customArgs: { campaign_id: 'c-1', step_number: '1' },
        headers: { 'X-Campaign': 'c-1' },
        personalizations: [
          { to: [{ email: 'ann@donors.test', name: 'Ann' }], customArgs: { donor_id: 'd-1' }, headers: { 'List-Unsubscribe': '<https://u/1>' } },
          { to: [{ email: 'bob@donors.test' }], subject: 'Bob, a word', customArgs: { donor_id: 'd-2', step_number: '9' } },
          { to: [{ email: 'cy@donors.test' }] },
        ],
      });

      expect(response.statusCode).toBe(202);
      const messageId = response.headers['x-message-id'];
      expect(messageId).toMatch(/^[\w-]{22}$/);
      expect(sink.deliveries()).toEqual([
        { messageId, receivedAt: expect.any(Number), to: 'ann@donors.test', name: 'Ann', subject: 'Top-level subject', personalization: 0, customArgs: { campaign_id: 'c-1', step_number: '1', donor_id: 'd-1' }, headers: { 'X-Campaign': 'c-1', 'List-Unsubscribe': '<https://u/1>' } },
        { messageId, receivedAt: expect.any(Number), to: 'bob@donors.test', subject: 'Bob, a word', personalization: 1, customArgs: { campaign_id: 'c-1', step_number: '9', donor_id: 'd-2' }, headers: { 'X-Campaign': 'c-1' } },
        { messageId, receivedAt: expect.any(Number), to: 'cy@donors.test', subject: 'Top-level subject', personalization: 2, customArgs: { campaign_id: 'c-1', step_number: '1' }, headers: { 'X-Campaign': 'c-1' } },
      ]);
      expect(sink.mails()).toEqual([{ messageId, receivedAt: expect.any(Number), body: expect.objectContaining({ subject: 'Top-level subject' }) }]);
      expect(sink.requests).toEqual([expect.objectContaining({ method: 'POST', path: '/v3/mail/send', status: 202 })]);
      expect(sink.requests[0].headers.authorization).toBe('Bearer SG.test-key');
    });

    it('flattens a personalization with several to addresses into one delivery each', async () => {
      await mail.send({ ...mailTo([]), personalizations: [{ to: [{ email: 'a@donors.test' }, { email: 'b@donors.test' }] }] });
      expect(sink.deliveries().map((d) => d.to)).toEqual(['a@donors.test', 'b@donors.test']);
    });

    it('answers 401 in SendGrid\'s error shape without an API key', async () => {
      const anonymous = sdk(sink.url, null);
      const error = await rejection(anonymous.mail.send(mailTo(['a@donors.test'])));
      expect(error.code).toBe(401);
      expect(error.response?.body).toEqual({ errors: [{ field: null, message: 'authorization required', help: null }] });
      expect(sink.deliveries()).toEqual([]);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['no personalizations', { personalizations: [] }, 'personalizations'],
      ['more than 1,000 personalizations', { personalizations: [...Array(1001)].map((_, i) => ({ to: [{ email: `r${i}@donors.test` }] })) }, 'personalizations'],
      ['a personalization without to', { personalizations: [{ to: [{ email: 'a@donors.test' }] }, { subject: 'x' }] }, 'personalizations.1.to'],
      ['no from', { from: undefined }, 'from.email'],
      ['no subject anywhere', { subject: undefined }, 'subject'],
      ['neither content nor template_id', { content: undefined }, 'content'],
      // SendGrid's documented data limits (each one a request builder could break):
      ['a to.name with a comma', { personalizations: [{ to: [{ email: 'a@donors.test', name: 'Lee, Ann' }] }] }, 'personalizations.0.to.0.name'],
      ['a cc.name with a semicolon', { personalizations: [{ to: [{ email: 'a@donors.test' }], cc: [{ email: 'b@donors.test', name: 'A; B' }] }] }, 'personalizations.0.cc.0.name'],
      ['custom_args of 10,000 bytes', { custom_args: { big: 'x'.repeat(9_990) } }, 'custom_args'],
      ['custom_args reaching 10,000 bytes once merged', { custom_args: { a: 'x'.repeat(5_000) }, personalizations: [{ to: [{ email: 'a@donors.test' }], custom_args: { b: 'x'.repeat(5_000) } }] }, 'personalizations.0.custom_args'],
      ['substitutions over 10,000 bytes', { personalizations: [{ to: [{ email: 'a@donors.test' }], substitutions: { '-n-': 'x'.repeat(10_000) } }] }, 'personalizations.0.substitutions'],
      ['a substitution that is not a string', { personalizations: [{ to: [{ email: 'a@donors.test' }], substitutions: { '-n-': 5 } }] }, 'personalizations.0.substitutions'],
      ['an empty subject', { subject: ' ' }, 'subject'],
      ['a subject with a line break', { subject: 'Hi\r\nBcc: x@y.test' }, 'subject'],
      ['a subject longer than a header line', { subject: 'x'.repeat(999) }, 'subject'],
      ['a personalization subject longer than a header line', { personalizations: [{ to: [{ email: 'a@donors.test' }], subject: 'x'.repeat(999) }] }, 'personalizations.0.subject'],
      ['a reserved header', { headers: { 'Reply-To': 'x@y.test' } }, 'headers.Reply-To'],
      ['a reserved personalization header, in any case', { personalizations: [{ to: [{ email: 'a@donors.test' }], headers: { 'x-sg-id': '1' } }] }, 'personalizations.0.headers.x-sg-id'],
      ['a header name with a colon', { headers: { 'X:A': '1' } }, 'headers.X:A'],
      ['a header value that is not a string', { headers: { 'X-A': 1 } }, 'headers.X-A'],
      ['a header value with a line break', { headers: { 'X-A': 'a\r\nBcc: x@y.test' } }, 'headers.X-A'],
      ['a header value with unencoded unicode', { headers: { 'X-A': 'René' } }, 'headers.X-A'],
      ['a header longer than a line', { headers: { 'X-A': 'x'.repeat(998) } }, 'headers.X-A'],
      ['a unicode from address', { from: { email: 'rené@track15.test' } }, 'from.email'],
    ])('answers 400 for %s', async (_, override, field) => {
      const body = {
        from: FROM, subject: 'S', content: [{ type: 'text/plain', value: 'Hi' }],
        personalizations: [{ to: [{ email: 'a@donors.test' }] }],
        ...override,
      };
      const error = await rejection(client.request({ method: 'POST', url: '/v3/mail/send', body }));
      expect(error.code).toBe(400);
      expect(error.response?.body.errors).toContainEqual({ field, message: expect.any(String), help: expect.stringContaining('sendgrid.com/docs') });
      expect(sink.deliveries()).toEqual([]);
    });

    it('applies each personalization\'s substitutions to subject, text and html, as SendGrid does', async () => {
      await client.request({
        method: 'POST', url: '/v3/mail/send',
        body: {
          from: FROM, subject: 'Hi -n-', content: [{ type: 'text/plain', value: 'Dear -n-, -n-' }, { type: 'text/html', value: '<p>Dear -h-</p>' }],
          personalizations: [
            { to: [{ email: 'a@donors.test' }], substitutions: { '-n-': 'Anne & Tom', '-h-': 'Anne &amp; Tom' } },
            { to: [{ email: 'b@donors.test' }], subject: 'Own -n-', substitutions: { '-n-': 'Bo', '-h-': 'Bo' } },
          ],
        },
      });
      const [anne, bo] = sink.deliveries();
      expect(sink.messageOf(anne)).toEqual({ subject: 'Hi Anne & Tom', text: 'Dear Anne & Tom, Anne & Tom', html: '<p>Dear Anne &amp; Tom</p>' });
      expect(sink.messageOf(bo)).toEqual({ subject: 'Own Bo', text: 'Dear Bo, Bo', html: '<p>Dear Bo</p>' });
    });

    it('accepts a template send without subject or content', async () => {
      const body = { from: FROM, template_id: 'd-123', personalizations: [{ to: [{ email: 'a@donors.test' }] }] };
      const [response] = await client.request({ method: 'POST', url: '/v3/mail/send', body });
      expect(response.statusCode).toBe(202);
    });

    it.each([
      ['a rejected address', 'bob@donors.test'],
      ['a malformed address', 'bob at donors'],
    ])('answers 400 naming the personalization of %s and records nothing', async (_, bad) => {
      sink.rejectAddresses(['BOB@donors.test']);
      const error = await rejection(mail.send(mailTo(['ann@donors.test', bad, 'cy@donors.test'])));
      expect(error.code).toBe(400);
      expect(error.response?.body.errors).toEqual([{
        message: 'Does not contain a valid address.',
        field: 'personalizations.1.to.0.email',
        help: expect.stringContaining('sendgrid.com'),
      }]);
      expect(sink.deliveries()).toEqual([]);
      expect(sink.mails()).toEqual([]);

      await mail.send(mailTo(['ann@donors.test', 'cy@donors.test']));
      expect(sink.deliveries().map((d) => d.to)).toEqual(['ann@donors.test', 'cy@donors.test']);
    });
  });

  describe('faults', () => {
    it('answers 429 with Retry-After and X-RateLimit headers', async () => {
      sink.failNext(1, { status: 429, retryAfterSeconds: 2 });
      const error = await rejection(mail.send(mailTo(['a@donors.test'])));
      expect(error.code).toBe(429);
      const headers = error.response!.headers;
      expect(headers['retry-after']).toBe('2');
      expect(headers['x-ratelimit-limit']).toMatch(/^\d+$/);
      expect(headers['x-ratelimit-remaining']).toBe('0');
      expect(Number(headers['x-ratelimit-reset'])).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
      expect(error.response!.body.errors[0].message).toBe('too many requests');
      expect(sink.deliveries()).toEqual([]);
    });

    it('failNext counts down, then answers normally; faulted requests are recorded', async () => {
      sink.failNext(2, { status: 503 });
      for (let i = 0; i < 2; i++) {
        const error = await rejection(mail.send(mailTo([`a${i}@donors.test`])));
        expect(error.code).toBe(503);
        expect(error.response?.body.errors[0]).toMatchObject({ field: null, message: expect.any(String) });
      }
      await mail.send(mailTo(['ok@donors.test']));
      expect(sink.requests.map((r) => r.status)).toEqual([503, 503, 202]);
      expect(sink.deliveries().map((d) => d.to)).toEqual(['ok@donors.test']);
    });

    it('failFor faults every request in its window, then expires', async () => {
      sink.failFor(300, { status: 500, body: { errors: [{ message: 'custom outage' }] } });
      const first = await rejection(mail.send(mailTo(['a@donors.test'])));
      const second = await rejection(client.request({ method: 'GET', url: '/v3/asm/suppressions/global/a@donors.test' }));
      expect([first.code, second.code]).toEqual([500, 500]);
      expect(first.response?.body).toEqual({ errors: [{ message: 'custom outage' }] });
      await new Promise((resolve) => setTimeout(resolve, 320));
      const [response] = await mail.send(mailTo(['a@donors.test']));
      expect(response.statusCode).toBe(202);
    });

    it('delays answers by the configured latency', async () => {
      sink.setLatency(200);
      const started = Date.now();
      await mail.send(mailTo(['a@donors.test']));
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      sink.setLatency(0);
      const again = Date.now();
      await mail.send(mailTo(['b@donors.test']));
      expect(Date.now() - again).toBeLessThan(150);
    });

    it('reset clears recorded data, suppressions and faults', async () => {
      await mail.send(mailTo(['a@donors.test']));
      await client.request({ method: 'POST', url: '/v3/asm/suppressions/global', body: { recipient_emails: ['a@donors.test'] } });
      sink.failNext(5, { status: 503 });
      sink.rejectAddresses(['b@donors.test']);
      sink.reset();
      expect([sink.requests, sink.deliveries(), sink.drops(), sink.unsubscribeGroups(), sink.suppressions()]).toEqual([[], [], [], [], { global: [], groups: {} }]);
      await mail.send(mailTo(['b@donors.test']));
      expect(sink.deliveries()).toHaveLength(1);
    });
  });

  describe('suppressions', () => {
    const request = (req: ClientRequest) => client.request(req).then(([response, body]) => ({ status: response.statusCode, body }));

    it('adds, reads and removes global suppressions idempotently', async () => {
      const added = await request({ method: 'POST', url: '/v3/asm/suppressions/global', body: { recipient_emails: ['a@donors.test', 'b@donors.test'] } });
      expect(added).toEqual({ status: 201, body: { recipient_emails: ['a@donors.test', 'b@donors.test'] } });
      await request({ method: 'POST', url: '/v3/asm/suppressions/global', body: { recipient_emails: ['a@donors.test'] } });
      expect(sink.suppressions().global).toEqual(['a@donors.test', 'b@donors.test']);

      expect(await request({ method: 'GET', url: '/v3/asm/suppressions/global/a%40donors.test' })).toEqual({ status: 200, body: { recipient_email: 'a@donors.test' } });
      expect(await request({ method: 'DELETE', url: '/v3/asm/suppressions/global/a%40donors.test' })).toMatchObject({ status: 204 });
      expect(await request({ method: 'DELETE', url: '/v3/asm/suppressions/global/a%40donors.test' })).toMatchObject({ status: 204 });
      expect(await request({ method: 'GET', url: '/v3/asm/suppressions/global/a%40donors.test' })).toEqual({ status: 200, body: {} });
      expect(sink.suppressions().global).toEqual(['b@donors.test']);
    });

    const createGroup = async (name: string) => (await request({ method: 'POST', url: '/v3/asm/groups', body: { name, description: `${name} mail`, is_default: false } })).body as { id: number };

    it('adds and removes group suppressions idempotently, in groups created through the API only', async () => {
      const [one, two] = [await createGroup('one marketing'), await createGroup('two marketing')];
      for (let i = 0; i < 2; i++) {
        const added = await request({ method: 'POST', url: `/v3/asm/groups/${one.id}/suppressions`, body: { recipient_emails: ['a@donors.test'] } });
        expect(added.status).toBe(201);
      }
      await request({ method: 'POST', url: `/v3/asm/groups/${two.id}/suppressions`, body: { recipient_emails: ['b@donors.test'] } });
      expect(sink.suppressions().groups).toEqual({ [one.id]: ['a@donors.test'], [two.id]: ['b@donors.test'] });
      expect(await request({ method: 'DELETE', url: `/v3/asm/groups/${one.id}/suppressions/a%40donors.test` })).toMatchObject({ status: 204 });
      expect(sink.suppressions().groups).toEqual({ [one.id]: [], [two.id]: ['b@donors.test'] });
      expect((await rejection(client.request({ method: 'POST', url: '/v3/asm/groups/99999/suppressions', body: { recipient_emails: ['a@donors.test'] } }))).code).toBe(404);
    });

    it('creates and lists groups as the Unsubscribe Groups API does: names unique and ≤ 30 characters, descriptions ≤ 100', async () => {
      const created = await request({ method: 'POST', url: '/v3/asm/groups', body: { name: 'Food Bank marketing', description: 'Campaign email from Food Bank', is_default: false } });
      expect(created).toEqual({ status: 201, body: { id: expect.any(Number), name: 'Food Bank marketing', description: 'Campaign email from Food Bank', is_default: false } });
      const refusals = [
        { name: 'Food Bank marketing', description: 'again' },
        { name: 'x'.repeat(31), description: 'too long a name' },
        { name: 'long description', description: 'x'.repeat(101) },
        { name: 'no description' },
      ];
      for (const body of refusals) expect((await rejection(client.request({ method: 'POST', url: '/v3/asm/groups', body }))).code).toBe(400);
      expect((await request({ method: 'GET', url: '/v3/asm/groups' })).body).toEqual([{ ...(created.body as object), unsubscribes: 0 }]);
    });

    it('mail under an unsubscribe group drops the addresses suppressed in that group or globally, and only those', async () => {
      const [mine, theirs] = [await createGroup('mine'), await createGroup('theirs')];
      await request({ method: 'POST', url: `/v3/asm/groups/${mine.id}/suppressions`, body: { recipient_emails: ['left@donors.test'] } });
      await request({ method: 'POST', url: `/v3/asm/groups/${theirs.id}/suppressions`, body: { recipient_emails: ['shared@donors.test'] } });
      await request({ method: 'POST', url: '/v3/asm/suppressions/global', body: { recipient_emails: ['everyone-left@donors.test'] } });
      const [response] = await mail.send({ ...mailTo(['Left@Donors.test', 'shared@donors.test', 'everyone-left@donors.test']), asm: { groupId: mine.id } });
      expect(response.statusCode).toBe(202); // accepted, then dropped, as SendGrid does
      expect(sink.deliveries().map((d) => d.to)).toEqual(['shared@donors.test']);
      expect(sink.drops().map((d) => [d.to, d.reason, d.groupId])).toEqual([
        ['Left@Donors.test', 'Unsubscribed Address', mine.id], ['everyone-left@donors.test', 'Unsubscribed Address', mine.id],
      ]);
      // Without a group only the global list applies.
      await mail.send(mailTo(['left@donors.test', 'everyone-left@donors.test']));
      expect(sink.deliveries().map((d) => d.to)).toEqual(['shared@donors.test', 'left@donors.test']);
    });

    it('refuses mail under a group that was never created, or with a group id that is not an integer', async () => {
      for (const asm of [{ groupId: 4242 }, { groupId: '7' }]) {
        const error = await rejection(client.request({ method: 'POST', url: '/v3/mail/send', body: { ...JSON.parse(JSON.stringify({ ...mailTo(['a@donors.test']), content: [{ type: 'text/plain', value: 'Hi' }] })), asm: { group_id: asm.groupId } } }));
        expect([error.code, error.response?.body.errors[0].field]).toEqual([400, 'asm.group_id']);
      }
      expect(sink.deliveries()).toEqual([]);
    });

    it('survives a malformed path escape', async () => {
      const error = await rejection(client.request({ method: 'DELETE', url: '/v3/asm/suppressions/global/%E0%A4%A' }));
      expect(error.code).toBe(500);
      expect((await request({ method: 'GET', url: '/v3/asm/suppressions/global/a%40donors.test' })).status).toBe(200);
    });

    it('answers 400 for a body without recipient_emails', async () => {
      const error = await rejection(client.request({ method: 'POST', url: '/v3/asm/suppressions/global', body: { emails: ['a@donors.test'] } }));
      expect(error.code).toBe(400);
      expect(error.response?.body.errors[0].field).toBe('recipient_emails');
    });
  });

  it('finds accepted recipients through the Email Activity query on unique_args', async () => {
    const send = (key: string, addresses: string[]) => mail.send({
      ...mailTo([]), personalizations: addresses.map((email) => ({ to: [{ email }], customArgs: { send_key: key } })),
    });
    const [first] = await send('k-1', ['a@donors.test', 'b@donors.test']);
    await send('k-2', ['c@donors.test']);
    const [, body] = await client.request({ method: 'GET', url: '/v3/messages', qs: { limit: 1000, query: `unique_args['send_key']="k-1"` } });
    const { messages } = body as { messages: { to_email: string; msg_id: string; status: string }[] };
    expect(messages.map((m) => m.to_email)).toEqual(['a@donors.test', 'b@donors.test']);
    expect(messages.every((m) => m.msg_id.startsWith(`${first.headers['x-message-id']}.`) && m.status === 'delivered')).toBe(true);
    expect(new Set(messages.map((m) => m.msg_id)).size).toBe(2);
  });

  describe('control API', () => {
    const control = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${sink.url}/__sink/${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: response.status, body: response.status === 204 ? null : await response.json() };
    };

    it('reads what was recorded and is never faulted or delayed', async () => {
      await mail.send(mailTo(['a@donors.test']));
      await control('POST', 'faults', { mode: 'next', count: 5, fault: { status: 503 } });
      await control('POST', 'latency', { ms: 1_000 });
      const started = Date.now();
      const deliveries = await control('GET', 'deliveries');
      expect(deliveries).toEqual({ status: 200, body: [expect.objectContaining({ to: 'a@donors.test' })] });
      expect((await control('GET', 'requests')).body).toEqual([expect.objectContaining({ path: '/v3/mail/send', status: 202 })]);
      expect(await control('GET', 'suppressions')).toEqual({ status: 200, body: { global: [], groups: {} } });
      expect(Date.now() - started).toBeLessThan(500);
    });

    it('sets faults, latency and rejected addresses, and resets', async () => {
      expect((await control('POST', 'faults', { mode: 'next', count: 1, fault: { status: 429, retryAfterSeconds: 1 } })).status).toBe(204);
      expect((await rejection(mail.send(mailTo(['a@donors.test'])))).code).toBe(429);

      await control('POST', 'faults', { mode: 'for', durationMs: 60_000, fault: { status: 502 } });
      expect((await rejection(mail.send(mailTo(['a@donors.test'])))).code).toBe(502);
      await control('POST', 'reset');
      expect(sink.requests).toEqual([]);

      await control('POST', 'reject', { addresses: ['bad@donors.test'] });
      expect((await rejection(mail.send(mailTo(['bad@donors.test'])))).response?.body.errors[0].field).toBe('personalizations.0.to.0.email');

      await control('POST', 'latency', { ms: 150 });
      const started = Date.now();
      await mail.send(mailTo(['good@donors.test']));
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('answers 400 naming the problem for a malformed control body', async () => {
      const answer = await control('POST', 'faults', { mode: 'next', fault: { status: 503 } });
      expect(answer.status).toBe(400);
      expect((answer.body as { error: string }).error).toMatch(/count/);
    });
  });
});

describe('SendGridSink.stop', () => {
  const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;

  it('closes the server and every socket, even with keep-alive clients and a delayed answer in flight', async () => {
    const before = sockets();
    const sink = await SendGridSink.start();
    const { mail } = sdk(sink.url);
    await mail.send(mailTo(['a@donors.test']));
    sink.setLatency(10_000);
    const inFlight = mail.send(mailTo(['b@donors.test'])).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));

    await sink.stop();
    await inFlight;
    for (let i = 0; i < 50 && sockets() > before; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sockets()).toBeLessThanOrEqual(before);
    await expect(fetch(`${sink.url}/__sink/requests`)).rejects.toThrow();
  });
});

describe('sendgrid-sink-server', () => {
  it('starts on SINK_PORT, logs its URL, and exits cleanly on SIGTERM', async () => {
    // Started as scripts/lib/stack.sh starts it: the tsx CLI would stand between, relaying SIGTERM twice when slow.
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'sendgrid-sink-server.ts')], { env: { ...process.env, SINK_PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line.toString())?.[1];
    expect(url).toBeDefined();
    expect((await fetch(`${url}/__sink/deliveries`)).status).toBe(200);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
