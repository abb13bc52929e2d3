import type { StripeEventInput } from '../../activities/payments/stripe-events';
import { type ActivationProgress, activationWorkflowId } from '../../workflows/activation/activation-definitions';
import { reportActivationPlan, startClientActivation } from '../../workflows/activation/activation-lifecycle';
import { activationStripeEventWorkflow } from '../../workflows/activation/activation';
import { activationClient } from '../support/activation';
import { PUBLIC_BASE_URL, type CampaignHarness, eventually, startCampaignHarness } from '../support/campaign-harness';

/**
 * The client activation workflow of issue 16 item 4 at seconds-long days (activation_day_length_seconds,
 * set in the database as campaigns' day length is): the reminder email through the SendGrid sink, the
 * token's expiry, a payment after expiry still honoured, the search attributes, and a worker restart
 * while the workflow waits.
 */
describe('client activation workflow', () => {
  let h: CampaignHarness;
  const CLIENT_ADDRESS = 'board@client.test';

  const start = (clientId: string) => startClientActivation({ temporal: h.temporal.client, taskQueue: h.temporal.taskQueue }, clientId, 'Test client');
  const handleOf = (clientId: string) => h.temporal.client.workflow.getHandle(activationWorkflowId(clientId));
  const reminders = () => h.sink.deliveries().filter((d) => d.customArgs.activation_reminder === 'true');
  const searchAttributes = async (clientId: string) => Object.fromEntries(
    (await handleOf(clientId).describe()).typedSearchAttributes.getAll().map((pair) => [pair.key.name, pair.value]));
  const clientRow = async (clientId: string) => (await h.fixtures.query<{ status: string; activation_expired_at: Date | null; activation_reminded_at: Date | null }>(
    'select status, activation_expired_at, activation_reminded_at from clients where id = $1', [clientId]))[0];

  beforeAll(async () => {
    h = await startCampaignHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('reminds an unpaid client once, expires its token, and still honours a payment after expiry', async () => {
    const a = await activationClient(h.fixtures, 'Slow Payer', { settings: {
      sender_reply_to: CLIENT_ADDRESS, activation_day_length_seconds: 4, activation_reminder_days: 1, activation_expiry_days: 2,
    } });
    const started = Date.now();
    await start(a.clientId);
    expect(await searchAttributes(a.clientId)).toEqual(expect.objectContaining({ ClientId: a.clientId, ActivationStatus: 'pending' }));

    const [reminder] = await eventually(async () => (reminders().length > 0 ? reminders() : undefined), 15_000, 'the reminder');
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_500); // one 4-second day, not before
    expect(reminder.to).toBe(CLIENT_ADDRESS);
    const message = h.sink.messageOf(reminder);
    expect(message.text).toContain(`${PUBLIC_BASE_URL}/activate/${a.token}`);
    expect(message.text).toContain('Raise more with <Track15>');
    expect(message.html).toContain('Raise more with &lt;Track15&gt;');
    await eventually(async () => ((await clientRow(a.clientId)).activation_reminded_at ? true : undefined), 5_000, 'activation_reminded_at');

    await eventually(async () => ((await clientRow(a.clientId)).activation_expired_at ? true : undefined), 15_000, 'the expiry');
    expect(Date.now() - started).toBeGreaterThanOrEqual(7_500);
    await eventually(async () => ((await searchAttributes(a.clientId)).ActivationStatus === 'expired' ? true : undefined), 5_000, 'ActivationStatus expired');

    // A Checkout Session started before the expiry is paid after it: recorded, and the workflow ends paid.
    const [acceptance] = await h.fixtures.query<{ id: string }>(
      `insert into agreement_acceptances (client_id, content_version_id, activation_version_id, visitor_hash) values ($1, $2, $3, repeat('a', 64)) returning id`,
      [a.clientId, a.versions.agreement, a.versions.activation]);
    const [payment] = await h.fixtures.query<{ id: string }>(
      `insert into payments (client_id, content_version_id, acceptance_id, amount, currency, status, idempotency_key) values ($1, $2, $3, 50000, 'usd', 'pending', $4) returning id`,
      [a.clientId, a.versions.agreement, acceptance.id, `activation:${a.clientId}:${acceptance.id}`]);
    const event: StripeEventInput = {
      eventId: `evt_late_${payment.id}`, type: 'payment_intent.succeeded', occurredAt: new Date().toISOString(), paymentIntentId: `pi_late_${payment.id}`,
      amount: 50_000, currency: 'usd', failureReason: null,
      metadata: { purpose: 'activation', client_id: a.clientId, payment_id: payment.id, acceptance_id: acceptance.id, content_version_id: a.versions.agreement },
    };
    await h.temporal.client.workflow.execute(activationStripeEventWorkflow, { workflowId: `stripe-event-${event.eventId}`, taskQueue: h.temporal.taskQueue, args: [event] });
    const result = await handleOf(a.clientId).result() as ActivationProgress;
    expect(result).toEqual(expect.objectContaining({ status: 'paid', reminded: true }));
    expect(await clientRow(a.clientId)).toEqual(expect.objectContaining({ status: 'paid', activation_expired_at: expect.any(Date) }));
    const [recorded] = await h.fixtures.query<{ status: string; content_version_id: string }>('select status, content_version_id from payments where id = $1', [payment.id]);
    expect(recorded).toEqual({ status: 'succeeded', content_version_id: a.versions.agreement });
    expect(await searchAttributes(a.clientId)).toEqual(expect.objectContaining({ ActivationStatus: 'paid' }));
    expect(reminders().filter((d) => d.to === CLIENT_ADDRESS)).toHaveLength(1);
  });

  it('reads a changed reminder setting at once (the PATCH signal), and sends no reminder to a client that paid', async () => {
    const address = 'replan@client.test';
    const a = await activationClient(h.fixtures, 'Replan Org', { settings: {
      sender_reply_to: address, activation_day_length_seconds: 2, activation_reminder_days: 100, activation_expiry_days: 200,
    } });
    await start(a.clientId);
    const handle = handleOf(a.clientId);
    await eventually(async () => ((await handle.query<ActivationProgress>('activationProgress')).reminderAt !== null ? true : undefined), 10_000, 'the plan');
    await h.fixtures.query('update clients set activation_reminder_days = 1 where id = $1', [a.clientId]);
    expect(await reportActivationPlan(h.temporal.client, a.clientId)).toBe(true);
    await eventually(async () => (reminders().some((d) => d.to === address) ? true : undefined), 10_000, 'the reminder of the new plan');

    const paid = await activationClient(h.fixtures, 'Prompt Payer', { settings: {
      sender_reply_to: 'prompt@client.test', activation_day_length_seconds: 2, activation_reminder_days: 1, activation_expiry_days: 2,
    } });
    await h.fixtures.query(`update clients set status = 'paid' where id = $1`, [paid.clientId]);
    await start(paid.clientId);
    expect(await handleOf(paid.clientId).result()).toEqual(expect.objectContaining({ status: 'paid', reminded: false }));
    expect(reminders().filter((d) => d.to === 'prompt@client.test')).toHaveLength(0);
    await handle.terminate('test over');
  });

  it('keeps its timers across a worker restart: the reminder comes once, after the worker is back', async () => {
    const address = 'restart@client.test';
    const a = await activationClient(h.fixtures, 'Restart Org', { settings: {
      sender_reply_to: address, activation_day_length_seconds: 2, activation_reminder_days: 1, activation_expiry_days: 3,
    } });
    await start(a.clientId);
    const handle = handleOf(a.clientId);
    await eventually(async () => ((await handle.query<ActivationProgress>('activationProgress')).reminderAt !== null ? true : undefined), 10_000, 'the plan');
    await h.temporal.stopWorker();
    try {
      await new Promise((resolve) => setTimeout(resolve, 3_000)); // past the reminder's time, with no worker
      expect(reminders().filter((d) => d.to === address)).toHaveLength(0);
    } finally {
      await h.temporal.startWorker();
    }
    await eventually(async () => (reminders().some((d) => d.to === address) ? true : undefined), 15_000, 'the reminder after the restart');
    const result = await handle.result() as ActivationProgress;
    expect(result).toEqual(expect.objectContaining({ status: 'expired', reminded: true }));
    expect(reminders().filter((d) => d.to === address)).toHaveLength(1);
    expect((await clientRow(a.clientId)).activation_expired_at).not.toBeNull();
  });

  it('sends the reminder once when the answer to the first attempt is lost: the retry finds it in SendGrid\'s record', async () => {
    const address = 'lost-answer@client.test';
    const a = await activationClient(h.fixtures, 'Lost Answer Org', { settings: {
      sender_reply_to: address, activation_day_length_seconds: 2, activation_reminder_days: 1, activation_expiry_days: 30,
    } });
    // SendGrid takes the message but its answer comes after the activity's 30 s start-to-close timeout.
    h.sink.setLatency(35_000);
    try {
      await start(a.clientId);
      await eventually(async () => (reminders().some((d) => d.to === address) ? true : undefined), 15_000, 'the first attempt reaching SendGrid');
    } finally {
      h.sink.setLatency(0);
    }
    await eventually(async () => ((await clientRow(a.clientId)).activation_reminded_at ? true : undefined), 50_000, 'the retry settling the reminder');
    expect(reminders().filter((d) => d.to === address)).toHaveLength(1);
    expect(h.sink.requests.filter((r) => r.path === '/v3/messages').length).toBeGreaterThan(0);
    await handleOf(a.clientId).terminate('test over');
  }, 90_000);
});
