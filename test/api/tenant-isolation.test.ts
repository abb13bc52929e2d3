import { buildNarrativeSteps } from '../../domain/campaigns/narrative';
import { contentVersionBodies } from './activation/content-fixtures';
import { type Operation, documentedOperations, fillPath } from './openapi';
import { type ApiHarness, STORY, databaseFingerprint, startApi } from './support';

/**
 * Client B's key against client A's resources, on every documented operation: always 404 (403 for
 * operator-only operations), never A's data, never a change. Bodies are valid, so the refusal is the
 * tenancy check and not validation.
 */
describe('tenant isolation on every operation', () => {
  let api: ApiHarness;
  let operations: Operation[];
  let a: Record<string, string>;
  let b: { id: string; key: string };
  /** Strings of A's that must never appear in a response to B. */
  let secrets: string[];

  beforeAll(async () => {
    api = await startApi();
    const clientA = await api.client('Alpha Org');
    b = await api.client('Beta Org');
    const [donorId] = await api.fixtures.donors(clientA.id, [{ email: 'alpha-donor@donors.test', first_name: 'Alphonse' }]);
    const campaignId = await api.fixtures.track15Campaign(clientA.id, { name: 'Alpha Appeal' });
    await api.fixtures.donation(clientA.id, donorId, 75, { campaignId });
    const { paymentId, donationId } = await api.fixtures.payment(clientA.id, donorId, 4200);
    const receiptId = await api.fixtures.receipt(clientA.id, donationId!);
    await api.fixtures.unsubscribe(clientA.id, donorId, 'marketing');
    const [{ id: keyId }] = await api.fixtures.query<{ id: string }>('select id from api_keys where client_id = $1', [clientA.id]);
    const profiles = await api.fixtures.profileSet(clientA.id, 'Alpha');
    await api.fixtures.query(`insert into campaign_profile_usage (client_id, campaign_id, container_id, usage_type) values ($1, $2, $3, 'CONTAINER')`,
      [clientA.id, campaignId, profiles.containerId]);
    const versionId = await api.fixtures.contentVersion(clientA.id, 'activation', { headline: 'Alpha activation headline' }, true);
    const { alertId, signingSecret } = await api.fixtures.budgetAlert(clientA.id, profiles.budgetId, 'alpha');
    // B has settings of its own, so reading its own answers 200 (and nothing of A's).
    await api.fixtures.budgetAlert(b.id, (await api.fixtures.profileSet(b.id, 'Beta')).budgetId, 'beta');
    const { checkInCode, ...event } = await api.fixtures.ticketedEvent(clientA.id, donorId, { name: 'Alpha Gala' });
    const [{ id: conversationId }] = await api.fixtures.query<{ id: string }>(
      `insert into conversations (client_id, donor_id, customer_phone, brand_phone) values ($1, $2, '+14155550999', '+15005550999') returning id`, [clientA.id, donorId]);
    a = { clientId: clientA.id, donorId, campaignId, keyId, paymentId, donationId: donationId!, receiptId, conversationId, stepNumber: '7', category: 'marketing', pageType: 'activation', versionId, otherVersionId: versionId, alertId, ...profiles, ...event };
    secrets = [clientA.id, donorId, campaignId, keyId, paymentId, donationId!, receiptId, conversationId, '+14155550999', 'alpha-donor@donors.test', 'Alphonse', 'Alpha Appeal', 'Alpha Org',
      ...Object.values(profiles), 'Alpha families', 'Alpha brand', 'Alpha budget', 'Alpha container', versionId, 'Alpha activation headline',
      alertId, signingSecret, 'alpha-finance@client.test', 'alpha.hooks.test', ...Object.values(event), checkInCode, 'Alpha Gala'];
    operations = (await documentedOperations(api)).filter((operation) => operation.path.startsWith('/v1/'));
  });
  afterAll(async () => { await api.close(); });

  /** A valid body for each operation that takes one; referring to A's resources wherever a body can. */
  const validBodies = (): Record<string, unknown> => ({
    'POST /v1/clients': { name: 'Intruder' },
    'PATCH /v1/clients/{clientId}': { sender: { from_email: 'hijacker@intruder.test', postal_address: 'Hijacked' } },
    'POST /v1/operator-keys': { name: 'Intruder' },
    'POST /v1/clients/{clientId}/api-keys': { name: 'Intruder' },
    'POST /v1/clients/{clientId}/donors': { email: 'intruder@donors.test' },
    'POST /v1/clients/{clientId}/donors/import': [{ email: 'intruder2@donors.test' }],
    'PATCH /v1/clients/{clientId}/donors/{donorId}/notification-preferences/{category}': { email_enabled: true, unsubscribed: false },
    'POST /v1/clients/{clientId}/donations': { donor_id: a.donorId, campaign_id: a.campaignId, amount: 10 },
    'POST /v1/clients/{clientId}/donations/intents': { donor_id: a.donorId, campaign_id: a.campaignId, amount: 10, idempotency_key: 'intruder-attempt' },
    'POST /v1/clients/{clientId}/rfm/recalculate': { donor_id: a.donorId },
    'POST /v1/clients/{clientId}/campaigns': { name: 'Intruder campaign' },
    'PATCH /v1/clients/{clientId}/campaigns/{campaignId}': { name: 'Hijacked' },
    'PUT /v1/clients/{clientId}/campaigns/{campaignId}/steps': { steps: buildNarrativeSteps('fall', STORY) },
    'PATCH /v1/clients/{clientId}/campaigns/{campaignId}/steps/{stepNumber}': { subject_line: 'Hijacked' },
    'POST /v1/clients/{clientId}/campaigns/{campaignId}/pause': { reason: 'hijack' },
    'POST /v1/clients/{clientId}/campaigns/{campaignId}/stop': { reason: 'hijack' },
    'POST /v1/clients/{clientId}/customer-profiles': { name: 'Intruder profile' },
    'PATCH /v1/clients/{clientId}/customer-profiles/{profileId}': { name: 'Hijacked', version: 1 },
    'POST /v1/clients/{clientId}/brand-guidelines': { brand_name: 'Intruder brand' },
    'PATCH /v1/clients/{clientId}/brand-guidelines/{guidelineId}': { brand_name: 'Hijacked', version: 1 },
    'POST /v1/clients/{clientId}/budgets': { name: 'Intruder budget', amount: 10 },
    'PATCH /v1/clients/{clientId}/budgets/{budgetId}': { amount: 1_000_000, version: 1 },
    'POST /v1/clients/{clientId}/profile-containers': { name: 'Intruder container', customer_profile_id: a.profileId, budget_id: a.budgetId },
    'PATCH /v1/clients/{clientId}/profile-containers/{containerId}': { brand_guidelines_id: a.guidelineId, version: 1 },
    'PATCH /v1/clients/{clientId}/donors/{donorId}': { first_name: 'Hijacked', version: 1 },
    'PUT /v1/clients/{clientId}/campaigns/{campaignId}/profile-usage': { usage_type: 'CONTAINER', container_id: a.containerId },
    'POST /v1/clients/{clientId}/campaigns/{campaignId}/steps/{stepNumber}/test-send': { addresses: ['intruder@intruder.test'], donor_id: a.donorId },
    ...contentVersionBodies(),
    'PUT /v1/clients/{clientId}/content-versions/{versionId}/outcome': { outcome: 'failure', note: 'hijacked' },
    'PUT /v1/clients/{clientId}/budget-alert-settings': { email: 'intruder@intruder.test', webhook_url: 'https://intruder.test/hook' },
    'POST /v1/clients/{clientId}/campaigns/{campaignId}/rehearsal': { addresses: ['intruder@intruder.test'], day_length_seconds: 1, donor_id: a.donorId },
    'POST /v1/clients/{clientId}/events': { name: 'Intruder gala', starts_at: '2027-01-01T18:00:00Z' },
    'PATCH /v1/clients/{clientId}/events/{eventId}': { name: 'Hijacked' },
    'POST /v1/clients/{clientId}/events/{eventId}/cancel': { reason: 'hijack' },
    'POST /v1/clients/{clientId}/events/{eventId}/ticket-types': { name: 'Intruder', price: 1, currency: 'usd' },
    'PATCH /v1/clients/{clientId}/events/{eventId}/ticket-types/{ticketTypeId}': { price: 1 },
    'POST /v1/clients/{clientId}/events/{eventId}/orders': {
      donor_id: a.donorId, items: [{ ticket_type_id: a.ticketTypeId, quantity: 1 }], success_url: 'https://intruder.test/ok', cancel_url: 'https://intruder.test/no',
      idempotency_key: 'intruder-order-1',
    },
    'POST /v1/clients/{clientId}/tickets/check-in': { ticket_number: a.ticketNumber },
  });

  /** Operations that need a reader (previews) are asked for A's donor, so the query is valid too. */
  const validQuery = (operation: Operation) => (operation.parameters.some((p) => p.in === 'query' && p.name === 'donor_id') ? `?donor_id=${a.donorId}` : '');

  const send = (operation: Operation, pathValues: Record<string, string>, query = validQuery(operation)) => {
    const body = validBodies()[operation.key];
    if (operation.body && body === undefined) throw new Error(`add a valid body for ${operation.key} to this test`);
    return api.call(b.key, { method: operation.method, url: `${fillPath(operation.path, pathValues)}${query}`, payload: body });
  };

  /** A problem's `instance` echoes the path B itself sent; anything else with A's ids or names would be a leak. */
  const expectNothingOfA = (label: string, body: string) => {
    const { instance: _echo, ...rest } = JSON.parse(body) as Record<string, unknown>;
    const text = JSON.stringify(rest);
    for (const secret of secrets) expect([label, secret, text.includes(secret)]).toEqual([label, secret, false]);
  };

  it('answers 404 (or 403 for operator operations) to B naming A\'s client, and nothing changes', async () => {
    const before = await databaseFingerprint(api.fixtures);
    for (const operation of operations) {
      const response = await send(operation, a);
      const expected = operation.path.includes('{clientId}') ? 404 : 403;
      expect([operation.key, response.statusCode]).toEqual([operation.key, expected]);
      expectNothingOfA(operation.key, response.body);
    }
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
  });

  it('answers 404 to B naming its own client with A\'s resources in the path or body, and lists none of A\'s data', async () => {
    const before = await databaseFingerprint(api.fixtures);
    const refersToA = (operation: Operation) =>
      /\{(donorId|campaignId|keyId|paymentId|donationId|receiptId|profileId|guidelineId|budgetId|containerId|versionId|otherVersionId|alertId|eventId|ticketTypeId|orderId|ticketId|conversationId)\}/.test(operation.path)
      || [a.donorId, a.profileId, a.containerId, a.guidelineId, a.ticketNumber].some((id) => JSON.stringify(validBodies()[operation.key] ?? '').includes(id));
    const tenantOperations = operations.filter((operation) => operation.path.includes('{clientId}'));
    for (const operation of tenantOperations.filter(refersToA)) {
      const response = await send(operation, { ...a, clientId: b.id });
      expect([operation.key, response.statusCode]).toEqual([operation.key, 404]);
      expectNothingOfA(operation.key, response.body);
    }
    const lists = tenantOperations.filter((operation) => operation.method === 'GET' && !refersToA(operation));
    expect(lists.length).toBeGreaterThanOrEqual(5);
    for (const operation of lists) {
      const response = await send(operation, { ...a, clientId: b.id });
      expect([operation.key, response.statusCode]).toEqual([operation.key, 200]);
      expectNothingOfA(operation.key, response.body);
    }
    expect(await databaseFingerprint(api.fixtures)).toBe(before);
  });
});
