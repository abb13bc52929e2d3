import { type ApiHarness, databaseFingerprint, startApi } from './support';

/**
 * Issue 17 items 1 and 4 through the API: events and ticket types (money in minor units inside, major
 * units at the edge), the sales summary, and check-in at the door, against PostgreSQL.
 */
describe('events and ticket types', () => {
  let api: ApiHarness;
  let client: { id: string; key: string };
  let donorId: string;
  const base = () => `/v1/clients/${client.id}`;
  const call = (method: string, url: string, payload?: unknown) => api.call(client.key, { method, url: `${base()}${url}`, payload });

  beforeAll(async () => {
    api = await startApi();
    client = await api.client('Gala Org');
    [donorId] = await api.fixtures.donors(client.id, [{ email: 'guest@donors.test', first_name: 'Grace' }]);
  });
  afterAll(async () => { await api.close(); });

  const newEvent = async (body: Record<string, unknown> = {}) => {
    const response = await call('POST', '/events', { name: 'Spring Gala', starts_at: '2027-04-01T18:00:00-04:00', status: 'published', ...body });
    expect(response.statusCode).toBe(201);
    return response.json() as { id: string; status: string; starts_at: string };
  };

  it('creates, reads, changes and lists events, paged soonest first', async () => {
    const gala = await newEvent({ venue: 'Harbour Hall', capacity: 300 });
    expect(gala).toMatchObject({ status: 'published', starts_at: '2027-04-01T22:00:00.000Z' });
    const run = await newEvent({ name: 'Fun Run', starts_at: '2027-03-01T09:00:00Z', status: 'draft' });
    const changed = await call('PATCH', `/events/${run.id}`, { venue: 'City Park', status: 'published' });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ venue: 'City Park', status: 'published', name: 'Fun Run' });
    const first = (await call('GET', '/events?limit=1')).json();
    expect(first.items.map((e: { id: string }) => e.id)).toEqual([run.id]);
    expect(first.next_offset).toBe(1);
    const second = (await call('GET', '/events?limit=1&offset=1')).json();
    expect(second.items.map((e: { id: string }) => e.id)).toEqual([gala.id]);
    expect((await call('GET', `/events/${gala.id}`)).json().venue).toBe('Harbour Hall');
  });

  it('refuses bad input with 400 naming the field, and changes nothing', async () => {
    const event = await newEvent();
    const before = await databaseFingerprint(api.fixtures);
    const cases: [string, string, unknown, string][] = [
      ['POST', '/events', { name: 'X', starts_at: 'tomorrow' }, 'body.starts_at'],
      ['POST', '/events', { name: 'X', starts_at: '2027-01-02T00:00:00Z', ends_at: '2027-01-01T00:00:00Z' }, 'body.ends_at'],
      ['POST', `/events/${event.id}/ticket-types`, { name: 'VIP', price: 10.005, currency: 'usd' }, 'body.price'],
      ['POST', `/events/${event.id}/ticket-types`, { name: 'VIP', price: 5000.5, currency: 'jpy' }, 'body.price'],
      ['POST', `/events/${event.id}/ticket-types`, { name: 'VIP', price: 10, currency: 'usd', donation_amount: 11 }, 'body.donation_amount'],
      ['POST', `/events/${event.id}/ticket-types`, { name: 'VIP', price: 10, currency: 'xau' }, 'body.currency'],
      ['POST', `/events/${event.id}/ticket-types`, { name: 'VIP', price: 10, currency: 'usd', max_per_order: 0 }, 'body.max_per_order'],
      ['POST', `/events/${event.id}/ticket-types`,
        { name: 'VIP', price: 10, currency: 'usd', sales_start_at: '2027-01-02T00:00:00Z', sales_end_at: '2027-01-01T00:00:00Z' }, 'body.sales_end_at'],
      ['POST', `/events/${event.id}/orders`, { items: [], success_url: 'https://x.test', cancel_url: 'https://x.test', idempotency_key: 'order-key-1' }, 'body.items'],
      ['POST', `/events/${event.id}/orders`,
        { items: [{ ticket_type_id: event.id, quantity: 1 }], success_url: 'https://x.test', cancel_url: 'https://x.test', idempotency_key: 'order-key-2' }, 'body.buyer'],
      ['POST', `/events/${event.id}/orders`,
        { donor_id: donorId, items: [{ ticket_type_id: event.id, quantity: 1 }], success_url: 'https://x.test', cancel_url: 'https://x.test' }, 'body.idempotency_key'],
      ['POST', `/events/${event.id}/orders`,
        { donor_id: donorId, items: [{ ticket_type_id: event.id, quantity: 1 }], success_url: 'https://x.test', cancel_url: 'https://x.test', idempotency_key: 'has space' }, 'body.idempotency_key'],
      ['POST', '/tickets/check-in', {}, 'body.ticket_number'],
      ['POST', `/events/${event.id}/cancel`, { reason: '' }, 'body.reason'],
    ];
    for (const [method, url, payload, field] of cases) {
      const response = await call(method, url, payload);
      expect([url, field, response.statusCode]).toEqual([url, field, 400]);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
  });

  it('keeps ticket types within the event\'s seats and never below what is held and sold', async () => {
    const event = await newEvent({ capacity: 100 });
    const vip = await call('POST', `/events/${event.id}/ticket-types`, { name: 'VIP', price: 250, currency: 'usd', donation_amount: 100, capacity: 40, max_per_order: 4 });
    expect(vip.statusCode).toBe(201);
    expect(vip.json()).toMatchObject({ price: 250, unit_amount: 25000, donation_amount: 100, currency: 'usd', capacity: 40, held: 0, sold: 0, remaining: 40 });
    const over = await call('POST', `/events/${event.id}/ticket-types`, { name: 'Standard', price: 50, currency: 'usd', capacity: 61 });
    expect(over.statusCode).toBe(409);
    expect(over.json().errors[0].field).toBe('body.capacity');
    const unlimited = await call('POST', `/events/${event.id}/ticket-types`, { name: 'Standard', price: 50, currency: 'usd' });
    expect(unlimited.statusCode).toBe(409);
    await api.fixtures.query('update ticket_types set sold = 30 where id = $1', [vip.json().id]);
    const below = await call('PATCH', `/events/${event.id}/ticket-types/${vip.json().id}`, { capacity: 29 });
    expect(below.statusCode).toBe(409);
    const repriced = await call('PATCH', `/events/${event.id}/ticket-types/${vip.json().id}`, { price: 275.5, capacity: 30 });
    expect(repriced.json()).toMatchObject({ price: 275.5, unit_amount: 27550, remaining: 0 });
    const types = (await call('GET', `/events/${event.id}/ticket-types`)).json();
    expect(types).toMatchObject({ items: [{ name: 'VIP' }], next_offset: null });
  });

  it('summarises sales per type: sold, held, remaining, checked in, refunded, revenue', async () => {
    const { eventId, ticketTypeId, orderId } = await api.fixtures.ticketedEvent(client.id, donorId, { capacity: 10 });
    // A second paid ticket, one refunded and one held, beside the fixture's paid one.
    await api.fixtures.query(
      `insert into event_tickets (client_id, event_id, donor_id, ticket_type_id, order_id, ticket_number, check_in_code, unit_amount, donation_amount, currency, status, checked_in_at)
       values ($1, $2, $3, $4, $5, 'AAAA-0001', 'AAAAAAAAAAAAAAA1', 2500, 500, 'usd', 'checked_in', now()),
              ($1, $2, $3, $4, $5, 'AAAA-0002', 'AAAAAAAAAAAAAAA2', 2500, 0, 'usd', 'refunded', null),
              ($1, $2, $3, $4, $5, 'AAAA-0003', 'AAAAAAAAAAAAAAA3', 2500, 0, 'usd', 'pending', null)`,
      [client.id, eventId, donorId, ticketTypeId, orderId]);
    await api.fixtures.query('update ticket_types set sold = 2, held = 1 where id = $1', [ticketTypeId]);
    const summary = (await call('GET', `/events/${eventId}/summary`)).json();
    expect(summary).toEqual({
      event_id: eventId, status: 'published',
      ticket_types: [{
        ticket_type_id: ticketTypeId, name: 'Standard', currency: 'usd', capacity: 10, sold: 2, held: 1, remaining: 7, checked_in: 1, refunded: 1,
        revenue: 50, revenue_minor: 5000, donation_revenue: 5,
      }],
    });
  });

  describe('check-in', () => {
    it('checks a ticket in once by number or code; a second scan says when and by whom and changes nothing', async () => {
      const { ticketNumber, checkInCode } = await api.fixtures.ticketedEvent(client.id, donorId);
      // As typed at the door: lower case, no dash, O for 0 and L for 1 are forgiven.
      const typed = ticketNumber.toLowerCase().replace('-', '').replace(/0/g, 'o').replace(/1/g, 'l');
      const first = await call('POST', '/tickets/check-in', { ticket_number: typed });
      expect(first.statusCode).toBe(200);
      const [{ id: keyId }] = await api.fixtures.query<{ id: string }>('select id from api_keys where client_id = $1', [client.id]);
      expect(first.json()).toMatchObject({ already_checked_in: false, ticket: { ticket_number: ticketNumber, status: 'checked_in', checked_in_by: { api_key_id: keyId } } });
      const second = await call('POST', '/tickets/check-in', { code: checkInCode });
      expect(second.statusCode).toBe(200);
      expect(second.json().already_checked_in).toBe(true);
      expect(second.json().ticket.checked_in_at).toBe(first.json().ticket.checked_in_at);
      expect(second.json().ticket.checked_in_by).toEqual(first.json().ticket.checked_in_by);
    });

    it('refuses cancelled, refunded and unpaid tickets with the reason, and an unknown number with 404', async () => {
      for (const [status, reason] of [['refunded', /refunded/], ['cancelled', /cancelled/], ['pending', /not paid/]] as const) {
        const { ticketId, ticketNumber } = await api.fixtures.ticketedEvent(client.id, donorId);
        await api.fixtures.query('update event_tickets set status = $2 where id = $1', [ticketId, status]);
        const response = await call('POST', '/tickets/check-in', { ticket_number: ticketNumber });
        expect([status, response.statusCode]).toEqual([status, 409]);
        expect(response.json().reasons[0]).toMatch(reason);
        const [row] = await api.fixtures.query<{ status: string; checked_in_at: Date | null }>('select status, checked_in_at from event_tickets where id = $1', [ticketId]);
        expect(row).toEqual({ status, checked_in_at: null });
      }
      const unknown = await call('POST', '/tickets/check-in', { ticket_number: 'ZZZZ-ZZZZ' });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().errors[0].field).toBe('body.ticket_number');
    });
  });
});
