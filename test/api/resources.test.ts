import { buildNarrativeSteps } from '../../domain/campaigns/narrative';
import { type ApiHarness, STORY, startApi } from './support';

describe('donors, donations, campaigns and steps', () => {
  let api: ApiHarness;
  let client: { id: string; key: string };
  const base = () => `/v1/clients/${client.id}`;
  const call = (method: string, url: string, payload?: unknown, headers?: Record<string, string>) =>
    api.call(client.key, { method, url: `${base()}${url}`, payload, headers });

  beforeAll(async () => {
    api = await startApi();
    client = await api.client('Food Bank');
  });
  afterAll(async () => { await api.close(); });

  describe('donors', () => {
    it('creates, gets and lists donors by segment, stage and search', async () => {
      // The lifecycle stage is the product's to keep (domain/journeys.ts): a create cannot set it.
      const staged = await call('POST', '/donors', { email: 'ann@example.org', first_name: 'Ann', stage: 'active' });
      expect(staged.statusCode).toBe(400);
      const ann = await call('POST', '/donors', { email: 'ann@example.org', first_name: 'Ann', last_name: 'Lee', tags: ['board'] });
      expect(ann.statusCode).toBe(201);
      await api.fixtures.query(`update donors set stage = 'active' where id = $1`, [ann.json().id]);
      await call('POST', '/donors', { phone: '+15550001111', first_name: 'Bob', last_name: 'Stone' });
      await api.fixtures.query(`update donors set rfm_segment = 'Champions' where id = $1`, [ann.json().id]);

      expect((await call('GET', `/donors/${ann.json().id}`)).json()).toMatchObject({ email: 'ann@example.org', tags: ['board'], rfm_segment: 'Champions' });
      const names = async (query: string) => (await call('GET', `/donors?${query}`)).json().items.map((d: { first_name: string }) => d.first_name).sort();
      expect(await names('segment=Champions')).toEqual(['Ann']);
      expect(await names('stage=lead')).toEqual(['Bob']);
      expect(await names('search=STON')).toEqual(['Bob']);
      expect(await names('search=example.org')).toEqual(['Ann']);
      expect(await names('search=%25')).toEqual([]);
      expect((await call('GET', '/donors?limit=1')).json().next_offset).toBe(1);
    });

    it('refuses a duplicate email (case-insensitively) with 409 naming the field', async () => {
      const duplicate = await call('POST', '/donors', { email: 'ANN@example.org' });
      expect(duplicate.statusCode).toBe(409);
      expect(duplicate.json().errors).toEqual([{ field: 'body.email', message: 'already exists' }]);
    });

    it('imports a JSON array: valid rows together, invalid and duplicate rows reported by index and field', async () => {
      const response = await call('POST', '/donors/import', [
        { email: 'c1@example.org', first_name: 'C1' },
        { email: 'not-an-email', first_name: 'Bad' },
        { email: 'ann@example.org' },
        { email: 'c1@EXAMPLE.org' },
        { phone: '+15550002222', source: 'nonsense', timezone: 'Mars/Base' },
        { phone: '+15550003333', tags: ['a', 'b'] },
      ]);
      expect(response.statusCode).toBe(200);
      const report = response.json();
      expect(report).toMatchObject({ received: 6, imported: 2, failed: 4 });
      expect(report.errors.map((e: { row: number; errors: { field: string }[] }) => [e.row, e.errors.map((f) => f.field).sort()])).toEqual([
        [1, ['email']], [2, ['email']], [3, ['email']], [4, ['source', 'timezone']],
      ]);
      const [{ count }] = await api.fixtures.query<{ count: number }>(
        `select count(*)::int as count from donors where client_id = $1 and (first_name = 'Bad' or phone = '+15550002222')`, [client.id]);
      expect(count).toBe(0);
    });

    it('imports CSV with quoted fields (a line break inside one), reporting rows by line', async () => {
      const csv = 'email,first_name,last_name,tags\r\nd1@example.org,"Smith, Jr.",D,a;b\r\nbad-email,X,Y,\r\n"d2@example.org","Multi\nLine",Z,\r\nd3@example.org,Three,Z,\r\nonly,two\r\n';
      const response = await call('POST', '/donors/import', csv, { 'content-type': 'text/csv' });
      expect(response.statusCode).toBe(200);
      // A name is one line (domain/text.ts): the quoted line break is read, and its row refused by line.
      expect(response.json()).toMatchObject({ received: 5, imported: 2, failed: 3 });
      expect(response.json().errors.map((e: { line: number }) => e.line)).toEqual([3, 4, 7]);
      const [donor] = await api.fixtures.query<{ first_name: string; tags: string[] }>(`select first_name, tags from donors where email = 'd1@example.org'`);
      expect(donor).toEqual({ first_name: 'Smith, Jr.', tags: ['a', 'b'] });
      expect((await call('POST', '/donors/import', 'email\n"unclosed', { 'content-type': 'text/csv' })).statusCode).toBe(400);
    });

    it('keeps notification preferences per category, with defaults for the rest', async () => {
      const donor = (await call('POST', '/donors', { email: 'prefs@example.org' })).json();
      const changed = await call('PATCH', `/donors/${donor.id}/notification-preferences/marketing`, { unsubscribed: true, email_enabled: false });
      expect(changed.json()).toMatchObject({ category: 'marketing', email_enabled: false, unsubscribed_at: expect.any(String) });
      const again = await call('PATCH', `/donors/${donor.id}/notification-preferences/marketing`, { sms_enabled: true });
      expect(again.json()).toMatchObject({ email_enabled: false, sms_enabled: true, unsubscribed_at: changed.json().unsubscribed_at });
      const listed = (await call('GET', `/donors/${donor.id}/notification-preferences`)).json().items;
      expect(listed).toHaveLength(5);
      expect(listed.find((p: { category: string }) => p.category === 'events')).toMatchObject({ email_enabled: true, updated_at: null });
      expect((await call('PATCH', `/donors/${donor.id}/notification-preferences/spam`, { sms_enabled: true })).statusCode).toBe(400);
    });
  });

  describe('donations', () => {
    it('records offline gifts, rescoring the donor, and lists them by donor and campaign', async () => {
      const donor = (await call('POST', '/donors', { email: 'giver@example.org' })).json();
      const campaign = (await call('POST', '/campaigns', { name: 'Appeal' })).json();
      const gift = await call('POST', '/donations', { donor_id: donor.id, campaign_id: campaign.id, amount: 125.5, currency: 'USD' });
      expect(gift.statusCode).toBe(201);
      expect(gift.json()).toMatchObject({ amount: 125.5, currency: 'usd', source: 'offline', status: 'succeeded' });
      await call('POST', '/donations', { donor_id: donor.id, amount: 10 });
      expect((await call('GET', `/donations?donor_id=${donor.id}`)).json().items).toHaveLength(2);
      expect((await call('GET', `/donations?campaign_id=${campaign.id}`)).json().items.map((d: { amount: number }) => d.amount)).toEqual([125.5]);
      expect((await call('GET', `/donors/${donor.id}`)).json().rfm_segment).toEqual(expect.any(String));

      const missing = await call('POST', '/donations', { donor_id: '00000000-0000-4000-8000-000000000000', amount: 5 });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().errors[0].field).toBe('body.donor_id');
      const cents = await call('POST', '/donations', { donor_id: donor.id, amount: 1.005 });
      expect(cents.json().errors[0].field).toBe('body.amount');
    });

    it('recalculates RFM on demand, reporting donors scored and donors changed; every scored donor reads as last scored then', async () => {
      const rfm = await api.client('RFM on demand');
      const recalculate = async (payload?: unknown) => {
        const response = await api.call(rfm.key, { method: 'POST', url: `/v1/clients/${rfm.id}/rfm/recalculate`, payload });
        expect(response.statusCode).toBe(200);
        return response.json();
      };
      const donor = async (id: string) => (await api.call(rfm.key, { url: `/v1/clients/${rfm.id}/donors/${id}` })).json();
      const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
      const [steady, growing, lapsed, never] = await api.fixtures.donors(rfm.id, [
        { email: 'steady@rfm.test' }, { email: 'growing@rfm.test' }, { email: 'lapsed@rfm.test', segment: 'Loyal' }, { email: 'never@rfm.test' },
      ]);
      await api.fixtures.donation(rfm.id, steady, 60, { at: daysAgo(10) });
      await api.fixtures.donation(rfm.id, growing, 60, { at: daysAgo(10) });

      // Two donors gain scores and one loses a segment it has no gifts for; the donor who never gave stays unscored.
      const first = await recalculate();
      expect(first).toEqual({ donors_scored: 4, donors_changed: 3, as_of: expect.any(String) });
      expect(await donor(never)).toMatchObject({ rfm_segment: null, rfm_recency_score: null, rfm_last_calculated: expect.any(String) });
      expect(await donor(lapsed)).toMatchObject({ rfm_segment: null });

      // A second gift (recorded without rescoring) moves one donor's frequency; the other three stay as they were.
      await api.fixtures.donation(rfm.id, growing, 60, { at: daysAgo(5) });
      const [{ at: steadyRowStamp }] = await api.fixtures.query<{ at: Date }>('select rfm_last_calculated as at from donors where id = $1', [steady]);
      const second = await recalculate({});
      expect(second).toEqual({ donors_scored: 4, donors_changed: 1, as_of: expect.any(String) });
      expect(await donor(growing)).toMatchObject({ rfm_frequency_score: 2, rfm_recency_score: 5 });
      for (const id of [steady, growing, lapsed, never]) {
        const { rfm_last_calculated: lastScored } = await donor(id);
        expect([id, Date.parse(lastScored) >= Date.parse(second.as_of)]).toEqual([id, true]);
      }
      // …though the unchanged donors' rows were not rewritten (the client's stamp says when they were scored).
      const [{ at: steadyRowAfter }] = await api.fixtures.query<{ at: Date }>('select rfm_last_calculated as at from donors where id = $1', [steady]);
      expect(steadyRowAfter).toEqual(steadyRowStamp);

      expect(await recalculate({ donor_id: steady })).toMatchObject({ donors_scored: 1, donors_changed: 0 });
      expect(await recalculate({ as_of: daysAgo(1).toISOString() })).toMatchObject({ donors_scored: 4, donors_changed: 0 });
    });
  });

  describe('campaigns and narrative steps', () => {
    const track15 = (extra: Record<string, unknown> = {}) => ({ name: 'Spring', track15: { season: 'spring', core_story: STORY, ...extra } });

    it('creates a Track15 campaign with the season\'s fifteen steps, and lists by stage and season', async () => {
      // A short day mailed the real audience at rehearsal pace; a rehearsal is now its own operation, to test addresses only.
      const fast = await call('POST', '/campaigns', track15({ stage: 'ready_for_launch', day_length_seconds: 60 }));
      expect(fast.statusCode).toBe(400);
      expect(fast.json().errors).toEqual([{ field: 'body.track15.day_length_seconds', message: expect.stringMatching(/rehearse it .*test addresses only/) }]);
      const created = await call('POST', '/campaigns', track15({ stage: 'ready_for_launch', day_length_seconds: 86_400 }));
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ track15_enabled: true, track15_stage: 'ready_for_launch', track15_season: 'spring', track15_template_key: 'seasonal', track15_day_length_seconds: 86_400 });
      const steps = (await call('GET', `/campaigns/${created.json().id}/steps`)).json().items;
      expect(steps.map((s: { step_number: number }) => s.step_number)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      await call('POST', '/campaigns', { ...track15(), track15: { season: 'fall', core_story: STORY } });
      const ids = async (query: string) => (await call('GET', `/campaigns?${query}`)).json().items.map((c: { id: string }) => c.id);
      expect(await ids('stage=ready_for_launch&season=spring')).toEqual([created.json().id]);
      expect(await ids('season=fall')).toHaveLength(1);
      expect(await ids('track15=false')).not.toContain(created.json().id);
    });

    it('refuses ready_for_launch for a custom template until fifteen valid steps exist', async () => {
      const refused = await call('POST', '/campaigns', track15({ template_key: 'custom', stage: 'ready_for_launch' }));
      expect(refused.statusCode).toBe(400);
      expect(refused.json().errors[0].field).toBe('body.track15.stage');
      const [{ count }] = await api.fixtures.query<{ count: number }>(`select count(*)::int as count from campaigns where track15_template_key = 'custom'`);
      expect(count).toBe(0);

      const draft = (await call('POST', '/campaigns', track15({ template_key: 'custom' }))).json();
      const notReady = await call('PATCH', `/campaigns/${draft.id}`, { track15: { stage: 'ready_for_launch' } });
      expect(notReady.statusCode).toBe(409);
      expect(notReady.json().reasons.join(' ')).toMatch(/exactly 15 steps/);
      const steps = buildNarrativeSteps('summer', STORY);
      expect((await call('PUT', `/campaigns/${draft.id}/steps`, { steps })).statusCode).toBe(200);
      expect((await call('PATCH', `/campaigns/${draft.id}`, { track15: { stage: 'ready_for_launch' } })).json().track15_stage).toBe('ready_for_launch');
    });

    it('checks steps when they are saved, naming the step and field', async () => {
      const campaign = (await call('POST', '/campaigns', track15())).json();
      const steps = buildNarrativeSteps('spring', STORY);
      const badTemplate = steps.map((s, i) => (i === 6 ? { ...s, message: 'Hi {{donor.password}}' } : s));
      const templateRefused = await call('PUT', `/campaigns/${campaign.id}/steps`, { steps: badTemplate });
      expect(templateRefused.statusCode).toBe(400);
      expect(templateRefused.json().errors[0].field).toBe('body.steps[6].message');

      const badStage = steps.map((s, i) => (i === 0 ? { ...s, stage: 'gratitude' } : s));
      expect((await call('PUT', `/campaigns/${campaign.id}/steps`, { steps: badStage })).json().errors[0].field).toBe('body.steps[0].stage');
      expect((await call('PUT', `/campaigns/${campaign.id}/steps`, { steps: steps.slice(1) })).json().errors[0].field).toBe('body.steps');

      const patched = await call('PATCH', `/campaigns/${campaign.id}/steps/7`, { subject_line: 'Hello {{donor.first_name}}' });
      expect(patched.json()).toMatchObject({ step_number: 7, subject_line: 'Hello {{donor.first_name}}' });
      expect((await call('PATCH', `/campaigns/${campaign.id}/steps/7`, { day: 2 })).json().errors[0].field).toBe('body.day');
      expect((await call('PATCH', `/campaigns/${campaign.id}/steps/7`, { call_to_action: '{{#each x}}{{/each}}' })).json().errors[0].field).toBe('body.call_to_action');
      expect((await call('PATCH', `/campaigns/${campaign.id}/steps/16`, { day: 2 })).json().errors[0].field).toBe('params.stepNumber');
    });

    it('updates plain fields at any time, Track15 settings only before activation, and soft-deletes', async () => {
      const campaign = (await call('POST', '/campaigns', track15())).json();
      expect((await call('PATCH', `/campaigns/${campaign.id}`, { name: 'Renamed', goal_amount: 5000 })).json()).toMatchObject({ name: 'Renamed', goal_amount: 5000 });
      expect((await call('PATCH', `/campaigns/${campaign.id}`, { start_date: '2026-03-10', end_date: '2026-03-01' })).json().errors[0].field).toBe('body.end_date');
      expect((await call('PATCH', `/campaigns/${campaign.id}`, {})).statusCode).toBe(400);

      await api.fixtures.query(`update campaigns set track15_stage = 'active', track15_activated_at = now() where id = $1`, [campaign.id]);
      const frozen = await call('PATCH', `/campaigns/${campaign.id}`, { track15: { send_hour: 7 } });
      expect(frozen.statusCode).toBe(409);
      expect((await call('PATCH', `/campaigns/${campaign.id}/steps/1`, { day: 1 })).statusCode).toBe(409);
      expect((await call('DELETE', `/campaigns/${campaign.id}`)).statusCode).toBe(409);

      await api.fixtures.query(`update campaigns set track15_stage = 'completed' where id = $1`, [campaign.id]);
      expect((await call('DELETE', `/campaigns/${campaign.id}`)).statusCode).toBe(204);
      expect((await call('GET', `/campaigns/${campaign.id}`)).statusCode).toBe(404);
      expect((await api.fixtures.query('select deleted_at from campaigns where id = $1', [campaign.id]))[0].deleted_at).not.toBeNull();
    });

    it('refuses Track15 settings on a standard campaign', async () => {
      const standard = (await call('POST', '/campaigns', { name: 'Gala', goal_amount: 100 })).json();
      expect(standard.track15_enabled).toBe(false);
      expect((await call('PATCH', `/campaigns/${standard.id}`, { track15: { season: 'fall' } })).statusCode).toBe(409);
      expect((await call('GET', `/campaigns/${standard.id}/steps`)).json().items).toEqual([]);
    });
  });
});
