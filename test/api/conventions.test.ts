import { type Parameter, fillPath } from './openapi';
import { type ApiHarness, startApi } from './support';

/* eslint-disable @typescript-eslint/no-explicit-any -- the OpenAPI document is walked as plain JSON */

/**
 * What a newcomer relies on across the whole API (issue 10, item 10), checked on the OpenAPI document
 * the API generates, so an operation added tomorrow is held to it too: every enum says what each value
 * does, every list pages the same way, and a body of optional fields may be left out.
 */

/**
 * Every enum in a JSON document, with the description that documents it (a parameter's own, for
 * parameters). A one-value enum is a constant (zod's literal: `received: true`), not an option.
 */
export function enumsOf(node: unknown, where = '#', inherited?: string): { where: string; values: unknown[]; description: string | undefined }[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => enumsOf(item, `${where}/${i}`));
  if (typeof node !== 'object' || node === null) return [];
  const object = node as Record<string, any>;
  const found = Array.isArray(object.enum) && object.enum.length > 1 ? [{ where, values: object.enum, description: object.description ?? inherited }] : [];
  // @fastify/swagger lifts a parameter's description out of its schema onto the parameter.
  const isParameter = typeof object.in === 'string' && typeof object.schema === 'object';
  return [...found, ...Object.entries(object).flatMap(([key, value]) =>
    (key === 'enum' ? [] : enumsOf(value, `${where}/${key}`, isParameter && key === 'schema' ? object.description : undefined)))];
}

/** The enums whose description leaves out one of their values (as a word of its own). */
export function undescribedValues(node: unknown): string[] {
  const mentions = (description: string, value: unknown) =>
    new RegExp(`(^|[^\\w])${String(value).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^\\w]|$)`).test(description);
  return enumsOf(node).flatMap(({ where, values, description }) =>
    values.filter((value) => !description || !mentions(description, value)).map((value) => `${where}: ${JSON.stringify(value)}`));
}

describe('API conventions, on the OpenAPI document', () => {
  let api: ApiHarness;
  let doc: any;
  let ids: Record<string, string>;
  /** Every operation as `METHOD /path` with its OpenAPI object. */
  let operations: [string, any][];

  beforeAll(async () => {
    api = await startApi();
    doc = (await api.request({ url: '/docs/json' })).json();
    operations = Object.entries<Record<string, any>>(doc.paths)
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]): [string, any] => [`${method.toUpperCase()} ${path}`, operation]));
    const client = await api.client('Conventions');
    const [donorId] = await api.fixtures.donors(client.id, [{ email: 'conventions@donors.test' }]);
    const { ticketNumber: _number, checkInCode: _code, ...event } = await api.fixtures.ticketedEvent(client.id, donorId);
    ids = { clientId: client.id, donorId, campaignId: await api.fixtures.track15Campaign(client.id), ...event };
  });
  afterAll(async () => { await api.close(); });

  describe('enums', () => {
    it('the walk finds an enum whose description leaves a value out', () => {
      const schema = { properties: { a: { enum: ['x', 'y'], description: '`x`: one' }, b: { in: 'query', description: 'x or y', schema: { enum: ['x', 'y'] } } } };
      expect(undescribedValues(schema)).toEqual(['#/properties/a: "y"']);
      expect(undescribedValues({ anyOf: [{ enum: ['x', 'xy'], description: 'xy only' }] })).toEqual(['#/anyOf/0: "x"']);
    });

    it('describes what every value of every enum does, wherever it appears', () => {
      const found = enumsOf(doc);
      expect(found.length).toBeGreaterThanOrEqual(30);
      // The options a new user asked about are among them.
      for (const value of ['holdout', 'seasonal', 'ready_for_launch', 'Champions', 'lead', 'succeeded', 'clicked']) {
        expect([value, found.some((e) => e.values.includes(value))]).toEqual([value, true]);
      }
      expect(undescribedValues(doc)).toEqual([]);
    });
  });

  describe('lists', () => {
    /** GET operations answering an object with an `items` array: the lists. */
    const lists = () => operations.filter(([key, operation]) => key.startsWith('GET ')
      && operation.responses?.['200']?.content?.['application/json']?.schema?.properties?.items?.type === 'array');

    it('page every list with the same limit and offset parameters and the same envelope', () => {
      const found = lists();
      expect(found.map(([key]) => key)).toEqual(expect.arrayContaining([
        'GET /v1/clients', 'GET /v1/operator-keys', 'GET /v1/clients/{clientId}/api-keys', 'GET /v1/clients/{clientId}/donors',
        'GET /v1/clients/{clientId}/donations', 'GET /v1/clients/{clientId}/payments', 'GET /v1/clients/{clientId}/campaigns',
        'GET /v1/clients/{clientId}/campaigns/{campaignId}/deliveries', 'GET /v1/clients/{clientId}/campaigns/{campaignId}/steps',
        'GET /v1/clients/{clientId}/donors/{donorId}/notification-preferences',
      ]));
      const [, first] = found[0];
      const paging = (operation: any) => Object.fromEntries((operation.parameters as Parameter[])
        .filter((p) => p.in === 'query' && (p.name === 'limit' || p.name === 'offset')).map((p) => [p.name, p]));
      for (const [key, operation] of found) {
        expect([key, paging(operation)]).toEqual([key, paging(first)]);
        expect([key, Object.keys(paging(operation))]).toEqual([key, ['limit', 'offset']]);
        const envelope = operation.responses['200'].content['application/json'].schema;
        expect([key, envelope.properties.next_offset]).toEqual([key, first.responses['200'].content['application/json'].schema.properties.next_offset]);
        expect([key, envelope.required]).toEqual([key, expect.arrayContaining(['items', 'next_offset'])]);
      }
      // No operation answers a bare array: a list is always a page.
      const arrays = operations.filter(([, operation]) => operation.responses?.['200']?.content?.['application/json']?.schema?.type === 'array');
      expect(arrays.map(([key]) => key)).toEqual([]);
    });

    it('pages API keys: a client\'s and the operators\'', async () => {
      const { id: clientId, key } = await api.client('Paged keys'); // with one key, named test
      for (const name of ['two', 'three', 'four']) {
        expect((await api.call(key, { method: 'POST', url: `/v1/clients/${clientId}/api-keys`, payload: { name } })).statusCode).toBe(201);
      }
      const keysUrl = `/v1/clients/${clientId}/api-keys`;
      const first = (await api.call(key, { url: `${keysUrl}?limit=3` })).json();
      expect(first.items.map((k: any) => k.name)).toEqual(['test', 'two', 'three']);
      expect(first.next_offset).toBe(3);
      const second = (await api.call(key, { url: `${keysUrl}?limit=3&offset=${first.next_offset}` })).json();
      expect(second).toEqual({ items: [expect.objectContaining({ name: 'four', client_id: clientId, role: 'client' })], next_offset: null });
      expect(JSON.stringify([first, second])).not.toMatch(/key_hash|"key"/);
      expect((await api.call(key, { url: `${keysUrl}?limit=0` })).json().errors[0].field).toBe('query.limit');

      for (const name of ['ops two', 'ops three']) {
        expect((await api.call(api.operatorKey, { method: 'POST', url: '/v1/operator-keys', payload: { name } })).statusCode).toBe(201);
      }
      const operators = (await api.call(api.operatorKey, { url: '/v1/operator-keys?limit=2' })).json();
      expect([operators.items.length, operators.next_offset]).toEqual([2, 2]);
      const rest = (await api.call(api.operatorKey, { url: '/v1/operator-keys?limit=2&offset=2' })).json();
      expect(rest).toEqual({ items: [expect.objectContaining({ name: 'ops three', client_id: null, role: 'operator' })], next_offset: null });
    });

  });

  describe('optional bodies', () => {
    /** The /v1 operations whose body may be left out (public pages and webhooks read their bodies themselves). */
    const optional = () => operations.filter(([key, operation]) => key.includes(' /v1/') && operation.requestBody && operation.requestBody.required === false);

    it('documents as optional the bodies whose every field is optional', () => {
      expect(optional().map(([key]) => key)).toEqual(expect.arrayContaining([
        'POST /v1/clients/{clientId}/campaigns/{campaignId}/pause',
        'POST /v1/clients/{clientId}/rfm/recalculate',
      ]));
      // …and not those that need a field.
      expect(optional().map(([key]) => key)).not.toEqual(expect.arrayContaining(['POST /v1/clients/{clientId}/donors']));
    });

    /** "No body" as clients send it: nothing at all, zero bytes typed JSON, zero bytes of another type. */
    const noBodies: { name: string; payload: string | undefined; headers: Record<string, string> }[] = [
      { name: 'no body, no content type', payload: undefined, headers: {} },
      { name: 'empty body typed JSON', payload: '', headers: { 'content-type': 'application/json' } },
      { name: 'empty body typed text', payload: '', headers: { 'content-type': 'text/plain;charset=UTF-8' } },
    ];
    const json = { 'content-type': 'application/json' };

    it('answers each of them without a body exactly as with {}', async () => {
      Object.assign(ids, await api.fixtures.profileSet(ids.clientId));
      for (const [key] of optional()) {
        const [method, path] = key.split(' ');
        const url = fillPath(path, ids);
        const reference = await api.call(api.operatorKey, { method, url, payload: '{}', headers: json });
        const outcome = (response: { statusCode: number; body: string }) =>
          (response.statusCode >= 400 ? [response.statusCode, JSON.parse(response.body).type, JSON.parse(response.body).detail] : [response.statusCode]);
        for (const { name, payload, headers } of noBodies) {
          const response = await api.call(api.operatorKey, { method, url, payload, headers });
          const label = `${key} ${name} -> ${response.statusCode} ${response.body.slice(0, 200)}`;
          expect([label, outcome(response)]).toEqual([label, outcome(reference)]);
          // Past validation: rfm/recalculate answers, pause finds the campaign not yet activated.
          if (key.endsWith('/pause')) expect([label, response.statusCode, response.json().detail]).toEqual([label, 409, expect.stringMatching(/not been activated/)]);
          if (key.endsWith('/rfm/recalculate')) expect([label, response.json()]).toEqual([label, expect.objectContaining({ donors_scored: 1, donors_changed: 0 })]);
        }
      }
    });

    it('still refuses a missing body where fields are required, and a JSON null, naming the body', async () => {
      const donors = fillPath('/v1/clients/{clientId}/donors', ids);
      for (const { name, payload, headers } of noBodies) {
        const response = await api.call(api.operatorKey, { method: 'POST', url: donors, payload, headers });
        expect([name, response.statusCode, response.json().errors[0].field]).toEqual([name, 400, 'body']);
      }
      const rfm = fillPath('/v1/clients/{clientId}/rfm/recalculate', ids);
      const nullBody = await api.call(api.operatorKey, { method: 'POST', url: rfm, payload: 'null', headers: { 'content-type': 'application/json' } });
      expect([nullBody.statusCode, nullBody.json().errors[0].field]).toEqual([400, 'body']);
    });
  });
});
