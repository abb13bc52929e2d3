import { randomBytes } from 'node:crypto';
import { type ApiHarness, startApi } from '../support';

/**
 * Issue 16 item 5: which version converts. Views, acceptances and payments are arranged as the table
 * owner (the pages that record them are item 2), then read through the API.
 */
describe('content version stats and comparison', () => {
  let api: ApiHarness;
  let client: { id: string; key: string };
  let baseline: string;
  let candidate: string;
  let agreement: string;

  const visitor = () => randomBytes(32).toString('hex');

  async function views(versionId: string, count: number) {
    await api.fixtures.query(
      `insert into content_version_views (client_id, content_version_id, visitor_hash, view_day)
       select $1, $2, encode(sha256(($3 || g)::bytea), 'hex'), current_date from generate_series(1, $4) g`,
      [client.id, versionId, visitor(), count]);
  }

  /** `accepted` acceptances of the agreement after the activation version; the first `paid` of them paid, then `other` payments of `status`. */
  async function funnel(activationVersionId: string, accepted: number, paid: number, other: { status: string; count: number }) {
    for (let i = 0; i < accepted; i++) {
      const [{ id }] = await api.fixtures.query<{ id: string }>(
        `insert into agreement_acceptances (client_id, content_version_id, activation_version_id, visitor_hash) values ($1, $2, $3, $4) returning id`,
        [client.id, agreement, activationVersionId, visitor()]);
      const status = i < paid ? 'succeeded' : i < paid + other.count ? other.status : null;
      if (status) {
        await api.fixtures.query(
          `insert into payments (client_id, content_version_id, acceptance_id, stripe_payment_intent_id, amount, status) values ($1, $2, $3, $4, 50000, $5)`,
          [client.id, agreement, id, `pi_${visitor().slice(0, 24)}`, status]);
      }
    }
  }

  beforeAll(async () => {
    api = await startApi();
    client = await api.client('Experimenting Org');
    baseline = await api.fixtures.contentVersion(client.id, 'activation', { headline: 'Version one' });
    candidate = await api.fixtures.contentVersion(client.id, 'activation', { headline: 'Version two' }, true);
    agreement = await api.fixtures.contentVersion(client.id, 'agreement', { headline: 'Terms' }, true);
    await views(baseline, 200);
    await views(candidate, 200);
    await views(agreement, 80);
    await funnel(baseline, 20, 10, { status: 'failed', count: 2 });
    await funnel(candidate, 60, 40, { status: 'refunded', count: 1 });
  });
  afterAll(async () => { await api.close(); });

  const get = (url: string) => api.call(client.key, { url: `/v1/clients/${client.id}${url}` });

  it('reports views, acceptances and succeeded payments per version with 95% Wilson intervals', async () => {
    const response = await get('/pages/activation/stats');
    expect(response.statusCode).toBe(200);
    const items = response.json().items as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(items.map((item) => [item.version_number, item.is_current, item.views, item.acceptances, item.payments]))
      .toEqual([[2, true, 200, 60, 40], [1, false, 200, 20, 10]]);
    const [two, one] = items;
    expect(one.conversion.rate).toBeCloseTo(0.05, 10);
    expect(one.conversion.ci95[0]).toBeCloseTo(0.027382645, 6);
    expect(one.conversion.ci95[1]).toBeCloseTo(0.089578148, 6);
    expect(two.conversion.ci95[0]).toBeCloseTo(0.150452009, 6);
    expect(two.conversion.ci95[1]).toBeCloseTo(0.260855187, 6);
    expect(two.acceptance_rate.rate).toBeCloseTo(0.3, 10);
    const agreements = (await get('/pages/agreement/stats')).json().items as Record<string, unknown>[];
    expect(agreements).toMatchObject([{ version_id: agreement, views: 80, acceptances: 80, payments: 50 }]);
    expect((await get('/pages/processing/stats')).json()).toEqual({ items: [], next_offset: null });
  });

  it('compares two versions of a page type: difference, interval, p-value, lift and the outcome they suggest', async () => {
    const better = (await get(`/content-versions/${candidate}/compare/${baseline}`)).json();
    expect(better).toMatchObject({ metric: 'payments', suggested_outcome: 'success' });
    expect(better.difference).toBeCloseTo(0.15, 10);
    expect(better.lift_percent).toBeCloseTo(300, 6);
    expect(better.p_value).toBeLessThan(0.001);
    expect(better.ci95[0]).toBeGreaterThan(0);
    expect(better.ci95[1]).toBeLessThan(0.3);
    const worse = (await get(`/content-versions/${baseline}/compare/${candidate}`)).json();
    expect(worse).toMatchObject({ suggested_outcome: 'failure' });
    expect(worse.p_value).toBeCloseTo(better.p_value as number, 12);
    const byAcceptance = (await get(`/content-versions/${candidate}/compare/${baseline}?metric=acceptances`)).json();
    expect(byAcceptance.difference).toBeCloseTo(0.2, 10);
    const itself = (await get(`/content-versions/${candidate}/compare/${candidate}`)).json();
    expect(itself).toMatchObject({ difference: 0, suggested_outcome: 'pending' });
  });

  it('refuses to compare versions of different page types (400 naming the baseline) and answers 404 for an unknown version', async () => {
    const mixed = await get(`/content-versions/${candidate}/compare/${agreement}`);
    expect(mixed.statusCode).toBe(400);
    expect(mixed.json().errors[0].field).toBe('params.otherVersionId');
    const unknown = await get(`/content-versions/${candidate}/compare/00000000-0000-4000-8000-000000000000`);
    expect(unknown.statusCode).toBe(404);
    const badMetric = await get(`/content-versions/${candidate}/compare/${baseline}?metric=views`);
    expect(badMetric.statusCode).toBe(400);
  });
});
