import { signUnsubscribeToken } from '../../domain/email/unsubscribe-token';
import { type ApiHarness, databaseFingerprint, startApi } from '../api/support';
import type { SinkRequest } from '../fakes/sendgrid-sink';
import { type CampaignHarness, UNSUBSCRIBE_SECRET, eventually, startCampaignHarness } from '../support/campaign-harness';

const DAY_MS = 86_400_000;

/**
 * One-click unsubscribe (RFC 8058) and preference changes, synced to SendGrid's suppressions by a
 * workflow whose activity retries through rate limits and outages.
 */
describe('unsubscribe links and suppression sync', () => {
  let h: CampaignHarness;
  let api: ApiHarness;
  let client: { id: string; key: string };
  let emails: string[];
  let donorIds: string[];

  const token = (donorId: string, issuedAt = Date.now()) =>
    signUnsubscribeToken({ clientId: client.id, donorId, campaignId: null, issuedAt }, UNSUBSCRIBE_SECRET);
  const oneClick = (value: string) => api.request({
    method: 'POST', url: `/unsubscribe/${value}`, payload: 'List-Unsubscribe=One-Click',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const marketingOptOut = async (donorId: string) => (await api.fixtures.query<{ unsubscribed: boolean }>(
    `select exists (select 1 from notification_preferences where donor_id = $1 and category = 'marketing' and unsubscribed_at is not null) as unsubscribed`,
    [donorId]))[0].unsubscribed;
  /** The client's own marketing unsubscribe group at SendGrid (its description names the client). */
  const group = () => {
    const own = h.sink.unsubscribeGroups().find((g) => g.description.includes(client.id));
    return own ? h.sink.suppressions().groups[String(own.id)] ?? [] : [];
  };
  const suppressionCalls = (email: string) => h.sink.requests.filter((r: SinkRequest) => r.path.includes('/asm/')
    && (JSON.stringify(r.body ?? '').includes(email) || r.path.includes(encodeURIComponent(email))));

  beforeAll(async () => {
    h = await startCampaignHarness();
    api = await startApi({ db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue: h.temporal.taskQueue } });
    client = await api.client('Preferences Org');
    emails = ['one@donors.test', 'two@donors.test', 'three@donors.test', 'four@donors.test', 'five@donors.test'];
    donorIds = await api.fixtures.donors(client.id, emails.map((email) => ({ email })));
  });
  afterAll(async () => {
    await api?.close();
    await h?.close();
  });

  it('the link\'s page asks first and changes nothing; the one-click POST unsubscribes and syncs the group', async () => {
    const before = await databaseFingerprint(api.fixtures);
    const page = await api.request({ url: `/unsubscribe/${token(donorIds[0])}` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toMatch(/<form method="post">/);
    expect(await databaseFingerprint(api.fixtures)).toBe(before);

    const done = await oneClick(token(donorIds[0]));
    expect(done.statusCode).toBe(200);
    expect(done.body).toMatch(/You are unsubscribed/);
    expect(await marketingOptOut(donorIds[0])).toBe(true);
    await eventually(async () => (group().includes(emails[0]) ? true : undefined), 15_000, 'the group suppression');
    expect(h.sink.suppressions().global).not.toContain(emails[0]);

    // Clicking again (or a mail client's retry) is harmless.
    expect((await oneClick(token(donorIds[0]))).statusCode).toBe(200);
  });

  it('one-click accepts what mail clients send: form-urlencoded, multipart (RFC 8058), no body, tracking query parameters', async () => {
    const multipart = async (fields: Record<string, string>) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      const encoded = new Response(form); // the platform's own multipart encoder, as a mail client's
      return { payload: await encoded.text(), headers: { 'content-type': encoded.headers.get('content-type')! } };
    };
    const variants: [string, (donorToken: string) => Promise<{ url: string; payload?: string; headers?: Record<string, string> }>][] = [
      ['form-urlencoded', async (t) => ({ url: `/unsubscribe/${t}`, payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } })],
      ['multipart/form-data', async (t) => ({ url: `/unsubscribe/${t}`, ...(await multipart({ 'List-Unsubscribe': 'One-Click' })) })],
      ['no body, no content type', async (t) => ({ url: `/unsubscribe/${t}` })],
      ['empty form body', async (t) => ({ url: `/unsubscribe/${t}`, payload: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } })],
      ['utm parameters', async (t) => ({ url: `/unsubscribe/${t}?utm_source=newsletter&utm_medium=email&utm_campaign=spring`, payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } })],
      ['another field value', async (t) => ({ url: `/unsubscribe/${t}`, payload: 'List-Unsubscribe=Yes', headers: { 'content-type': 'application/x-www-form-urlencoded' } })],
    ];
    const ids = await api.fixtures.donors(client.id, variants.map((_, i) => ({ email: `client-${i}@mailers.test` })));
    for (const [i, [name, build]] of variants.entries()) {
      const response = await api.request({ method: 'POST', ...(await build(token(ids[i]))) });
      expect([name, response.statusCode, response.body]).toEqual([name, 200, expect.stringMatching(/You are unsubscribed/)]);
      expect([name, await marketingOptOut(ids[i])]).toEqual([name, true]);
    }
    // The page a donor opens from a link with tracking parameters asks, as without them.
    const page = await api.request({ url: `/unsubscribe/${token(ids[0])}?utm_source=newsletter` });
    expect(page.statusCode).toBe(200);

    // Only the token can be wrong: a forged one is refused whatever the body.
    const [payload, signature] = token(donorIds[2]).split('.');
    const forged = `${payload}.${signature.slice(0, -2)}xx`;
    const before = await databaseFingerprint(api.fixtures);
    for (const [name, build] of variants) {
      const response = await api.request({ method: 'POST', ...(await build(forged)) });
      expect([name, response.statusCode, response.json().errors]).toEqual([name, 400, [{ field: 'params.token', message: 'this unsubscribe link is invalid or has expired' }]]);
    }
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
  });

  it('a link keeps working 45 days after the send; forged, altered and 61-day-old links change nothing', async () => {
    expect((await oneClick(token(donorIds[1], Date.now() - 45 * DAY_MS))).statusCode).toBe(200);
    expect(await marketingOptOut(donorIds[1])).toBe(true);

    const before = await databaseFingerprint(api.fixtures);
    const [payload, signature] = token(donorIds[2]).split('.');
    const otherPayload = token(donorIds[3]).split('.')[0];
    const refused = [
      await oneClick(token(donorIds[2], Date.now() - 61 * DAY_MS)),
      await oneClick(`${otherPayload}.${signature}`),
      await oneClick(`${payload}.${signature.slice(0, -2)}xx`),
      await oneClick(signUnsubscribeToken({ clientId: client.id, donorId: donorIds[2], campaignId: null, issuedAt: Date.now() }, 'another-secret-another-secret-another-secret')),
      await api.request({ url: `/unsubscribe/${payload}` }),
    ];
    for (const response of refused) {
      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([{ field: 'params.token', message: 'this unsubscribe link is invalid or has expired' }]);
    }
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
  });

  it('an "all" unsubscribe through the API reaches the client\'s own group (never the global list), and so does the resubscribe', async () => {
    const url = `/v1/clients/${client.id}/donors/${donorIds[2]}/notification-preferences/all`;
    expect((await api.call(client.key, { method: 'PATCH', url, payload: { unsubscribed: true } })).statusCode).toBe(200);
    await eventually(async () => (group().includes(emails[2]) ? true : undefined), 15_000, 'the group suppression');
    expect((await api.call(client.key, { method: 'PATCH', url, payload: { unsubscribed: false, email_enabled: true } })).statusCode).toBe(200);
    await eventually(async () => (group().includes(emails[2]) ? undefined : true), 15_000, 'the suppression lifted');
    expect(h.sink.requests.filter((r) => r.path.startsWith('/v3/asm/suppressions/global'))).toEqual([]);
  });

  it('syncs through 429s (waiting as Retry-After asks) and 5xx, suppressing exactly once', async () => {
    h.sink.failFor(3_000, { status: 429, retryAfterSeconds: 2 });
    expect((await oneClick(token(donorIds[3]))).statusCode).toBe(200); // the donor is answered at once
    await eventually(async () => (group().includes(emails[3]) ? true : undefined), 30_000, 'the sync after the 429s');
    const calls = suppressionCalls(emails[3]);
    const limited = calls.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    for (let i = 1; i < calls.length; i++) {
      if (calls[i - 1].status === 429) expect(calls[i].at - calls[i - 1].at).toBeGreaterThanOrEqual(1_900);
    }
    expect(calls.filter((r) => r.method === 'POST' && r.status < 300)).toHaveLength(1);

    h.sink.failNext(3, { status: 503 });
    expect((await oneClick(token(donorIds[4]))).statusCode).toBe(200);
    await eventually(async () => (group().includes(emails[4]) ? true : undefined), 30_000, 'the sync after the 503s');
    expect(suppressionCalls(emails[4]).filter((r) => r.status === 503).length).toBeGreaterThan(0);
    expect(suppressionCalls(emails[4]).filter((r) => r.method === 'POST' && r.status < 300)).toHaveLength(1);
  }, 60_000);
});
