import { prepareActivation } from '../../activities/campaigns/activation';
import { withClient } from '../../domain/db/tenancy';
import { type ApiHarness, databaseFingerprint, startApi } from '../api/support';

/**
 * Issue 14 items 1 and 7: the audience filter saved with the campaign, the pre-activation estimate (counts,
 * split, segments, power) and the same audience frozen at activation, on the real database.
 */
describe('audience filter and pre-activation estimate', () => {
  let api: ApiHarness;
  let client: { id: string; key: string };
  let ids: Record<string, string>;
  const call = (method: string, url: string, payload?: unknown) => api.call(client.key, { method, url: `/v1/clients/${client.id}${url}`, payload });
  const estimate = async (campaignId: string, query = '') => {
    const response = await call('GET', `/campaigns/${campaignId}/audience-estimate${query}`);
    expect(response.statusCode).toBe(200);
    return response.json();
  };
  const campaignWith = async (audienceFilter: unknown, controlShare = 0.1) => {
    const campaignId = await api.fixtures.track15Campaign(client.id, { controlShare });
    const saved = await call('PATCH', `/campaigns/${campaignId}`, { track15: { audience_filter: audienceFilter } });
    expect(saved.statusCode).toBe(200);
    expect(saved.json().track15_audience_filter).toEqual(audienceFilter);
    return campaignId;
  };
  const frozen = async (campaignId: string) => {
    await withClient(api.orm.em, client.id, (em) => prepareActivation(em, campaignId));
    const rows = await api.fixtures.query<{ donor_id: string }>('select donor_id from campaign_recipients where campaign_id = $1', [campaignId]);
    return new Set(rows.map((row) => row.donor_id));
  };
  const named = (...names: string[]) => new Set(names.map((name) => ids[name]));

  beforeAll(async () => {
    api = await startApi();
    client = await api.client('Audience Org');
    const [champ, loyal, lapsed, fresh, phoneOnly, suppressed, inactive] = await api.fixtures.donors(client.id, [
      { email: 'champ@donors.test', segment: 'Champions' },
      { email: 'loyal@donors.test', segment: 'Loyal' },
      { email: 'lapsed@donors.test', segment: 'At Risk' },
      { email: 'fresh@donors.test', segment: null },
      { phone: '+15550009999', segment: 'Loyal' },
      { email: 'bounced@donors.test', segment: 'Champions', suppressed: true },
      { email: 'inactive@donors.test', segment: 'Champions' },
    ]);
    ids = { champ, loyal, lapsed, fresh, phoneOnly, suppressed, inactive };
    await api.fixtures.query(`update donors set tags = '{board,monthly}', stage = 'active' where id = $1`, [champ]);
    await api.fixtures.query(`update donors set tags = '{monthly}', stage = 'active' where id = $1`, [loyal]);
    await api.fixtures.query(`update donors set tags = '{do-not-ask}' where id = $1`, [lapsed]);
    await api.fixtures.query('update donors set is_active = false where id = $1', [inactive]);
    await api.fixtures.donation(client.id, champ, 500, { at: new Date('2026-10-01T12:00:00Z') });
    await api.fixtures.donation(client.id, champ, 250, { at: new Date('2026-11-01T12:00:00Z') });
    await api.fixtures.donation(client.id, loyal, 80, { at: new Date('2026-06-15T12:00:00Z') });
    await api.fixtures.donation(client.id, lapsed, 40, { at: new Date('2024-03-01T12:00:00Z') });
  });
  afterAll(async () => { await api.close(); });

  it.each([
    ['no filter: every active donor with an address', {}, ['champ', 'loyal', 'lapsed', 'fresh', 'phoneOnly', 'suppressed']],
    ['segments, with unscored', { segments: ['Champions', 'unscored'] }, ['champ', 'fresh', 'suppressed']],
    ['tags_any', { tags_any: ['monthly', 'nobody'] }, ['champ', 'loyal']],
    ['exclude_tags', { exclude_tags: ['do-not-ask', 'board'] }, ['loyal', 'fresh', 'phoneOnly', 'suppressed']],
    ['stages', { stages: ['active'] }, ['champ', 'loyal']],
    ['last gift on or after', { last_gift_after: '2026-06-15' }, ['champ', 'loyal']],
    ['last gift before (or never)', { last_gift_before: '2026-06-15' }, ['lapsed', 'fresh', 'phoneOnly', 'suppressed']],
    ['total given in one currency', { total_given: { currency: 'usd', min: 80, max: 750 } }, ['champ', 'loyal']],
    ['has email / has phone', { has_email: false, has_phone: true }, ['phoneOnly']],
  ])('%s: the estimate counts and activation freezes the same donors', async (_label, filter, expected) => {
    const campaignId = await campaignWith(filter);
    const answer = await estimate(campaignId);
    expect(answer.selected).toBe(expected.length);
    expect(answer.groups.test.selected + answer.groups.control.selected).toBe(expected.length);
    expect(await frozen(campaignId)).toEqual(named(...expected));
  });

  it('reports reachable donors and the split per segment, exactly as activation splits them', async () => {
    const campaignId = await campaignWith({}, 0.5);
    const answer = await estimate(campaignId);
    // No email, or a suppressed one, is selected but not reachable.
    expect(answer).toMatchObject({ selected: 6, reachable: 4 });
    expect(answer.segments.map((s: { segment: string | null }) => s.segment)).toEqual(['At Risk', 'Champions', 'Loyal', null]);
    expect(answer.segments.find((s: { segment: string }) => s.segment === 'Champions')).toMatchObject({ selected: 2, reachable: 1 });
    await frozen(campaignId);
    const groups = await api.fixtures.query<{ recipient_group: string; n: number }>(
      'select recipient_group, count(*)::int as n from campaign_recipients where campaign_id = $1 group by 1', [campaignId]);
    for (const { recipient_group: group, n } of groups) expect(answer.groups[group].selected).toBe(n);
    const again = await call('GET', `/campaigns/${campaignId}/audience-estimate`);
    expect(again.statusCode).toBe(409);
  });

  it('leaves out donors of another running campaign when asked', async () => {
    // The campaigns frozen above are active too; only completed ones must not count.
    await api.fixtures.query(`update campaigns set track15_stage = 'completed' where client_id = $1`, [client.id]);
    const running = await campaignWith({ segments: ['Champions'] });
    await frozen(running);
    await api.fixtures.query(`update campaigns set track15_stage = 'active' where id = $1`, [running]);
    const campaignId = await campaignWith({ exclude_other_active_campaigns: true });
    expect((await estimate(campaignId)).selected).toBe(4);
    expect(await frozen(campaignId)).toEqual(named('loyal', 'lapsed', 'fresh', 'phoneOnly'));
  });

  it('uses the campaign\'s target profile where its fields map onto donors: interests as tags, country and birth year from metadata', async () => {
    await api.fixtures.query(`update campaigns set track15_stage = 'completed' where client_id = $1`, [client.id]);
    const thisYear = new Date().getUTCFullYear();
    for (const [name, metadata] of [['champ', { country: 'US', birth_year: String(thisYear - 36) }], ['loyal', { country: 'CA', birth_year: String(thisYear - 36) }],
      ['lapsed', { country: 'us', birth_year: String(thisYear - 34) }], ['suppressed', { country: 'US', birth_year: String(thisYear - 70) }]] as const) {
      await api.fixtures.query('update donors set metadata = $2 where id = $1', [ids[name], JSON.stringify(metadata)]);
    }
    await api.fixtures.query(`update donors set tags = '{monthly}' where id = $1`, [ids.suppressed]);
    const [{ id: profileId }] = await api.fixtures.query<{ id: string }>(
      `insert into target_customer_profiles (client_id, name, demographics, interests)
       values ($1, 'US adults 25-40', '{"ageRange": {"min": 25, "max": 40}, "location": {"countries": ["US"]}}', '{Monthly,do-not-ask}') returning id`,
      [client.id]);
    const campaignId = await campaignWith({ target_profile: true });
    // Without a profile in effect the condition selects everyone.
    expect((await estimate(campaignId)).selected).toBe(6);
    const usage = await call('PUT', `/campaigns/${campaignId}/profile-usage`, { usage_type: 'INDIVIDUAL', customer_profile_id: profileId });
    expect(usage.statusCode).toBe(201);
    // champ (monthly, US, 36) and lapsed (do-not-ask, us, 34); loyal is in CA, suppressed is 70, fresh and phoneOnly carry nothing.
    expect((await estimate(campaignId)).selected).toBe(2);
    expect(await frozen(campaignId)).toEqual(named('champ', 'lapsed'));
  });

  it('gives the minimum detectable lift and warns when the control group is too small for the expected lift', async () => {
    const campaignId = await campaignWith({});
    const noBaseline = await estimate(campaignId);
    expect(noBaseline.power).toMatchObject({ baseline_conversion_rate: null, minimum_detectable_lift_percent: null });
    expect(noBaseline.power.warnings).toEqual([expect.stringMatching(/historical_conversion_rate/)]);

    expect((await call('PATCH', '', { historical_conversion_rate: 0.05, expected_lift_percent: 20 })).statusCode).toBe(200);
    const tiny = await estimate(campaignId);
    expect(tiny.power).toMatchObject({ baseline_conversion_rate: 0.05, expected_lift_percent: 20, control_share: 0.1, control_share_needed: null });
    expect(tiny.power.warnings).toContainEqual(expect.stringMatching(/too small to show a 20% lift.*no control share up to 0.5 would/));

    // A large audience: the query overrides the client's numbers.
    await api.fixtures.query(
      `insert into donors (client_id, email) select $1, 'bulk' || i || '@donors.test' from generate_series(1, 20000) i`, [client.id]);
    const big = await estimate(campaignId, '?baseline_conversion_rate=0.05&expected_lift_percent=30');
    expect(big.selected).toBe(20_006);
    expect(big.power.minimum_detectable_lift_percent).toBeGreaterThan(30);
    expect(big.power.control_share_needed).toBeGreaterThan(0.1);
    expect(big.power.warnings[0]).toMatch(new RegExp(`control group \\(${big.groups.control.selected} donors\\) is too small .* a control share of ${big.power.control_share_needed} would`));
    const enough = await estimate(campaignId, '?baseline_conversion_rate=0.05&expected_lift_percent=60');
    expect(enough.power.warnings).toEqual([]);
    expect(enough.power.minimum_detectable_lift_percent).toBeLessThan(60);
  });

  it('refuses a bad filter with 400 naming the field, changing nothing', async () => {
    const campaignId = await api.fixtures.track15Campaign(client.id);
    const before = await databaseFingerprint(api.fixtures);
    for (const [filter, field] of [
      [{ segments: ['Champs'] }, 'body.track15.audience_filter.segments.0'],
      [{ segments: [] }, 'body.track15.audience_filter.segments'],
      [{ stages: ['vip'] }, 'body.track15.audience_filter.stages.0'],
      [{ last_gift_after: '2026-13-01' }, 'body.track15.audience_filter.last_gift_after'],
      [{ last_gift_after: '2026-06-01', last_gift_before: '2026-01-01' }, 'body.track15.audience_filter.last_gift_before'],
      [{ total_given: { currency: 'XXY', min: 1 } }, 'body.track15.audience_filter.total_given.currency'],
      [{ total_given: { currency: 'usd' } }, 'body.track15.audience_filter.total_given'],
      [{ tags_any: ['a\u0000'] }, 'body.track15.audience_filter.tags_any.0'],
      [{ vip: true }, 'body.track15.audience_filter'],
    ] as const) {
      const refused = await call('PATCH', `/campaigns/${campaignId}`, { track15: { audience_filter: filter } });
      expect([JSON.stringify(filter), refused.statusCode]).toEqual([JSON.stringify(filter), 400]);
      expect(refused.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await call('GET', `/campaigns/${campaignId}/audience-estimate?baseline_conversion_rate=2`)).json().errors[0].field).toBe('query.baseline_conversion_rate');
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
  });
});
