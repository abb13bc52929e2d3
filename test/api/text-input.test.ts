import { type ApiHarness, STORY, databaseFingerprint, startApi } from './support';

/**
 * Issue 10 item 1, the named inputs: NUL (and the rest of the text rule, domain/text.ts) in every kind of
 * field answers 400 problem+json naming the field, and nothing is written. The property test
 * (invalid-input.test.ts) covers every string field of every operation; these pin the exact answers.
 */
describe('text a caller sends', () => {
  let api: ApiHarness;
  let client: { id: string; key: string };
  let campaignId: string;
  const base = () => `/v1/clients/${client.id}`;

  beforeAll(async () => {
    api = await startApi();
    client = await api.client('Text Client');
    campaignId = await api.fixtures.track15Campaign(client.id);
  });
  afterAll(async () => { await api.close(); });

  const NUL = '\u0000';
  const cases: [string, string, string, unknown, string[]][] = [
    ['client name', 'POST', '/v1/clients', { name: `Food${NUL}Bank` }, ['body.name']],
    ['client metadata key and nested value', 'POST', '/v1/clients', { name: 'Ok', metadata: { [`k${NUL}`]: 1, crm: { ids: ['a', `b${NUL}`] } } },
      [`body.metadata.k${NUL}`, 'body.metadata.crm.ids.1']],
    ['API key name', 'POST', '/clients/:id/api-keys', { name: `ci${NUL}` }, ['body.name']],
    ['operator key name', 'POST', '/v1/operator-keys', { name: '\ud800' }, ['body.name']],
    ['campaign name and description', 'POST', '/campaigns', { name: `Spring${NUL}`, description: `a\u0007` }, ['body.name', 'body.description']],
    ['core story', 'POST', '/campaigns', { name: 'Spring', track15: { season: 'spring', core_story: { ...STORY, summary: `x${NUL}y` } } },
      ['body.track15.core_story.summary']],
    ['core story headline on update', 'PATCH', '/campaigns/:campaign', { track15: { core_story: { ...STORY, headline: 'two\nlines' } } },
      ['body.track15.core_story.headline']],
    ['donor names, tags and metadata', 'POST', '/donors',
      { email: 'nul@example.org', first_name: `An${NUL}n`, last_name: '\udfff', tags: ['ok', `t${NUL}`], metadata: { note: `\u0001` } },
      ['body.first_name', 'body.last_name', 'body.tags.1', 'body.metadata.note']],
    ['step subject line', 'PATCH', '/campaigns/:campaign/steps/3', { subject_line: `Hi${NUL}` }, ['body.subject_line']],
    ['stop reason', 'POST', '/campaigns/:campaign/stop', { reason: `done${NUL}` }, ['body.reason']],
    ['pause reason', 'POST', '/campaigns/:campaign/pause', { reason: `later\ud83d` }, ['body.reason']],
  ];

  it.each(cases)('refuses NUL and friends in %s with 400 naming each field, writing nothing', async (_name, method, path, payload, fields) => {
    const url = path.replace('/clients/:id', base()).replace(/^\/(campaigns|donors)/, `${base()}/$1`).replace(':campaign', campaignId);
    const before = await databaseFingerprint(api.fixtures);
    const response = await api.call(api.operatorKey, { method, url, payload });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const errors = response.json().errors as { field: string; message: string }[];
    for (const field of fields) {
      expect(errors).toContainEqual({ field, message: expect.stringMatching(/control character U\+|unpaired UTF-16 surrogate/) });
    }
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
  });

  it('refuses NUL in a query string parameter', async () => {
    const response = await api.call(client.key, { url: `${base()}/donors?search=a%00b` });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([{ field: 'query.search', message: expect.stringContaining('U+0000') }]);
  });

  it('reports CSV cells and JSON import rows that break the rule by row and field, importing the rest', async () => {
    const csv = `email,first_name,tags\r\nok@example.org,Ok,a\r\nnul@example.org,Ann${NUL},b\r\nctl@example.org,Bo,x;y\u0007\r\n`;
    const response = await api.call(client.key, { method: 'POST', url: `${base()}/donors/import`, payload: csv, headers: { 'content-type': 'text/csv' } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ received: 3, imported: 1, failed: 2 });
    expect(response.json().errors).toEqual([
      { row: 1, line: 3, errors: [{ field: 'first_name', message: expect.stringContaining('U+0000') }] },
      { row: 2, line: 4, errors: [{ field: 'tags.1', message: expect.stringContaining('U+0007') }] },
    ]);
    const json = await api.call(client.key, { method: 'POST', url: `${base()}/donors/import`, payload: [{ email: 'm@example.org', metadata: { [`k${NUL}`]: 'v' } }] });
    expect(json.json()).toMatchObject({ imported: 0, errors: [{ row: 0, errors: [{ field: `metadata.k${NUL}` }] }] });
  });

  it('accepts what real text holds: accents, emoji, ampersands, multi-line descriptions', async () => {
    const response = await api.call(client.key, { method: 'POST', url: `${base()}/campaigns`,
      payload: { name: 'René\'s Spring 💚 & more', description: 'Line one\r\n\tLine two' } });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ name: 'René\'s Spring 💚 & more', description: 'Line one\r\n\tLine two' });
  });
});
