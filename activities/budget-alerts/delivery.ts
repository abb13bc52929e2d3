import type { EntityManager } from '@mikro-orm/postgresql';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { withClient } from '../../domain/db/tenancy';
import { type OutboundPolicy, OutboundRefused, pinnedLookup, resolveOutbound } from '../../domain/outbound-url';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhook } from '../../domain/webhook-signature';
import type { ActivityDeps } from '..';
import { asOnlyAttempt } from '../attempt-fence';
import { DATA_REJECTED } from '../data-failures';
import { buildMailRequest } from '../email/mail-request';
import { acceptedRecipients, providerFailure, sendMail } from '../email/sendgrid';
import { type AlertFacts, alertEmail, alertSendKey, alertWebhookBody } from './message';

export type AlertChannel = 'email' | 'webhook';
export interface BudgetAlertScope { clientId: string; alertId: string }

/** How a channel's delivery is retried: Temporal's backoff from `initialIntervalMs` doubling to `maximumIntervalMs`, given up after `giveUpAfterMs`. */
export interface AlertRetryPolicy { initialIntervalMs: number; maximumIntervalMs: number; giveUpAfterMs: number }

/** Seconds, then doubling to an hour between attempts, for a day (issue 15 item 7). */
export const DEFAULT_ALERT_RETRY: AlertRetryPolicy = { initialIntervalMs: 10_000, maximumIntervalMs: 3_600_000, giveUpAfterMs: 86_400_000 };

/** How long one webhook call may take before it counts as failed. */
const WEBHOOK_TIMEOUT_MS = 10_000;

export interface AlertPlan { channels: AlertChannel[]; retry: AlertRetryPolicy }

/**
 * The delivery workflow's first step: records that the alert was handed over (the touchpoint stops
 * answering it as unhanded) and answers the channels still to deliver. A channel the client has not set
 * (no address, no webhook URL) is `not_configured`, once and for good.
 */
export async function prepareBudgetAlert(deps: ActivityDeps, input: BudgetAlertScope): Promise<AlertPlan> {
  return withClient(deps.orm.em, input.clientId, async (em) => {
    const [row] = await em.execute<{ email_status: string; webhook_status: string }[]>(
      `update budget_alert_events e
          set handed_at = coalesce(e.handed_at, now()),
              email_status = case when e.email_status = 'pending' and s.email is null then 'not_configured' else e.email_status end,
              webhook_status = case when e.webhook_status = 'pending' and s.webhook_url is null then 'not_configured' else e.webhook_status end
         from (select 1) one left join budget_alert_settings s on s.client_id = ?
        where e.id = ?
        returning e.email_status, e.webhook_status`,
      [input.clientId, input.alertId]);
    if (!row) throw ApplicationFailure.create({ message: `budget alert ${input.alertId} is gone`, type: 'BudgetAlertNotFound', nonRetryable: true });
    const channels = (['email', 'webhook'] as const).filter((channel) => row[`${channel}_status`] === 'pending');
    return { channels, retry: deps.budgetAlertRetry ?? DEFAULT_ALERT_RETRY };
  });
}

/**
 * One delivery attempt of one channel, recorded in budget_alert_attempts before the call (outcome null
 * while under way) and settled after it. Fails (retryable) when the webhook answers anything but 2xx or
 * does not answer in 10 s, or SendGrid refuses for now; Temporal retries with backoff. A webhook URL the
 * outbound policy refuses (not https, or reaching a private address: domain/outbound-url.ts) fails once,
 * non-retryable (DataRejected), its attempt on record with the reason. Delivered once:
 * a channel already `delivered` is not sent again, and an email whose earlier attempt lost its answer is
 * first looked up in SendGrid's record (by its send_key) before it is sent again. A webhook whose answer
 * was lost is sent again with the same Track15-Event-Id, for the receiver to dedupe.
 */
export async function deliverBudgetAlert(deps: ActivityDeps, input: BudgetAlertScope & { channel: AlertChannel }): Promise<void> {
  // An earlier attempt Temporal gave up on may still be sending: this one waits for it to finish or die,
  // then finds the channel delivered (or the attempt on record) instead of sending a second time.
  return asOnlyAttempt(deps, input.clientId, `budget-alert:${input.alertId}:${input.channel}`,
    () => deliverFenced(deps, input));
}

async function deliverFenced(deps: ActivityDeps, input: BudgetAlertScope & { channel: AlertChannel }): Promise<void> {
  const inClient = <T>(work: (em: EntityManager) => Promise<T>) => withClient(deps.orm.em, input.clientId, work);
  const found = await inClient((em) => loadAlert(em, input));
  if (!found || found.status !== 'pending') return;
  const { alert, target, secret } = found;
  if (!target) {
    await inClient((em) => setStatus(em, input, 'not_configured'));
    return;
  }
  if (input.channel === 'email' && found.unknownAttempt && await emailAlreadyAccepted(deps, alert.id, target)) {
    await inClient(async (em) => {
      await em.execute(`update budget_alert_attempts set outcome = 'delivered', finished_at = now(), error = 'found accepted in SendGrid''s record'
                          where id = ?`, [found.unknownAttempt]);
      await setStatus(em, input, 'delivered');
    });
    return;
  }
  const attempt = Context.current().info.attempt;
  const [{ id: attemptId }] = await inClient((em) => em.execute<{ id: string }[]>(
    'insert into budget_alert_attempts (client_id, alert_id, channel, attempt, target) values (?, ?, ?, ?, ?) returning id',
    [input.clientId, input.alertId, input.channel, attempt, target]));

  const result = input.channel === 'email' ? await sendEmail(deps, alert, target) : await callWebhook(alert, target, secret!, deps.outbound ?? { allowPrivate: false });
  await inClient(async (em) => {
    await em.execute(
      'update budget_alert_attempts set finished_at = now(), outcome = ?, http_status = ?, error = ? where id = ?',
      [result.delivered ? 'delivered' : 'failed', result.httpStatus, result.error, attemptId]);
    if (result.delivered) await setStatus(em, input, 'delivered');
  });
  if (!result.delivered) {
    throw ApplicationFailure.create({
      message: `budget alert ${input.channel} to ${target} failed: ${result.error}`,
      ...(result.refused ? { type: DATA_REJECTED, nonRetryable: true } : { type: 'BudgetAlertDeliveryFailed' }),
    });
  }
}

/** After the retries' day: the channel is given up; the attempts stay for the record. */
export async function giveUpBudgetAlert(deps: ActivityDeps, input: BudgetAlertScope & { channel: AlertChannel }): Promise<void> {
  await withClient(deps.orm.em, input.clientId, (em) => setStatus(em, input, 'gave_up'));
}

/** `refused`: the URL may not be called (domain/outbound-url.ts); no retry would change that. */
interface AttemptResult { delivered: boolean; httpStatus: number | null; error: string | null; refused?: boolean }

async function sendEmail(deps: ActivityDeps, alert: AlertFacts, to: string): Promise<AttemptResult> {
  const built = buildMailRequest(alertEmail(alert, to, deps.from));
  if (!built.body) {
    throw ApplicationFailure.create({ message: `SendGrid would refuse the alert email: ${built.refused.map((r) => r.reason).join('; ')}`, type: 'BudgetAlertUnsendable', nonRetryable: true });
  }
  try {
    const [response] = await sendMail(deps.sendgrid, Context.current().cancellationSignal, built.body);
    return { delivered: true, httpStatus: response.statusCode, error: null };
  } catch (error) {
    const failure = providerFailure(error);
    const status = (error as { code?: unknown }).code;
    return { delivered: false, httpStatus: typeof status === 'number' ? status : null, error: failure.message };
  }
}

/**
 * POSTs the signed alert to the client's URL, over a connection to an address resolveOutbound checked
 * (domain/outbound-url.ts); a URL the policy refuses is answered `refused`, without a call. No redirects
 * are followed (a 3xx is a failure), and no connection is kept for another call.
 */
async function callWebhook(alert: AlertFacts, url: string, secret: string, policy: OutboundPolicy): Promise<AttemptResult> {
  const body = alertWebhookBody(alert);
  try {
    const address = await resolveOutbound(url, policy);
    const status = await new Promise<number>((resolve, reject) => {
      const send = url.startsWith('https:') ? httpsRequest : httpRequest;
      const call = send(url, {
        method: 'POST',
        agent: false,
        lookup: pinnedLookup(address),
        signal: AbortSignal.any([Context.current().cancellationSignal, AbortSignal.timeout(WEBHOOK_TIMEOUT_MS)]),
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'Track15-Webhooks/1.0',
          [EVENT_ID_HEADER]: alert.id,
          [SIGNATURE_HEADER]: signWebhook(secret, body, Math.floor(Date.now() / 1000)),
        },
      }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      call.on('error', reject);
      call.end(body);
    });
    return status >= 200 && status < 300
      ? { delivered: true, httpStatus: status, error: null }
      : { delivered: false, httpStatus: status, error: `answered ${status}` };
  } catch (error) {
    return {
      delivered: false, httpStatus: null, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      refused: error instanceof OutboundRefused,
    };
  }
}

async function emailAlreadyAccepted(deps: ActivityDeps, alertId: string, to: string): Promise<boolean> {
  const accepted = await acceptedRecipients(deps.sendgrid.client, alertSendKey(alertId)).catch((error: unknown) => { throw providerFailure(error); });
  return accepted.has(to.toLowerCase());
}

async function setStatus(em: EntityManager, input: BudgetAlertScope & { channel: AlertChannel }, status: string): Promise<void> {
  await em.execute(`update budget_alert_events set ${input.channel}_status = ? where id = ? and ${input.channel}_status = 'pending'`, [status, input.alertId]);
}

async function loadAlert(em: EntityManager, input: BudgetAlertScope & { channel: AlertChannel }) {
  const [row] = await em.execute<{
    id: string; budget_id: string; budget_name: string; currency: string; amount: string; period: string; period_key: string;
    threshold_percent: string; percentage_spent: string | null; amount_spent: string | null; fired_at: string; status: string;
    email: string | null; webhook_url: string | null; signing_secret: string | null; unknown_attempt: string | null;
  }[]>(
    `select e.id, b.id as budget_id, b.name as budget_name, trim(b.currency) as currency, b.amount, b.period, e.period_key,
            e.threshold_percent, e.percentage_spent, e.amount_spent, e.fired_at, e.${input.channel}_status as status,
            s.email, s.webhook_url, s.signing_secret,
            (select a.id from budget_alert_attempts a where a.alert_id = e.id and a.channel = ? and a.outcome is null
              order by a.started_at desc limit 1) as unknown_attempt
       from budget_alert_events e join budgets b on b.id = e.budget_id
       left join budget_alert_settings s on s.client_id = e.client_id
      where e.id = ?`,
    [input.channel, input.alertId]);
  if (!row) return null;
  const alert: AlertFacts = {
    id: row.id, clientId: input.clientId, budgetId: row.budget_id, budgetName: row.budget_name, currency: row.currency, amount: row.amount,
    period: row.period, periodKey: row.period_key, thresholdPercent: row.threshold_percent, percentageSpent: row.percentage_spent,
    amountSpent: row.amount_spent, firedAt: new Date(row.fired_at).toISOString(),
  };
  return {
    alert, status: row.status, target: input.channel === 'email' ? row.email : row.webhook_url, secret: row.signing_secret,
    unknownAttempt: row.unknown_attempt,
  };
}
