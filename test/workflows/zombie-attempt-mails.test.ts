import { MockActivityEnvironment } from '@temporalio/testing';
import { sendActivationReminder } from '../../activities/activation/client-activation';
import { deliverBudgetAlert } from '../../activities/budget-alerts/delivery';
import { sendReceipt } from '../../activities/giving/receipts';
import { sendTicketMail } from '../../activities/tickets/ticket-mail';
import { activationClient } from '../support/activation';
import { type CampaignHarness, eventually, startCampaignHarness } from '../support/campaign-harness';

/** How long SendGrid holds its answer to the first attempt's send: the second attempt starts inside it. */
const SLOW_ANSWER_MS = 3_000;

/**
 * The zombie-attempt class (zombie-attempt.test.ts) on the transactional mails: Temporal starts attempt 2
 * of an activity while attempt 1, whose timeout passed, is still waiting for SendGrid's answer to a mail
 * SendGrid has already taken in. SendGrid's Email Activity does not show that mail yet (the feed lags
 * acceptance), so the retry's look-up by send key finds nothing. Each mail must still go out once:
 * attempt 2 waits for attempt 1 (activities/attempt-fence.ts) and then finds the mail settled.
 *
 * The two attempts run in the SDK's activity context (@temporalio/testing's MockActivityEnvironment,
 * attempt numbers 1 and 2) against this test's database and SendGrid sink, overlapping as Temporal
 * would overlap them after a timeout.
 */
describe('a transactional mail whose first attempt Temporal gave up on while it still sends', () => {
  let h: CampaignHarness;

  beforeAll(async () => { h = await startCampaignHarness(); });
  afterAll(async () => { await h?.close(); });
  beforeEach(() => {
    h.sink.reset();
    h.sink.setActivityLag(600_000);
  });

  /** Runs `send` as attempt 1, then, once SendGrid holds attempt 1's mail, as attempt 2; answers both results. */
  async function overlappingAttempts<T>(send: () => Promise<T>): Promise<[T, T]> {
    h.sink.setLatency(SLOW_ANSWER_MS);
    const first = new MockActivityEnvironment({ attempt: 1 }).run<[], T, typeof send>(send);
    await eventually(async () => (h.sink.mails().length >= 1 ? true : undefined), 10_000, 'attempt 1 mail at SendGrid');
    h.sink.setLatency(0);
    const second = new MockActivityEnvironment({ attempt: 2 }).run<[], T, typeof send>(send);
    return Promise.all([first, second]);
  }

  const mailsTo = (address: string) => h.sink.deliveries().filter((d) => d.to === address.toLowerCase());

  it('a receipt: one email, and both attempts answer sent', async () => {
    const clientId = await h.fixtures.client('Zombie receipt');
    const [donorId] = await h.fixtures.donors(clientId, [{ email: 'receipt-donor@donors.test', first_name: 'Rae' }]);
    const { donationId } = await h.fixtures.payment(clientId, donorId, 5000);
    const receiptId = await h.fixtures.receipt(clientId, donationId!);

    const outcomes = await overlappingAttempts(() => sendReceipt(h.activityDeps, { clientId, receiptId }));

    expect(outcomes).toEqual([{ status: 'sent', reason: null }, { status: 'sent', reason: null }]);
    expect(mailsTo('receipt-donor@donors.test')).toHaveLength(1);
    const [row] = await h.fixtures.query<{ email_status: string }>('select email_status from receipts where id = $1', [receiptId]);
    expect(row.email_status).toBe('sent');
  }, 30_000);

  it('a ticket receipt: one email; attempt 2 answers already', async () => {
    const clientId = await h.fixtures.client('Zombie tickets');
    const [donorId] = await h.fixtures.donors(clientId, [{ email: 'ticket-buyer@donors.test', first_name: 'Tam' }]);
    const { orderId } = await h.fixtures.ticketedEvent(clientId, donorId);

    const outcomes = await overlappingAttempts(() => sendTicketMail(h.activityDeps, { clientId, orderId, kind: 'receipt' }));

    expect(outcomes).toEqual(['sent', 'already']);
    expect(mailsTo('ticket-buyer@donors.test')).toHaveLength(1);
  }, 30_000);

  it('an activation reminder: one email; attempt 2 finds the client reminded', async () => {
    const { clientId } = await activationClient(h.fixtures, 'Zombie activation');
    await h.fixtures.query('update clients set sender_reply_to = $2 where id = $1', [clientId, 'owner@zombie-activation.test']);

    const outcomes = await overlappingAttempts(() => sendActivationReminder(h.activityDeps, clientId));

    expect(outcomes.map((outcome) => outcome.sentTo)).toEqual(['owner@zombie-activation.test', null]);
    expect(mailsTo('owner@zombie-activation.test')).toHaveLength(1);
  }, 30_000);

  it('a budget alert email: one email, one attempt on record', async () => {
    const clientId = await h.fixtures.client('Zombie budget');
    const { budgetId } = await h.fixtures.profileSet(clientId, 'Zombie');
    const { alertId } = await h.fixtures.budgetAlert(clientId, budgetId, 'zombie');
    await h.fixtures.query(`update budget_alert_events set email_status = 'pending' where id = $1`, [alertId]);

    await overlappingAttempts(() => deliverBudgetAlert(h.activityDeps, { clientId, alertId, channel: 'email' }));

    expect(mailsTo('zombie-finance@client.test')).toHaveLength(1);
    const attempts = await h.fixtures.query<{ attempt: number; outcome: string }>(
      `select attempt, outcome from budget_alert_attempts where alert_id = $1 and channel = 'email'`, [alertId]);
    expect(attempts).toEqual([{ attempt: 1, outcome: 'delivered' }]);
  }, 30_000);
});
