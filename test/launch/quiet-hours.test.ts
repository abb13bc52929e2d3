import { type ApiHarness, startApi } from '../api/support';

/** Issue 14 item 6: a client's quiet hours, set and read through the client API and validated. */
describe('quiet hours', () => {
  let api: ApiHarness;
  let client: { id: string; key: string };

  beforeAll(async () => {
    api = await startApi();
    client = await api.client('Quiet Hours Org');
  });
  afterAll(async () => { await api?.close(); });

  const patch = (payload: unknown) => api.call(client.key, { method: 'PATCH', url: `/v1/clients/${client.id}`, payload });
  const stored = async () => (await api.fixtures.query<{ s: string | null; e: string | null }>(
    'select quiet_hours_start::text as s, quiet_hours_end::text as e from clients where id = $1', [client.id]))[0];

  it('are shown, set (past midnight or within a day), and cleared', async () => {
    expect((await api.call(client.key, { url: `/v1/clients/${client.id}` })).json().quiet_hours).toBeNull();
    expect((await patch({ quiet_hours: { start: '21:00', end: '08:00' } })).json().quiet_hours).toEqual({ start: '21:00', end: '08:00' });
    expect(await stored()).toEqual({ s: '21:00:00', e: '08:00:00' });
    expect((await patch({ quiet_hours: { start: '12:30', end: '13:45' } })).json().quiet_hours).toEqual({ start: '12:30', end: '13:45' });
    expect((await patch({ name: 'Renamed' })).json().quiet_hours).toEqual({ start: '12:30', end: '13:45' });
    expect((await patch({ quiet_hours: null })).json().quiet_hours).toBeNull();
    expect(await stored()).toEqual({ s: null, e: null });
  });

  it.each([
    [{ start: '21:00' }, 'body.quiet_hours.end'],
    [{ start: '24:00', end: '08:00' }, 'body.quiet_hours.start'],
    [{ start: '9:00', end: '17:00' }, 'body.quiet_hours.start'],
    [{ start: '21:00', end: '08:00:00' }, 'body.quiet_hours.end'],
    [{ start: '21:00', end: '21:00' }, 'body.quiet_hours.end'],
    [{ start: '21:00\u0000', end: '08:00' }, 'body.quiet_hours.start'],
    [{ start: 2100, end: '08:00' }, 'body.quiet_hours.start'],
    [{ start: '21:00', end: '08:00', zone: 'UTC' }, 'body.quiet_hours'],
  ])('refuses %j with 400 naming %s, and changes nothing', async (quiet, field) => {
    await patch({ quiet_hours: { start: '22:00', end: '07:00' } });
    const refused = await patch({ quiet_hours: quiet });
    expect(refused.statusCode).toBe(400);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await stored()).toEqual({ s: '22:00:00', e: '07:00:00' });
  });
});
