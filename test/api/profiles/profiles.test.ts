import { type ApiHarness, type Response, startApi } from '../support';

/**
 * Seed 004 through the API (issue 15 items 1-5): CRUD with nested validation, optimistic locking,
 * soft delete / restore / audit, search, first-time user status and the account summary.
 */
describe('seed 004 resources', () => {
  let api: ApiHarness;
  let client: { id: string; key: string };
  let keyId: string;
  const base = () => `/v1/clients/${client.id}`;
  const call = (method: string, url: string, payload?: unknown, headers?: Record<string, string>) =>
    api.call(client.key, { method, url: `${base()}${url}`, payload, headers });
  const ifMatch = (response: Response) => ({ 'if-match': response.headers.etag });
  const fields = (response: Response) => (response.json().errors as { field: string }[]).map((e) => e.field);

  beforeAll(async () => {
    api = await startApi();
    client = await api.client('Harbour Food Bank');
    [{ id: keyId }] = await api.fixtures.query<{ id: string }>('select id from api_keys where client_id = $1', [client.id]);
  });
  afterAll(async () => { await api.close(); });

  const PROFILE = {
    name: 'Millennial Tech Enthusiasts',
    description: 'Young professionals\nwho give online',
    demographics: {
      ageRange: { min: 25, max: 40 }, gender: 'all',
      location: { countries: ['US', 'CA'], cities: ['San Francisco'], radius: { latitude: 37.7749, longitude: -122.4194, radius: 50, unit: 'miles' } },
      incomeRange: { min: 75000, max: 150000 }, educationLevel: 'bachelors',
    },
    interests: ['technology', 'education'],
    behavior: { devicePreferences: ['mobile', 'desktop'], purchaseBehavior: ['frequent_buyer'], onlineActivityLevel: 'very_active', socialMediaPlatforms: ['instagram'] },
    persona: { name: 'Tech-Savvy Professional', motivations: ['efficiency'], painPoints: ['lack of time'], values: ['quality'] },
  };

  it('starts as a first-time user, and the status and summary follow what is created', async () => {
    expect((await call('GET', '/profile-status')).json()).toMatchObject({
      is_first_time_user: true, has_customer_profile: false, has_brand_guidelines: false, has_budget: false,
      profile_counts: { customer_profiles: 0, brand_guidelines: 0, budgets: 0, containers: 0 },
    });
    const profile = await call('POST', '/customer-profiles', PROFILE);
    expect(profile.statusCode).toBe(201);
    expect((await call('GET', '/profile-status')).json()).toMatchObject({ is_first_time_user: false, has_customer_profile: true, has_budget: false });
    await call('POST', '/budgets', { name: 'Spring', amount: 250.5 });
    await call('POST', '/budgets', { name: 'Yen', amount: 5000, currency: 'JPY' });
    await call('POST', '/budgets', { name: 'Paused', amount: 99, status: 'PAUSED' });
    const summary = (await call('GET', '/profile-summary')).json();
    expect(summary).toMatchObject({ total_profiles: 1, total_budgets: 3, total_guidelines: 0, total_containers: 0, total_campaign_usage: 0 });
    expect(summary.total_active_budget).toEqual([{ currency: 'jpy', amount: 5000 }, { currency: 'usd', amount: 250.5 }]);
  });

  describe('create, read and validation', () => {
    it('stores a profile with its nested documents, answers its version as ETag and the calling key as its author', async () => {
      const created = await call('POST', '/customer-profiles', { ...PROFILE, name: 'Readers' });
      expect(created.statusCode).toBe(201);
      expect(created.headers.etag).toBe('"1"');
      expect(created.headers.location).toBe(`${base()}/customer-profiles/${created.json().id}`);
      expect(created.json()).toMatchObject({ ...PROFILE, name: 'Readers', version: 1, created_by: keyId, updated_by: keyId, deleted_at: null });
      const read = await call('GET', `/customer-profiles/${created.json().id}`);
      expect(read.headers.etag).toBe('"1"');
      expect(read.json().demographics).toEqual(PROFILE.demographics);
    });

    it('refuses bad nested values with 400 naming each field, writing nothing', async () => {
      const before = await api.fixtures.query('select count(*)::int as n from target_customer_profiles');
      const bad = await call('POST', '/customer-profiles', {
        name: 'Bad',
        demographics: { ageRange: { min: 40, max: 25 }, gender: 'everyone', location: { countries: ['usa'], radius: { latitude: 91, longitude: 0, radius: 5 } } },
        behavior: { devicePreferences: ['fridge'] },
        persona: { favouriteColour: 'blue' },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(fields(bad)).toEqual(expect.arrayContaining([
        'body.demographics.ageRange.max', 'body.demographics.gender', 'body.demographics.location.countries.0',
        'body.demographics.location.radius.latitude', 'body.behavior.devicePreferences.0', 'body.persona',
      ]));
      expect(await api.fixtures.query('select count(*)::int as n from target_customer_profiles')).toEqual(before);

      const guidelines = await call('POST', '/brand-guidelines', {
        brand_name: 'Harbour', detail_level: 'medium',
        high_level_guidelines: { logo: { primaryLogoUrl: 'http://insecure.test/logo.png' }, colors: { primary: [{ name: 'Blue', hex: '#00F' }] }, typography: { typeSizes: ['big'] } },
      });
      expect(fields(guidelines)).toEqual(expect.arrayContaining([
        'body.detail_level', 'body.high_level_guidelines.logo.primaryLogoUrl', 'body.high_level_guidelines.colors.primary.0.hex',
        'body.high_level_guidelines.typography.typeSizes.0',
      ]));
      // The seed's CHECKs (amount >= 0, period, delivery method, status, type) answer before the database would.
      const budget = await call('POST', '/budgets', { name: 'B', amount: -1, period: 'HOURLY', delivery_method: 'FAST', status: 'GONE', type: 'X', alerts: [{ threshold_percent: 150 }] });
      expect(fields(budget).sort()).toEqual(['body.alerts.0.threshold_percent', 'body.amount', 'body.delivery_method', 'body.period', 'body.status', 'body.type']);
      expect(fields(await call('POST', '/budgets', { name: 'Yen', amount: 10.5, currency: 'jpy' }))).toEqual(['body.amount']);
      expect(fields(await call('POST', '/budgets', { name: 'Dates', amount: 1, start_date: '2027-02-01', end_date: '2027-01-01' }))).toEqual(['body.end_date']);
      expect(fields(await call('POST', '/profile-containers', { name: 'C', status: 'LIVE' }))).toEqual(['body.status']);
    });

    it('answers 404 naming the field for a container pointing at a profile that does not exist', async () => {
      const response = await call('POST', '/profile-containers', { name: 'Orphan', customer_profile_id: '00000000-0000-4000-8000-000000000000' });
      expect(response.statusCode).toBe(404);
      expect(fields(response)).toEqual(['body.customer_profile_id']);
    });
  });

  describe('optimistic locking', () => {
    it('increments the version on each change; a stale If-Match answers 412 with the current version; none answers 428', async () => {
      const created = await call('POST', '/brand-guidelines', { brand_name: 'Lighthouse', high_level_guidelines: { colors: { primary: [{ name: 'Sea', hex: '#0066CC' }] } } });
      const url = `/brand-guidelines/${created.json().id}`;
      const first = await call('PATCH', url, { industry: 'Food security' }, ifMatch(created));
      expect([first.statusCode, first.headers.etag, first.json().version]).toEqual([200, '"2"', 2]);
      const stale = await call('PATCH', url, { industry: 'Other' }, ifMatch(created));
      expect(stale.statusCode).toBe(412);
      expect(stale.json()).toMatchObject({ status: 412, current_version: 2 });
      expect(stale.headers.etag).toBe('"2"');
      const missing = await call('PATCH', url, { industry: 'Other' });
      expect([missing.statusCode, fields(missing)]).toEqual([428, ['header.if-match']]);
      const byBody = await call('PATCH', url, { industry: 'Hunger relief', version: 2 });
      expect([byBody.statusCode, byBody.json().version, byBody.json().industry]).toEqual([200, 3, 'Hunger relief']);
      expect((await call('PATCH', url, { industry: 'x' }, { 'if-match': 'not-a-tag' })).statusCode).toBe(400);
      expect((await call('GET', url)).json()).toMatchObject({ industry: 'Hunger relief', version: 3 });
    });

    it('lets exactly one of two concurrent changes based on the same version win, every time', async () => {
      const created = await call('POST', '/budgets', { name: 'Raced', amount: 100 });
      const url = `/budgets/${created.json().id}`;
      let version = 1;
      for (let round = 0; round < 20; round++) {
        const [a, b] = await Promise.all([
          call('PATCH', url, { amount: 200 + round }, { 'if-match': `"${version}"` }),
          call('PATCH', url, { amount: 300 + round }, { 'if-match': `"${version}"` }),
        ]);
        expect([a.statusCode, b.statusCode].sort()).toEqual([200, 412]);
        const winner = a.statusCode === 200 ? a : b;
        const loser = a.statusCode === 200 ? b : a;
        expect(loser.json().current_version).toBe(version + 1);
        version = winner.json().version;
        expect(version).toBe(round + 2);
      }
      const [row] = await api.fixtures.query<{ version: number }>('select version from budgets where id = $1', [created.json().id]);
      expect(row.version).toBe(21);
    });
  });

  describe('soft delete, restore and audit', () => {
    it('hides a deleted row from lists (include_deleted shows it) and restores it, recording the key each time', async () => {
      const created = await call('POST', '/customer-profiles', { name: 'Seasonal givers' });
      const url = `/customer-profiles/${created.json().id}`;
      expect((await call('DELETE', url)).statusCode).toBe(428);
      const deleted = await call('DELETE', url, undefined, ifMatch(created));
      expect(deleted.statusCode).toBe(200);
      expect(deleted.json()).toMatchObject({ version: 2, deleted_at: expect.any(String), updated_by: keyId });
      const names = async (query = '') => (await call('GET', `/customer-profiles?search=seasonal${query}`)).json().items.map((p: { name: string }) => p.name);
      expect(await names()).toEqual([]);
      expect(await names('&include_deleted=true')).toEqual(['Seasonal givers']);
      expect((await call('GET', url)).statusCode).toBe(404);
      expect((await call('GET', `${url}?include_deleted=true`)).statusCode).toBe(200);
      expect((await call('PATCH', url, { name: 'x' }, ifMatch(deleted))).statusCode).toBe(409);
      const restored = await call('POST', `${url}/restore`, undefined, ifMatch(deleted));
      expect(restored.statusCode).toBe(200);
      expect(restored.json()).toMatchObject({ version: 3, deleted_at: null });
      expect(await names()).toEqual(['Seasonal givers']);
      expect((await call('POST', `${url}/restore`, undefined, ifMatch(restored))).statusCode).toBe(409);
    });

    it('refuses to delete a profile a live container uses, naming the container (ON DELETE RESTRICT), never 500', async () => {
      const profile = await call('POST', '/customer-profiles', { name: 'Held' });
      const container = await call('POST', '/profile-containers', { name: 'Spring pack', customer_profile_id: profile.json().id });
      expect(container.json()).toMatchObject({ is_complete: false, missing_profiles: ['brand_guidelines', 'budget'] });
      const refused = await call('DELETE', `/customer-profiles/${profile.json().id}`, undefined, ifMatch(profile));
      expect(refused.statusCode).toBe(409);
      expect(refused.json().detail).toContain('Spring pack');
      expect(refused.json().referenced_by).toEqual([{ type: 'container', id: container.json().id, name: 'Spring pack' }]);
      // Once the container is deleted, the profile may go; restoring the container then refuses, naming the deleted profile.
      const containerGone = await call('DELETE', `/profile-containers/${container.json().id}`, undefined, ifMatch(container));
      expect((await call('DELETE', `/customer-profiles/${profile.json().id}`, undefined, ifMatch(profile))).statusCode).toBe(200);
      const restore = await call('POST', `/profile-containers/${container.json().id}/restore`, undefined, ifMatch(containerGone));
      expect([restore.statusCode, fields(restore)]).toEqual([409, ['customer_profile_id']]);
    });

    it('refuses a second default container on create and on restore, with 409 naming the rule', async () => {
      const first = await call('POST', '/profile-containers', { name: 'Default one', is_default: true });
      expect(first.statusCode).toBe(201);
      const second = await call('POST', '/profile-containers', { name: 'Default two', is_default: true });
      expect(second.statusCode).toBe(409);
      expect(second.json()).toMatchObject({ rule: 'idx_containers_unique_default_per_account', errors: [{ field: 'body.is_default' }] });
      const deleted = await call('DELETE', `/profile-containers/${first.json().id}`, undefined, ifMatch(first));
      const replacement = await call('POST', '/profile-containers', { name: 'Default three', is_default: true });
      expect(replacement.statusCode).toBe(201);
      const restore = await call('POST', `/profile-containers/${first.json().id}/restore`, undefined, ifMatch(deleted));
      expect(restore.statusCode).toBe(409);
      expect(restore.json()).toMatchObject({ rule: 'idx_containers_unique_default_per_account', detail: expect.stringContaining('at most one default container') });
      expect((await call('GET', `/profile-containers/${first.json().id}?include_deleted=true`)).json().deleted_at).not.toBeNull();
    });
  });

  describe('search', () => {
    it('finds profiles by name, demographics and behavior containment and interest overlap; sorts and paginates', async () => {
      const make = (name: string, countries: string[], gender: string, devices: string[], interests: string[]) =>
        call('POST', '/customer-profiles', { name, demographics: { gender, location: { countries } }, behavior: { devicePreferences: devices }, interests });
      await make('Search Alpha', ['US'], 'female', ['mobile'], ['arts']);
      await make('Search Beta', ['US', 'CA'], 'male', ['mobile', 'desktop'], ['sports', 'arts']);
      await make('Search Gamma', ['GB'], 'female', ['tablet'], ['science']);
      const names = async (query: string) => (await call('GET', `/customer-profiles?search=search&${query}`)).json().items.map((p: { name: string }) => p.name);
      expect(await names('sort=name&order=asc')).toEqual(['Search Alpha', 'Search Beta', 'Search Gamma']);
      expect(await names('countries=US&sort=name&order=asc')).toEqual(['Search Alpha', 'Search Beta']);
      expect(await names('countries=US,CA')).toEqual(['Search Beta']);
      expect(await names('gender=female&sort=name&order=desc')).toEqual(['Search Gamma', 'Search Alpha']);
      expect(await names('device_preferences=desktop')).toEqual(['Search Beta']);
      expect(await names('interests=arts,science&sort=name&order=asc')).toEqual(['Search Alpha', 'Search Beta', 'Search Gamma']);
      const page = (await call('GET', '/customer-profiles?search=search&sort=name&order=asc&limit=2')).json();
      expect([page.items.length, page.next_offset]).toEqual([2, 2]);
      expect((await call('GET', '/customer-profiles?search=search&sort=name&order=asc&limit=2&offset=2')).json().items.map((p: { name: string }) => p.name)).toEqual(['Search Gamma']);
      expect(fields(await call('GET', '/customer-profiles?countries=usa'))).toEqual(['query.countries.0']);
      expect(fields(await call('GET', '/customer-profiles?sort=demographics'))).toEqual(['query.sort']);
    });
  });

  describe('campaign profile usage', () => {
    it('attaches a campaign to a container, then to a container with overrides, keeping one active usage', async () => {
      const campaignId = await api.fixtures.track15Campaign(client.id, { name: 'Usage appeal' });
      const set = await api.fixtures.profileSet(client.id, 'Usage');
      const url = `/campaigns/${campaignId}/profile-usage`;
      expect((await call('GET', url)).statusCode).toBe(404);
      const first = await call('PUT', url, { usage_type: 'CONTAINER', container_id: set.containerId });
      expect(first.statusCode).toBe(201);
      expect(first.json()).toMatchObject({ usage_type: 'CONTAINER', created_by: keyId,
        effective: { customer_profile_id: set.profileId, brand_guidelines_id: set.guidelineId, budget_id: set.budgetId } });
      const override = await call('POST', '/budgets', { name: 'Override', amount: 50 });
      const hybrid = await call('PUT', url, { usage_type: 'HYBRID', container_id: set.containerId, budget_id: override.json().id });
      expect(hybrid.statusCode).toBe(200);
      expect(hybrid.json().effective).toEqual({ customer_profile_id: set.profileId, brand_guidelines_id: set.guidelineId, budget_id: override.json().id });
      expect((await call('GET', url)).json().id).toBe(hybrid.json().id);
      const all = (await call('GET', `/profile-usage?include_inactive=true&container_id=${set.containerId}`)).json().items;
      expect(all.map((u: { usage_type: string; is_active: boolean }) => [u.usage_type, u.is_active])).toEqual([['HYBRID', true], ['CONTAINER', false]]);
      expect((await call('GET', '/profile-summary')).json().total_campaign_usage).toBeGreaterThanOrEqual(1);

      const refused = await call('PUT', url, { usage_type: 'CONTAINER', container_id: set.containerId, budget_id: override.json().id });
      expect([refused.statusCode, fields(refused)]).toEqual([400, ['body.usage_type']]);
      expect(fields(await call('PUT', url, { usage_type: 'INDIVIDUAL' }))).toEqual(['body.customer_profile_id']);
      expect(fields(await call('PUT', url, { usage_type: 'HYBRID', budget_id: override.json().id }))).toEqual(['body.container_id']);

      const ended = await call('DELETE', url);
      expect([ended.statusCode, ended.json().is_active]).toEqual([200, false]);
      expect((await call('GET', url)).statusCode).toBe(404);
    });
  });
});
