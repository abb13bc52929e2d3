import { type ApiHarness, startApi } from '../support';

/** Issue 18 item 5: donors found through seed 001's full-text index over names and email, best matches first, beside the trigram search. */
describe('donor full-text search', () => {
  let api: ApiHarness;
  let client: { id: string; key: string };

  beforeAll(async () => {
    api = await startApi();
    client = await api.client('Search Org');
    await api.fixtures.donors(client.id, [
      { email: 'maria.garcia@donors.test', first_name: 'Maria', last_name: 'Garcia' },
      { email: 'garcia.family@donors.test', first_name: 'Luis', last_name: 'Garcia' },
      { email: 'maria@elsewhere.test', first_name: 'Maria', last_name: 'Lopez' },
      { email: 'tom@donors.test', first_name: 'Tom', last_name: 'Jones' },
    ]);
    const other = await api.client('Other Org');
    await api.fixtures.donors(other.id, [{ email: 'maria.garcia@other.test', first_name: 'Maria', last_name: 'Garcia' }]);
  });
  afterAll(async () => { await api?.close(); });

  const search = (query: string) => api.call(client.key, { url: `/v1/clients/${client.id}/donors?${query}` });
  const emails = async (query: string) => (await search(query)).json().items.map((d: { email: string }) => d.email);

  it('ranks the donor matching every word first, finds by email words, honours exclusions, and stays within the client', async () => {
    expect((await emails('q=maria%20garcia'))).toEqual(['maria.garcia@donors.test']);
    expect(await emails('q=maria%20or%20garcia')).toEqual(expect.arrayContaining(['maria.garcia@donors.test', 'garcia.family@donors.test', 'maria@elsewhere.test']));
    expect((await emails('q=maria%20or%20garcia'))[0]).toBe('maria.garcia@donors.test');
    expect(await emails('q=garcia%20-maria')).toEqual(['garcia.family@donors.test']);
    expect(await emails('q=tom@donors.test')).toEqual(['tom@donors.test']);
    expect(await emails('q=nobody')).toEqual([]);
    // Beside the trigram search, which finds parts of words.
    expect(await emails('search=arci&limit=10')).toEqual(expect.arrayContaining(['maria.garcia@donors.test', 'garcia.family@donors.test']));
  });

  it('refuses an empty or over-long query naming it', async () => {
    for (const query of ['q=', `q=${'a'.repeat(201)}`]) {
      const refused = await search(query);
      expect(refused.statusCode).toBe(400);
      expect(refused.json().errors.map((e: { field: string }) => e.field)).toEqual(['query.q']);
    }
  });
});
