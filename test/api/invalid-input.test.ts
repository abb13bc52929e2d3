import fc from 'fast-check';
import { type JsonSchema, type Operation, documentedOperations, fillPath, nestAt, stringSites, typesOf } from './openapi';
import { signUnsubscribeToken } from '../../domain/email/unsubscribe-token';
import { UNSUBSCRIBE_SECRET } from '../support/campaign-harness';
import { SendGridSigner } from '../support/provider-signing';
import { type ApiHarness, type Request, databaseFingerprint, startApi } from './support';

/**
 * Property: no invalid body, query or path parameter makes any documented operation answer 5xx or
 * change the database. Each generated request is invalid in at least one place by construction.
 */
describe('invalid input to every documented operation', () => {
  let api: ApiHarness;
  let operations: Operation[];
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    // With a SendGrid verification key, so the Event Webhook checks signatures rather than refusing with 503.
    api = await startApi({ sendgridPublicKey: new SendGridSigner().publicKey });
    const client = await api.client('Fuzzed');
    ids.clientId = client.id;
    [ids.donorId] = await api.fixtures.donors(client.id, [{ email: 'fuzz@donors.test', first_name: 'Fuzz' }]);
    ids.campaignId = await api.fixtures.track15Campaign(client.id);
    [{ id: ids.keyId }] = await api.fixtures.query<{ id: string }>('select id from api_keys where client_id = $1', [client.id]);
    Object.assign(ids, await api.fixtures.profileSet(client.id));
    ids.alertId = (await api.fixtures.budgetAlert(client.id, ids.budgetId)).alertId;
    const payment = await api.fixtures.payment(client.id, ids.donorId, 2500);
    [ids.paymentId, ids.donationId] = [payment.paymentId, payment.donationId!];
    ids.receiptId = await api.fixtures.receipt(client.id, payment.donationId!);
    [{ id: ids.conversationId }] = await api.fixtures.query<{ id: string }>(
      `insert into conversations (client_id, donor_id, customer_phone, brand_phone) values ($1, $2, '+14155550998', '+15005550998') returning id`, [client.id, ids.donorId]);
    ids.versionId = await api.fixtures.contentVersion(client.id, 'activation', { headline: 'Fuzzed' }, true);
    ids.otherVersionId = await api.fixtures.contentVersion(client.id, 'activation', { headline: 'Fuzzed baseline' });
    ids.pageType = 'activation';
    const { ticketNumber: _number, checkInCode: _code, ...event } = await api.fixtures.ticketedEvent(client.id, ids.donorId);
    Object.assign(ids, event);
    ids.token = signUnsubscribeToken({ clientId: client.id, donorId: ids.donorId, campaignId: null, issuedAt: Date.now() }, UNSUBSCRIBE_SECRET);
    operations = await documentedOperations(api);
  });
  afterAll(async () => { await api.close(); });

  /** A value that is none of the types the schema admits. */
  const wrongValue = (schema: JsonSchema): fc.Arbitrary<unknown> => {
    const types = typesOf(schema);
    const candidates: fc.Arbitrary<unknown>[] = [];
    if (!types.has('string')) candidates.push(fc.string());
    if (!types.has('number')) candidates.push(fc.double({ noNaN: true }));
    if (!types.has('boolean')) candidates.push(fc.boolean());
    if (!types.has('object')) candidates.push(fc.constant({ nested: true }));
    if (!types.has('array')) candidates.push(fc.constant([1, 'two']));
    if (!types.has('null')) candidates.push(fc.constant(null));
    if (schema.enum) candidates.push(fc.string().map((s) => `not-in-enum-${s}`));
    return fc.oneof(...candidates);
  };

  const invalidBody = (schema: JsonSchema): fc.Arbitrary<Pick<Request, 'payload' | 'headers'>> => {
    const properties = Object.entries(schema.properties ?? {}).filter(([, property]) => !typesOf(property).has('any'));
    const json = (value: unknown) => ({ payload: JSON.stringify(value), headers: { 'content-type': 'application/json' } });
    const arbitraries: fc.Arbitrary<Pick<Request, 'payload' | 'headers'>>[] = [
      fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 })).map(json),
      fc.dictionary(fc.string({ minLength: 1 }).map((k) => `unknown_${k}`), fc.jsonValue(), { minKeys: 1, maxKeys: 3 }).map(json),
      fc.string().map((text) => ({ payload: `{${text}`, headers: { 'content-type': 'application/json' } })),
      // Not empty: zero bytes of any type are no body, which an operation of optional fields accepts (plugins/empty-body.ts).
      fc.tuple(fc.constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded'), fc.string({ minLength: 1 }))
        .map(([type, text]) => ({ payload: text, headers: { 'content-type': type } })),
    ];
    if (properties.length > 0) {
      arbitraries.push(fc.constantFrom(...properties).chain(([name, property]) => wrongValue(property).map((value) => json({ [name]: value }))));
    }
    return fc.oneof(...arbitraries);
  };

  const invalidQuery = (operation: Operation): fc.Arbitrary<string> => {
    const query = operation.parameters.filter((p) => p.in === 'query');
    const unknown = fc.string({ minLength: 1, maxLength: 8 }).map((s) => `unknown_${encodeURIComponent(s)}=1`);
    if (query.length === 0) return unknown;
    const badValue = fc.constantFrom(...query).chain((p) => {
      const types = typesOf(p.schema);
      const values = types.has('integer') || types.has('number') ? fc.constantFrom('abc', '-1', '1.5', '99999999') : fc.string({ maxLength: 12 }).map((s) => `bad-${s}`);
      return values.map((value) => `${p.name}=${encodeURIComponent(value)}`);
    });
    return fc.oneof(unknown, badValue);
  };

  const invalidPathValue = (name: string): fc.Arbitrary<string> => {
    if (name === 'stepNumber') return fc.constantFrom('0', '16', 'x', '1.5', '-3');
    if (name === 'category') return fc.string({ minLength: 1, maxLength: 10 }).map((s) => `bad-${s}`);
    return fc.oneof(fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== '' && s !== '.' && s !== '..'), fc.uuid({ version: 4 }));
  };

  const validPath = (operation: Operation) => fillPath(operation.path, { ...ids, stepNumber: '7', category: 'marketing' });

  /** Donor-facing links accept any query and body mail clients add (issue 10 item 7): only their token can be invalid. */
  const onlyPathCanBeInvalid = (operation: Operation) => operation.path.startsWith('/unsubscribe/');

  const invalidRequest = (operation: Operation): fc.Arbitrary<Request> => {
    const pathNames = operation.parameters.filter((p) => p.in === 'path').map((p) => p.name);
    const faults: fc.Arbitrary<Request>[] = onlyPathCanBeInvalid(operation) ? [] : [
      invalidQuery(operation).map((query) => ({ method: operation.method, url: `${validPath(operation)}?${query}` })),
    ];
    if (operation.body && !onlyPathCanBeInvalid(operation)) {
      faults.push(invalidBody(operation.body).map((body) => ({ method: operation.method, url: validPath(operation), ...body })));
    }
    if (pathNames.length > 0) {
      faults.push(fc.constantFrom(...pathNames).chain((name) => invalidPathValue(name).map((value) => ({
        method: operation.method,
        url: fillPath(operation.path, { ...ids, stepNumber: '7', category: 'marketing', [name]: value }),
      }))));
    }
    return fc.oneof(...faults);
  };

  it('answers 4xx problem+json (never 5xx) and changes nothing', async () => {
    expect(operations.length).toBeGreaterThanOrEqual(30);
    const before = await databaseFingerprint(api.fixtures);
    for (const operation of operations) {
      await fc.assert(fc.asyncProperty(invalidRequest(operation), async (request) => {
        const response = await api.call(api.operatorKey, request);
        const label = `${request.method} ${request.url} ${String(request.payload ?? '').slice(0, 80)} -> ${response.statusCode} ${response.body.slice(0, 200)}`;
        expect([label, response.statusCode < 500]).toEqual([label, true]);
        if (response.statusCode >= 400) expect([label, response.headers['content-type']]).toEqual([label, expect.stringMatching(/^application\/problem\+json/)]);
      }), { numRuns: 12, seed: 15 });
      expect([operation.key, await databaseFingerprint(api.fixtures)]).toEqual([operation.key, before]);
    }
  }, 120_000);

  /** Characters the text rule (domain/text.ts) refuses everywhere: C0 controls but tab/LF/CR, DEL, C1 controls, lone surrogates. */
  const forbiddenControl = fc.oneof(
    fc.integer({ min: 0, max: 0x1f }).filter((c) => c !== 0x09 && c !== 0x0a && c !== 0x0d),
    fc.integer({ min: 0x7f, max: 0x9f }),
  ).map((c) => String.fromCharCode(c));
  const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
  /** Printable text around one forbidden character; the `x` after it keeps a high surrogate unpaired. */
  const textWith = (forbidden: fc.Arbitrary<string>) => fc.tuple(fc.string({ maxLength: 8 }), forbidden, fc.string({ maxLength: 8 }))
    .map(([before, bad, after]) => `${before}${bad}x${after}`);
  const TEXT_RULE = /control character U\+|unpaired UTF-16 surrogate/;

  interface TextProbe { request: Request; field: string; free: boolean }

  /** One string field of the operation (body at any depth, query, path) carrying a forbidden character; the rest left out. */
  const badTextRequest = (operation: Operation): fc.Arbitrary<TextProbe> | undefined => {
    const probes: fc.Arbitrary<TextProbe>[] = [];
    const sites = operation.body ? stringSites(operation.body) : [];
    if (sites.length > 0) {
      probes.push(fc.tuple(fc.constantFrom(...sites), textWith(fc.oneof(forbiddenControl, loneSurrogate))).map(([site, bad]) => {
        const path = site.kind === 'key' ? [...site.path.slice(0, -1), bad] : site.path;
        const payload = site.kind === 'key' ? nestAt(path, 'value') : nestAt(path, bad);
        return { request: { method: operation.method, url: validPath(operation), payload }, field: ['body', ...path].join('.'), free: site.free };
      }));
    }
    const textParameters = operation.parameters.filter((p) => typesOf(p.schema).has('string'));
    if (textParameters.length > 0) {
      // Percent-encoded as UTF-8, which has no form for a lone surrogate: controls only.
      probes.push(fc.tuple(fc.constantFrom(...textParameters), textWith(forbiddenControl)).map(([parameter, bad]) => {
        const free = !parameter.schema.enum && !parameter.schema.format && !parameter.schema.pattern;
        const url = parameter.in === 'query'
          ? `${validPath(operation)}?${parameter.name}=${encodeURIComponent(bad)}`
          : fillPath(operation.path, { ...ids, stepNumber: '7', category: 'marketing', [parameter.name]: bad });
        return { request: { method: operation.method, url }, field: `${parameter.in === 'query' ? 'query' : 'params'}.${parameter.name}`, free };
      }));
    }
    return probes.length > 0 ? fc.oneof(...probes) : undefined;
  };

  it('refuses control characters and unpaired surrogates in every string field with 400 naming the field, changing nothing', async () => {
    const before = await databaseFingerprint(api.fixtures);
    let probed = 0;
    for (const operation of operations) {
      const probe = badTextRequest(operation);
      if (!probe) continue;
      probed++;
      // The provider webhooks answer for their signature before they read a field: never 5xx, nothing written.
      const signed = operation.path.startsWith('/webhooks/');
      await fc.assert(fc.asyncProperty(probe, async ({ request, field, free }) => {
        const response = await api.call(api.operatorKey, request);
        const label = `${request.method} ${request.url} ${JSON.stringify(request.payload ?? '').slice(0, 120)} -> ${response.statusCode} ${response.body.slice(0, 300)}`;
        if (signed) {
          expect([label, response.statusCode < 500]).toEqual([label, true]);
          return;
        }
        expect([label, response.statusCode]).toEqual([label, 400]);
        const errors = response.json().errors as { field: string; message: string }[];
        const named = errors.filter((error) => error.field === field);
        expect([label, named.length > 0]).toEqual([label, true]);
        if (free) expect([label, named.some((error) => TEXT_RULE.test(error.message))]).toEqual([label, true]);
      }), { numRuns: 15, seed: 10 });
      expect([operation.key, await databaseFingerprint(api.fixtures)]).toEqual([operation.key, before]);
    }
    expect(probed).toBeGreaterThanOrEqual(25);
  }, 180_000);
});
