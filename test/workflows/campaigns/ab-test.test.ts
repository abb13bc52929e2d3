import { randomBytes } from 'node:crypto';
import { abAssignment, recipientBucket } from '../../../domain/experiments/ab-test';
import { stopCampaign } from '../../../workflows/campaigns/lifecycle';
import { abDecisionQuery, campaignWorkflowId } from '../../../domain/campaigns/workflow-contract';
import { type ApiHarness, startApi } from '../../api/support';
import { type CampaignHarness, eventually, startCampaignHarness } from '../../support/campaign-harness';
import { SendGridSigner } from '../../support/provider-signing';

/**
 * A/B test on a step (issue 14 item 4) against the real Temporal server, PostgreSQL and the sink: the
 * variants go to the test share, opens arrive as signed SendGrid events through the webhook route, the
 * touchpoint decides after the wait (hours scaled by the campaign's short day) and sends the winner to the rest.
 */
describe('A/B test on a step', () => {
  const signer = new SendGridSigner();
  let h: CampaignHarness;
  let api: ApiHarness;
  let clientId: string;
  let campaignId: string;
  let donorIds: string[];
  const DONORS = 60;
  const SUBJECTS = ['Variant A: our spring story', 'Variant B: see what your gift did'];

  beforeAll(async () => {
    h = await startCampaignHarness({ batchSize: 10 });
    api = await startApi({ db: h.db, orm: h.orm, temporal: { client: h.temporal.client, taskQueue: h.temporal.taskQueue }, sendgridPublicKey: signer.publicKey });
    clientId = await api.fixtures.client(`AB Org ${randomBytes(4).toString('hex')}`);
    donorIds = await api.fixtures.donors(clientId, Array.from({ length: DONORS }, (_, i) => ({ email: `ab${i}@donors.test`, first_name: `Donor${i}` })));
    // 60-second days: 16 hours of waiting are 40 s, room to post the events; step 2 is a day away.
    campaignId = await api.fixtures.track15Campaign(clientId, { dayLengthSeconds: 60, controlShare: 0 });
  }, 60_000);
  afterAll(async () => {
    if (campaignId) await stopCampaign(h.lifecycle, campaignId, 'test over').catch(() => undefined);
    await api?.close();
    await h?.close();
  });

  it('stores variants through the step API and refuses bad ones naming the field', async () => {
    const url = `/v1/clients/${clientId}/campaigns/${campaignId}/steps/1`;
    const abTest = { variants: SUBJECTS.map((subject_line) => ({ subject_line })), metric: 'opens', test_share: 0.5, wait_hours: 16 };
    const ok = await api.call(api.operatorKey, { method: 'PATCH', url, payload: { ab_test: abTest } });
    expect([ok.statusCode, ok.json().ab_test]).toEqual([200, abTest]);

    const defaults = await api.call(api.operatorKey, { method: 'PATCH', url: `/v1/clients/${clientId}/campaigns/${campaignId}/steps/2`,
      payload: { ab_test: { variants: [{ message: 'One' }, { message: 'Two' }], wait_hours: 4 } } });
    expect(defaults.json().ab_test).toEqual({ variants: [{ message: 'One' }, { message: 'Two' }], wait_hours: 4, metric: 'opens', test_share: 0.2 });
    await api.call(api.operatorKey, { method: 'PATCH', url: `/v1/clients/${clientId}/campaigns/${campaignId}/steps/2`, payload: { ab_test: null } });

    for (const [bad, field] of [
      [{ ...abTest, variants: [{ subject_line: 'only one' }] }, 'body.ab_test.variants'],
      [{ ...abTest, variants: [{ subject_line: 'a\u0000b' }, { subject_line: 'b' }] }, 'body.ab_test.variants.0.subject_line'],
      [{ ...abTest, variants: [{}, { subject_line: 'b' }] }, 'body.ab_test.variants.0'],
      [{ ...abTest, metric: 'conversions' }, 'body.ab_test.metric'],
      [{ ...abTest, test_share: 1.5 }, 'body.ab_test.test_share'],
    ] as const) {
      const response = await api.call(api.operatorKey, { method: 'PATCH', url, payload: { ab_test: bad } });
      expect(response.statusCode).toBe(400);
      expect(JSON.stringify(response.json())).toContain(field);
    }
    const [stored] = await api.fixtures.query<{ ab_test: unknown }>('select ab_test from track15_narrative_steps where campaign_id = $1 and step_number = 1', [campaignId]);
    expect(stored.ab_test).toEqual(abTest);
  });

  it('sends the variants to the test share, picks the one with more opens and sends it to the rest, one message each', async () => {
    await h.activate(clientId, campaignId);
    const stepOne = () => h.sink.deliveries().filter((d) => d.customArgs.campaign_id === campaignId && d.customArgs.step_number === '1');
    const variantRows = () => api.fixtures.query<{ donor_id: string; ab_variant: number }>(
      `select donor_id, ab_variant from campaign_deliveries where campaign_id = $1 and step_number = 1 and ab_variant is not null and status = 'sent'`, [campaignId]);
    // The test share goes out first, each donor's variant by the stable bucket; the rest waits for the decision.
    const places = donorIds.map((donorId) => ({ donorId, place: abAssignment(recipientBucket(campaignId, 1, donorId), 0.5, 2) }));
    const share = places.filter(({ place }) => place.kind === 'variant').length;
    const tested = await eventually(async () => {
      const rows = await variantRows();
      return rows.length === share ? rows : undefined;
    }, 30_000, 'the test share');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(stepOne().length).toBe(tested.length);
    expect(Object.fromEntries(tested.map((row) => [row.donor_id, row.ab_variant]))).toEqual(
      Object.fromEntries(places.flatMap(({ donorId, place }) => (place.kind === 'variant' ? [[donorId, place.index]] : []))));
    expect(tested.length).toBeGreaterThan(DONORS * 0.25);
    expect(tested.length).toBeLessThan(DONORS * 0.75);
    expect(new Set(tested.map((row) => row.ab_variant))).toEqual(new Set([0, 1]));
    for (const delivery of stepOne()) {
      const row = tested.find((r) => r.donor_id === delivery.customArgs.donor_id)!;
      expect(delivery.subject).toBe(SUBJECTS[row.ab_variant]);
    }

    // Every recipient of variant B opens (some twice); one of variant A does.
    const event = (donorId: string, kind: string) => {
      const sent = stepOne().find((d) => d.customArgs.donor_id === donorId)!;
      return { email: sent.to, timestamp: Math.floor(Date.now() / 1000), event: kind, sg_event_id: randomBytes(16).toString('base64url'),
        sg_message_id: `${sent.messageId}.filter-1`, ...sent.customArgs };
    };
    const b = tested.filter((row) => row.ab_variant === 1);
    const a = tested.filter((row) => row.ab_variant === 0);
    const events = [...b.map((row) => event(row.donor_id, 'open')), event(b[0].donor_id, 'open'), event(a[0].donor_id, 'open')];
    const payload = JSON.stringify(events);
    const posted = await api.request({ method: 'POST', url: '/webhooks/sendgrid', payload, headers: signer.headers(payload) });
    expect(posted.statusCode).toBe(200);
    await eventually(async () => {
      const [{ n }] = await api.fixtures.query<{ n: number }>(
        'select count(*)::int as n from email_sends where campaign_id = $1 and step_number = 1 and opened_at is not null', [campaignId]);
      return n === b.length + 1 ? true : undefined;
    }, 20_000, 'the opens applied');

    const touchpoint = h.temporal.client.workflow.getHandle(`${campaignWorkflowId(campaignId)}/step-1`);
    const decision = await eventually(async () => (await touchpoint.query(abDecisionQuery)) ?? undefined, 90_000, 'the decision');
    expect(decision).toMatchObject({ stepNumber: 1, metric: 'opens', winner: 1 });
    expect(decision.variants.map((v) => [v.recipients, v.conversions])).toEqual([[a.length, 1], [b.length, b.length]]);
    expect(decision.variants[1].ci95[0]).toBeGreaterThan(decision.variants[0].ci95[1]);
    expect(decision.significant).toBe(true);
    const [row] = await api.fixtures.query<{ winner: number; significant: boolean; variants: unknown[] }>(
      'select winner, significant, variants from step_ab_decisions where campaign_id = $1 and step_number = 1', [campaignId]);
    expect(row).toMatchObject({ winner: 1, significant: true });

    // The rest get the winner; every donor exactly one message for the step.
    await eventually(async () => (stepOne().length === DONORS ? true : undefined), 30_000, 'the rest');
    const perDonor = new Map<string, string[]>();
    for (const delivery of stepOne()) perDonor.set(delivery.customArgs.donor_id, [...(perDonor.get(delivery.customArgs.donor_id) ?? []), delivery.subject]);
    expect(perDonor.size).toBe(DONORS);
    expect([...perDonor.values()].every((subjects) => subjects.length === 1)).toBe(true);
    const testedIds = new Set(tested.map((r) => r.donor_id));
    const rest = [...perDonor.entries()].filter(([donorId]) => !testedIds.has(donorId));
    expect(rest.length).toBe(DONORS - tested.length);
    expect(rest.every(([, [subject]]) => subject === SUBJECTS[1])).toBe(true);

    // The analytics show each variant's rate with its 95% interval and whether the winner was significant.
    const analytics = await api.call(api.operatorKey, { method: 'GET', url: `/v1/clients/${clientId}/campaigns/${campaignId}/analytics` });
    expect(analytics.statusCode).toBe(200);
    expect(analytics.json().ab_tests).toEqual([expect.objectContaining({
      step_number: 1, metric: 'opens', winner: 1, significant: true,
      variants: [expect.objectContaining({ index: 0, recipients: a.length, conversions: 1, rate: 1 / a.length, ci95: [expect.any(Number), expect.any(Number)] }),
        expect.objectContaining({ index: 1, recipients: b.length, conversions: b.length, rate: 1 })],
    })]);
  }, 180_000);
});
