import { stopCampaign } from '../../workflows/campaigns/lifecycle';
import { type ApiHarness, startApi } from '../api/support';
import { type CampaignHarness, eventually, startCampaignHarness } from '../support/campaign-harness';

/**
 * One SendGrid account, many clients (issue 10 item 8): each client's opt-outs live in that client's own
 * unsubscribe group, created through the API and recorded by the product, and its campaign mail goes
 * out under that group. One address that is a donor of two clients shows that neither client's
 * preference change adds or removes the other's suppression, nor stops the other's mail.
 */
describe('suppressions stay within their client at SendGrid', () => {
  const SHARED = 'shared@donors.test';
  let h: CampaignHarness;
  let api: ApiHarness;
  let a: { id: string; key: string };
  let b: { id: string; key: string };
  let sharedA: string;
  let sharedB: string;
  let othersA: string[];

  const preference = (client: { id: string; key: string }, donorId: string, category: string, payload: Record<string, boolean>) =>
    api.call(client.key, { method: 'PATCH', url: `/v1/clients/${client.id}/donors/${donorId}/notification-preferences/${category}`, payload });
  const recordedGroups = async (clientId: string) => (await api.fixtures.query<{ category: string; group_id: number }>(
    'select category, group_id from sendgrid_unsubscribe_groups where client_id = $1', [clientId]));
  const groupOf = async (clientId: string) => {
    const [row] = await recordedGroups(clientId);
    return row?.group_id;
  };
  const suppressedIn = (groupId: number | undefined) => (groupId === undefined ? [] : h.sink.suppressions().groups[String(groupId)] ?? []);

  beforeAll(async () => {
    h = await startCampaignHarness();
    api = await startApi({ db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue: h.temporal.taskQueue } });
    a = await api.client('Food Bank A');
    b = await api.client('Shelter B');
    [sharedA, ...othersA] = await api.fixtures.donors(a.id, [SHARED, 'a1@donors.test', 'a2@donors.test', 'a3@donors.test'].map((email) => ({ email })));
    [sharedB] = await api.fixtures.donors(b.id, [{ email: SHARED, first_name: 'Shared' }]);
  });
  afterAll(async () => {
    await api?.close();
    await h?.close();
  });

  it('an "all" opt-out with client A lands in A\'s own group; B\'s changes neither add to nor remove from it; B\'s mail still goes out', async () => {
    // Several of A's donors leave at once: A still gets exactly one group.
    const changes = await Promise.all([sharedA, ...othersA].map((donorId) => preference(a, donorId, 'all', { unsubscribed: true })));
    expect(changes.map((response) => response.statusCode)).toEqual([200, 200, 200, 200]);
    await eventually(async () => (suppressedIn(await groupOf(a.id)).length === 4 ? true : undefined), 20_000, 'A\'s suppressions');
    const groupA = (await groupOf(a.id))!;
    expect(await recordedGroups(a.id)).toEqual([{ category: 'marketing', group_id: groupA }]);
    expect(h.sink.unsubscribeGroups().filter((g) => g.description.includes(a.id)).map((g) => g.id)).toEqual([groupA]);
    expect(h.sink.unsubscribeGroups().find((g) => g.id === groupA)).toMatchObject({ name: expect.stringContaining('marketing: Food Bank'), description: expect.stringContaining('Food Bank A'), is_default: false });
    expect(suppressedIn(groupA)).toContain(SHARED);
    expect(h.sink.suppressions().global).toEqual([]); // nothing account-wide

    // B's donor of the same address opts out of, then back into, B's campaign mail.
    expect((await preference(b, sharedB, 'marketing', { unsubscribed: true })).statusCode).toBe(200);
    await eventually(async () => (suppressedIn(await groupOf(b.id)).includes(SHARED) ? true : undefined), 20_000, 'B\'s suppression');
    const groupB = (await groupOf(b.id))!;
    expect(groupB).not.toBe(groupA);
    expect((await preference(b, sharedB, 'marketing', { unsubscribed: false, email_enabled: true })).statusCode).toBe(200);
    await eventually(async () => (suppressedIn(groupB).includes(SHARED) ? undefined : true), 20_000, 'B\'s suppression lifted');
    expect(suppressedIn(groupA)).toContain(SHARED); // A's opt-out stands at SendGrid
    expect(h.sink.suppressions().global).toEqual([]);
    expect(h.sink.requests.filter((r) => r.path.startsWith('/v3/asm/suppressions/global'))).toEqual([]);

    // B's campaign mail reaches the address under B's group, though A's group suppresses it.
    const campaignB = await api.fixtures.track15Campaign(b.id, { dayLengthSeconds: 30, controlShare: 0 });
    await h.activate(b.id, campaignB);
    const delivery = await eventually(async () => h.sink.deliveries().find((d) => d.customArgs.client_id === b.id), 30_000, 'B\'s first touchpoint');
    expect(delivery.to).toBe(SHARED);
    const mail = h.sink.mails().find((m) => m.messageId === delivery.messageId)!;
    expect(mail.body.asm).toEqual({ group_id: groupB });
    expect(h.sink.drops()).toEqual([]);
    await stopCampaign(h.lifecycle, campaignB, 'test done');
    await h.result(campaignB);
  }, 90_000);

  it('a client\'s first opt-out creates its group through SendGrid\'s 429s and 5xx: one group, recorded once, the suppression in it', async () => {
    const c = await api.client('Clinic C');
    const [donorC] = await api.fixtures.donors(c.id, [{ email: SHARED }]);
    h.sink.failFor(2_500, { status: 429, retryAfterSeconds: 1 });
    expect((await preference(c, donorC, 'all', { unsubscribed: true })).statusCode).toBe(200);
    await eventually(async () => (suppressedIn(await groupOf(c.id)).includes(SHARED) ? true : undefined), 30_000, 'C\'s suppression');
    const groupRequests = h.sink.requests.filter((r) => r.path === '/v3/asm/groups');
    expect(groupRequests.some((r) => r.status === 429)).toBe(true); // the premise: creation met the rate limit
    expect(h.sink.unsubscribeGroups().filter((g) => g.description.includes(c.id))).toHaveLength(1);
    expect(await recordedGroups(c.id)).toHaveLength(1);
    expect(h.sink.suppressions().global).toEqual([]);
  }, 60_000);
});
