import { createHash } from 'node:crypto';
import { type ApiHarness, startApi } from '../support';

/** Issue 15 item 8: a donor can be corrected (PATCH with If-Match), erased on request and exported. */
describe('donor correction, erasure and export', () => {
  let api: ApiHarness;
  let client: { id: string; key: string };
  const call = (method: string, url: string, payload?: unknown, headers?: Record<string, string>) =>
    api.call(client.key, { method, url: `/v1/clients/${client.id}${url}`, payload, headers });

  beforeAll(async () => {
    api = await startApi();
    client = await api.client('Care Org');
  });
  afterAll(async () => { await api.close(); });

  it('corrects a donor with If-Match; a stale version answers 412 with the current one; of two racing corrections one wins', async () => {
    const created = await call('POST', '/donors', { email: 'fix@donors.test', first_name: 'Jhon' });
    const url = `/donors/${created.json().id}`;
    const read = await call('GET', url);
    expect(read.headers.etag).toBe('"1"');
    expect((await call('PATCH', url, { first_name: 'John' })).statusCode).toBe(428);
    const fixed = await call('PATCH', url, { first_name: 'John', tags: ['corrected'] }, { 'if-match': read.headers.etag });
    expect([fixed.statusCode, fixed.json().first_name, fixed.json().version, fixed.headers.etag]).toEqual([200, 'John', 2, '"2"']);
    const stale = await call('PATCH', url, { last_name: 'Smith' }, { 'if-match': read.headers.etag });
    expect([stale.statusCode, stale.json().current_version]).toEqual([412, 2]);
    const [a, b] = await Promise.all([call('PATCH', url, { last_name: 'A', version: 2 }), call('PATCH', url, { last_name: 'B', version: 2 })]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 412]);
    expect((await call('PATCH', url, { email: null, phone: null, version: 3 })).json().errors).toEqual([expect.objectContaining({ field: 'body.email' })]);
  });

  it('erases a donor: personal data gone, gifts kept, the address only as a hash, and never mailed again', async () => {
    const [donorId] = await api.fixtures.donors(client.id, [{ email: 'Erase.Me@donors.test', phone: '+15550009999', first_name: 'Erin', last_name: 'Quixley' }]);
    const campaignId = await api.fixtures.track15Campaign(client.id);
    await api.fixtures.donation(client.id, donorId, 42, { campaignId });
    // A campaign's send is to one of its recipients.
    await api.fixtures.query(`insert into campaign_recipients (campaign_id, donor_id, client_id, recipient_group) values ($1, $2, $3, 'test')`, [campaignId, donorId, client.id]);
    await api.fixtures.query(`insert into email_sends (client_id, donor_id, email_address, campaign_id) values ($1, $2, 'Erase.Me@donors.test', $3)`, [client.id, donorId, campaignId]);
    await api.fixtures.query(`update donors set metadata = '{"crm": "E-77"}', tags = '{vip}' where id = $1`, [donorId]);

    const erased = await call('POST', `/donors/${donorId}/erase`);
    expect(erased.statusCode).toBe(200);
    expect(erased.json()).toMatchObject({ email: null, phone: null, first_name: null, last_name: null, tags: [], metadata: {},
      is_active: false, erased_at: expect.any(String), email_suppression_reason: 'erased' });
    expect((await call('POST', `/donors/${donorId}/erase`)).json().erased_at).toBe(erased.json().erased_at);

    const [gift] = await api.fixtures.query<{ amount: string; donor_id: string }>('select amount::text as amount, donor_id from donations where campaign_id = $1', [campaignId]);
    expect([Number(gift.amount), gift.donor_id]).toEqual([42, donorId]);
    // No table holds the address, the phone or the names any more; the hashes do.
    for (const secret of ['erase.me@donors.test', '+15550009999', 'Erin', 'Quixley', 'E-77']) {
      const [{ n }] = await api.fixtures.query<{ n: number }>(
        `select count(*)::int as n from (select to_jsonb(d)::text as t from donors d union all select to_jsonb(e)::text from email_sends e) x where lower(t) like '%' || lower($1) || '%'`, [secret]);
      expect([secret, n]).toEqual([secret, 0]);
    }
    const hashes = (await api.fixtures.query<{ kind: string; address_hash: string }>('select kind, address_hash from erased_addresses where client_id = $1 order by kind', [client.id]));
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    expect(hashes).toEqual([{ kind: 'email', address_hash: sha('erase.me@donors.test') }, { kind: 'phone', address_hash: sha('+15550009999') }]);

    const returning = await call('POST', '/donors', { email: 'ERASE.me@donors.test', first_name: 'Again' });
    expect(returning.statusCode).toBe(201);
    expect(returning.json()).toMatchObject({ email_suppressed_at: expect.any(String), email_suppression_reason: 'erased' });
    const corrected = await call('PATCH', `/donors/${donorId}`, { first_name: 'Back', version: erased.json().version });
    expect(corrected.statusCode).toBe(409);
  });

  it('exports one donor\'s data as JSON', async () => {
    const [donorId] = await api.fixtures.donors(client.id, [{ email: 'sar@donors.test', first_name: 'Sara' }]);
    await api.fixtures.donation(client.id, donorId, 15);
    await api.fixtures.unsubscribe(client.id, donorId, 'marketing');
    const exported = await call('GET', `/donors/${donorId}/export`);
    expect(exported.statusCode).toBe(200);
    expect(exported.json()).toMatchObject({
      donor: { id: donorId, email: 'sar@donors.test', first_name: 'Sara' },
      donations: [expect.objectContaining({ amount: 15, donor_id: donorId })],
      notification_preferences: [expect.objectContaining({ category: 'marketing' })],
      email_sends: [], conversations: [],
      journey_transitions: [expect.objectContaining({ to_stage: 'lead', cause: 'created' }), expect.objectContaining({ from_stage: 'lead', to_stage: 'new_donor', cause: 'gift' })],
    });
  });
});
