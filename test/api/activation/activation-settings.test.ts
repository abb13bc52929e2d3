import { activationWorkflowId } from '../../../workflows/activation/activation-definitions';
import { type ApiHarness, startApi } from '../support';

/** A client's activation through /v1 (issue 16): its workflow starts with the token; its price and timing are client settings. */
describe('client activation settings', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  it('starts client-activation-<id>, tagged ClientId and ActivationStatus, when the client and its token are created', async () => {
    const created = await api.call(api.operatorKey, { method: 'POST', url: '/v1/clients', payload: { name: 'New Client' } });
    expect(created.statusCode).toBe(201);
    const client = created.json();
    expect(client.activation_token).toMatch(/^G\d{4}$/);
    expect(client.activation).toEqual({ amount: 500, reminder_after_days: 3, expires_after_days: 30, reminded_at: null, expired_at: null });
    const described = await api.app.temporal.workflow.getHandle(activationWorkflowId(client.id)).describe();
    expect(described.type).toBe('clientActivationWorkflow');
    expect(Object.fromEntries(described.typedSearchAttributes.getAll().map((pair) => [pair.key.name, pair.value])))
      .toEqual(expect.objectContaining({ ClientId: client.id, ActivationStatus: 'pending' }));
    await api.app.temporal.workflow.getHandle(activationWorkflowId(client.id)).terminate('test over');
  });

  it('sets the activation price (dollars, charged in cents) and timing; refuses bad values naming the field, changing nothing', async () => {
    const { id, key } = await api.client('Priced Client');
    const changed = await api.call(key, { method: 'PATCH', url: `/v1/clients/${id}`, payload: { activation: { amount: 750.5, reminder_after_days: 2 } } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().activation).toEqual(expect.objectContaining({ amount: 750.5, reminder_after_days: 2, expires_after_days: 30 }));
    const row = async () => (await api.fixtures.query<{ activation_amount: number; activation_reminder_days: number; activation_expiry_days: number }>(
      'select activation_amount, activation_reminder_days, activation_expiry_days from clients where id = $1', [id]))[0];
    expect(await row()).toEqual({ activation_amount: 75_050, activation_reminder_days: 2, activation_expiry_days: 30 });
    for (const [activation, field] of [[{ amount: 0.001 }, 'body.activation.amount'], [{ expires_after_days: 0 }, 'body.activation.expires_after_days'],
      [{ reminder_after_days: 1.5 }, 'body.activation.reminder_after_days'], [{}, 'body.activation']] as const) {
      const refused = await api.call(key, { method: 'PATCH', url: `/v1/clients/${id}`, payload: { activation } });
      expect([field, refused.statusCode]).toEqual([field, 400]);
      expect(refused.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect(await row()).toEqual({ activation_amount: 75_050, activation_reminder_days: 2, activation_expiry_days: 30 });
  });
});
