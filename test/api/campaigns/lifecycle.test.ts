import { type CampaignHarness, eventually, startCampaignHarness } from '../../support/campaign-harness';
import { type ApiHarness, insertKey, startApi } from '../support';

/** Activate, watch, pause, resume and stop through the API, against real Temporal with a real worker. */
describe('campaign lifecycle over the API', () => {
  let h: CampaignHarness;
  let api: ApiHarness;
  let clientId: string;
  let key: string;
  let donors: string[];
  const url = (campaignId: string, rest: string) => `/v1/clients/${clientId}/campaigns/${campaignId}${rest}`;
  const post = (campaignId: string, action: string, payload?: unknown) => api.call(key, { method: 'POST', url: url(campaignId, `/${action}`), payload });
  const get = (campaignId: string, rest: string) => api.call(key, { url: url(campaignId, rest) });

  beforeAll(async () => {
    h = await startCampaignHarness({ batchSize: 10 });
    api = await startApi({ db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue: h.temporal.taskQueue } });
    clientId = await h.fixtures.client('Lifecycle Client');
    key = await insertKey(h.fixtures, clientId);
    donors = await h.fixtures.donors(clientId, [
      { email: 'one@donors.test', first_name: 'One' },
      { email: 'two@donors.test', first_name: 'Two' },
      { email: 'bounced@donors.test', suppressed: true },
      { email: 'gone@donors.test' },
    ]);
    await h.fixtures.unsubscribe(clientId, donors[3]);
  });
  afterAll(async () => {
    await api?.close();
    await h?.close();
  });

  it('refuses to activate a campaign that is not ready, with every reason', async () => {
    const campaignId = await h.fixtures.track15Campaign(clientId, { name: 'not ready' });
    await h.fixtures.query(`update campaigns set track15_stage = 'draft', track15_core_story = '{"headline": "H"}' where id = $1`, [campaignId]);
    const refused = await post(campaignId, 'activate');
    expect(refused.statusCode).toBe(409);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json().reasons).toEqual(expect.arrayContaining([expect.stringMatching(/'draft'/), expect.stringMatching(/summary/)]));
    expect((await post(campaignId, 'pause', { reason: 'x' })).json().detail).toMatch(/not been activated/);
  });

  it('activates idempotently, reports live status and deliveries, pauses, resumes and stops', async () => {
    const campaignId = await h.fixtures.track15Campaign(clientId, { name: 'live', dayLengthSeconds: 30, sendHour: 0, controlShare: 0 });
    const activated = await post(campaignId, 'activate');
    expect(activated.statusCode).toBe(200);
    expect(activated.json()).toMatchObject({ workflow_id: `campaign-${campaignId}`, already_active: false });
    expect((await post(campaignId, 'activate')).json().already_active).toBe(true);

    const status = await eventually(async () => {
      const body = (await get(campaignId, '/status?live=true')).json();
      const step1 = body.steps[0].deliveries;
      return (step1.sent ?? 0) + (step1.skipped ?? 0) === 4 && body.workflow?.steps['1'] ? body : undefined;
    }, 30_000, 'step 1 settled');
    expect(status).toMatchObject({
      stage: 'active', recipients: { test: 4, control: 0 }, next_step: 2, next_due_at: expect.any(String), live: 'answered',
      workflow: { stage: 'active', next_step: 2 },
    });
    expect(status.steps[0]).toMatchObject({ step_number: 1, deliveries: { sent: 2, skipped: 2 }, skip_reasons: { suppressed: 1, unsubscribed: 1 } });
    expect(status.workflow.steps['1']).toMatchObject({ sent: 2, skipped: 2 });
    expect(Date.parse(status.next_due_at)).toBeGreaterThan(Date.now());

    const why = (await get(campaignId, `/deliveries?donor_id=${donors[2]}&step_number=1`)).json();
    expect(why).toMatchObject({ recipient: { group: 'test' }, explanation: 'step 1 was skipped: suppressed', items: [{ status: 'skipped', skip_reason: 'suppressed' }] });
    expect((await get(campaignId, `/deliveries?donor_id=${donors[0]}&step_number=7`)).json().explanation).toMatch(/not been delivered to this donor yet/);
    expect((await get(campaignId, '/deliveries?status=sent')).json().items).toHaveLength(2);

    const paused = await post(campaignId, 'pause', { reason: 'board review' });
    expect(paused.json()).toMatchObject({ stage: 'paused', pause_reason: 'board review', next_due_at: null });
    const again = await post(campaignId, 'pause', {});
    expect(again.statusCode).toBe(409);
    expect(again.json().reasons[0]).toMatch(/already paused/);
    expect((await api.call(key, { url: `/v1/clients/${clientId}/campaigns/${campaignId}` })).json().track15_stage).toBe('paused');
    expect((await api.call(key, { method: 'DELETE', url: url(campaignId, '') })).statusCode).toBe(409);

    expect((await post(campaignId, 'resume')).json().stage).toBe('active');
    expect((await post(campaignId, 'resume')).json().reasons[0]).toMatch(/not paused/);

    // A pause needs no body: none at all (curl -X POST), or an empty one that says it is JSON.
    const bare = await api.call(key, { method: 'POST', url: url(campaignId, '/pause') });
    expect([bare.statusCode, bare.json()]).toEqual([200, expect.objectContaining({ stage: 'paused', pause_reason: 'paused by a campaign manager' })]);
    expect((await post(campaignId, 'resume')).json().stage).toBe('active');
    const emptyJson = await api.call(key, { method: 'POST', url: url(campaignId, '/pause'), payload: '', headers: { 'content-type': 'application/json' } });
    expect([emptyJson.statusCode, emptyJson.json()]).toEqual([200, expect.objectContaining({ stage: 'paused', pause_reason: 'paused by a campaign manager' })]);
    expect((await post(campaignId, 'resume')).json().stage).toBe('active');

    expect((await post(campaignId, 'stop', {})).json().errors[0].field).toBe('body.reason');
    const stopped = await post(campaignId, 'stop', { reason: 'appeal cancelled' });
    expect(stopped.statusCode).toBe(200);
    expect(stopped.json().stop_reason).toBe('appeal cancelled');
    expect((await post(campaignId, 'stop', { reason: 'again' })).statusCode).toBe(409);

    await h.result(campaignId);
    const analytics = (await get(campaignId, '/analytics')).json();
    expect(analytics).toMatchObject({ test: { recipients: 4, conversions: 0 }, control: { recipients: 0 }, segments: expect.any(Array) });
    expect((await get(campaignId, '')).json()).toMatchObject({ track15_stage: 'completed', track15_stop_reason: 'appeal cancelled' });
  }, 60_000);
});
