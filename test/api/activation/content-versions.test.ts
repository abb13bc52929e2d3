import { VALID_CONTENT } from './content-fixtures';
import { type ApiHarness, databaseFingerprint, startApi } from '../support';

/** Issue 16 item 1: content versions per client and page type, through the API, on the real database. */
describe('content versions API', () => {
  let api: ApiHarness;
  let client: { id: string; key: string };
  let keyId: string;

  beforeAll(async () => {
    api = await startApi();
    client = await api.client('Versioned Org');
    [{ id: keyId }] = await api.fixtures.query<{ id: string }>('select id from api_keys where client_id = $1', [client.id]);
  });
  afterAll(async () => { await api.close(); });

  const create = (pageType: string, body: Record<string, unknown>) =>
    api.call(client.key, { method: 'POST', url: `/v1/clients/${client.id}/pages/${pageType}/versions`, payload: body });
  const list = async (pageType: string, query = '') =>
    (await api.call(client.key, { url: `/v1/clients/${client.id}/pages/${pageType}/versions${query}` })).json().items as Record<string, unknown>[];

  it('creates a version of every page type with its learning fields, created_by from the calling key', async () => {
    for (const [pageType, content] of Object.entries(VALID_CONTENT)) {
      const response = await create(pageType, { content, hypothesis: `A clearer ${pageType} page converts more`, iteration_notes: 'First version' });
      expect([pageType, response.statusCode]).toEqual([pageType, 201]);
      const row = response.json();
      expect(row).toMatchObject({
        client_id: client.id, page_type: pageType, version_number: 1, content, is_current: false, outcome: null,
        hypothesis: `A clearer ${pageType} page converts more`, iteration_notes: 'First version', created_by: keyId,
      });
      expect(response.headers.location).toBe(`/v1/clients/${client.id}/content-versions/${row.id}`);
      const read = await api.call(client.key, { url: `/v1/clients/${client.id}/content-versions/${row.id}` });
      expect(read.json()).toEqual(row);
    }
  });

  it('refuses content of the wrong shape for its page type with 400 naming the field, writing nothing', async () => {
    const before = await databaseFingerprint(api.fixtures);
    const cases: [string, unknown, string][] = [
      ['activation', { ...VALID_CONTENT.activation, headline: '' }, 'body.content.headline'],
      ['activation', { ...VALID_CONTENT.activation, price_shown: { amount: 500.5, currency: 'usd' } }, 'body.content.price_shown.amount'],
      ['activation', { ...VALID_CONTENT.activation, body: [{ type: 'list', text: 'not a list' }] }, 'body.content.body.0.items'],
      ['agreement', { ...VALID_CONTENT.activation }, 'body.content.agreement_text'],
      ['processing', { ...VALID_CONTENT.processing, headline: 'Bad\u0000headline' }, 'body.content.headline'],
      ['confirmation', { ...VALID_CONTENT.confirmation, surprise: true }, 'body.content'],
    ];
    for (const [pageType, content, field] of cases) {
      const response = await create(pageType, { content });
      expect([field, response.statusCode, response.headers['content-type']]).toEqual([field, 400, expect.stringMatching(/^application\/problem\+json/)]);
      expect([field, (response.json().errors as { field: string }[]).some((error) => error.field === field)]).toEqual([field, true]);
    }
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
  });

  it('numbers versions 1..n without gaps or duplicates when created concurrently, a refused insert leaving no gap', async () => {
    const other = await api.client('Concurrent Org');
    const post = (content: unknown) => api.call(other.key, { method: 'POST', url: `/v1/clients/${other.id}/pages/activation/versions`, payload: { content } });
    const first = await Promise.all(Array.from({ length: 10 }, (_, i) => post({ ...VALID_CONTENT.activation, headline: `Variant ${i}` })));
    expect(first.map((r) => r.statusCode)).toEqual(Array(10).fill(201));
    expect((await post({ headline: 'no body' })).statusCode).toBe(400);
    // A failure inside the database (after the trigger took a number) rolls the number back with it.
    await expect(api.fixtures.query(
      `insert into content_versions (client_id, page_type, content, outcome) values ($1, 'activation', '{}', 'bogus')`, [other.id])).rejects.toThrow();
    const second = await Promise.all(Array.from({ length: 5 }, () => post(VALID_CONTENT.activation)));
    const numbers = [...first, ...second].map((r) => r.json().version_number as number).sort((x, y) => x - y);
    expect(numbers).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    const agreement = await api.call(other.key, { method: 'POST', url: `/v1/clients/${other.id}/pages/agreement/versions`, payload: { content: VALID_CONTENT.agreement } });
    expect(agreement.json().version_number).toBe(1);
  });

  it('keeps exactly one current version per page type under concurrent make-current calls', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await create('agreement', { content: VALID_CONTENT.agreement })).json().id as string);
    const confirmation = (await create('confirmation', { content: VALID_CONTENT.confirmation, make_current: true })).json();
    expect(confirmation.is_current).toBe(true);
    for (let round = 0; round < 3; round++) {
      const responses = await Promise.all(ids.map((id) =>
        api.call(client.key, { method: 'POST', url: `/v1/clients/${client.id}/content-versions/${id}/make-current` })));
      expect(responses.map((r) => r.statusCode)).toEqual(Array(ids.length).fill(200));
      const current = await list('agreement', '?current=true');
      expect(current).toHaveLength(1);
      expect(ids).toContain(current[0].id);
    }
    // Other page types are untouched.
    expect((await list('confirmation', '?current=true')).map((row) => row.id)).toEqual([confirmation.id]);
    const chosen = ids[3];
    const made = await api.call(client.key, { method: 'POST', url: `/v1/clients/${client.id}/content-versions/${chosen}/make-current` });
    expect(made.json()).toMatchObject({ id: chosen, is_current: true });
    expect((await list('agreement', '?current=true')).map((row) => row.id)).toEqual([chosen]);
    expect((await list('agreement', '?current=false')).length).toBeGreaterThanOrEqual(ids.length - 1);
  });

  it('sets the outcome with a note, who and when; filters by it; refuses unknown outcomes', async () => {
    const { id } = (await create('processing', { content: VALID_CONTENT.processing })).json();
    const url = `/v1/clients/${client.id}/content-versions/${id}/outcome`;
    const bad = await api.call(client.key, { method: 'PUT', url, payload: { outcome: 'great' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('body.outcome');
    const set = await api.call(client.key, { method: 'PUT', url, payload: { outcome: 'success', note: 'Conversion up from 12% to 19%' } });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ outcome: 'success', outcome_note: 'Conversion up from 12% to 19%', outcome_set_by: keyId });
    expect(Date.parse(set.json().outcome_set_at as string)).toBeGreaterThan(Date.now() - 60_000);
    expect((await list('processing', '?outcome=success')).map((row) => row.id)).toEqual([id]);
    expect(await list('processing', '?outcome=failure')).toEqual([]);
  });

  it('answers 404 for a version that does not exist', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const request of [
      { url: `/v1/clients/${client.id}/content-versions/${missing}` },
      { method: 'POST', url: `/v1/clients/${client.id}/content-versions/${missing}/make-current` },
      { method: 'PUT', url: `/v1/clients/${client.id}/content-versions/${missing}/outcome`, payload: { outcome: 'failure' } },
    ]) expect((await api.call(client.key, request)).statusCode).toBe(404);
  });
});
