import { Context } from '@temporalio/activity';
import Handlebars from 'handlebars';
import type { EntityManager } from '@mikro-orm/postgresql';
import { withClient } from '../../domain/db/tenancy';
import type { ActivationStatus } from '../../workflows/activation/activation-definitions';
import type { ActivityDeps } from '..';
import { asOnlyAttempt } from '../attempt-fence';
import { buildMailRequest } from '../email/mail-request';
import { acceptedRecipients, providerFailure, sendMail } from '../email/sendgrid';

/**
 * The client activation workflow's database and mail work (issue 16 item 4). The database is the truth
 * about a client's status: the workflow asks it before each step, so a signal lost while a worker was down
 * costs nothing.
 */

/** A client's activation timing: days are `activation_day_length_seconds` long (86,400; shorter only in tests). */
export interface ActivationPlan {
  status: ActivationStatus;
  /** Milliseconds after the token was issued. */
  reminderAfterMs: number;
  expiresAfterMs: number;
  /** How long a payment is still awaited after expiry: one day, Stripe Checkout's default session lifetime (24 hours). */
  graceMs: number;
}

interface ClientTiming { status: ActivationStatus; activation_reminder_days: number; activation_expiry_days: number; activation_day_length_seconds: number; activation_expired_at: Date | null }

/** The plan of the client's activation, from its row; null when the client is gone (the workflow then ends). */
export async function loadActivationPlan(em: EntityManager, clientId: string): Promise<ActivationPlan | null> {
  const [row] = await em.execute<ClientTiming[]>(
    `select status, activation_reminder_days, activation_expiry_days, activation_day_length_seconds, activation_expired_at
       from clients where id = ?`, [clientId]);
  if (!row) return null;
  const dayMs = row.activation_day_length_seconds * 1000;
  return {
    status: statusOf(row),
    reminderAfterMs: row.activation_reminder_days * dayMs,
    expiresAfterMs: row.activation_expiry_days * dayMs,
    graceMs: dayMs,
  };
}

function statusOf(row: { status: ActivationStatus; activation_expired_at: Date | null }): ActivationStatus {
  return row.status !== 'paid' && row.activation_expired_at ? 'expired' : row.status;
}

export interface ReminderResult {
  /** The client's status when the reminder was due: no reminder goes to a client that paid. */
  status: ActivationStatus;
  /** Where the reminder went, or null (paid, already reminded, or no address on file). */
  sentTo: string | null;
}

/**
 * Reminds an unpaid client of its activation page: one transactional email (no unsubscribe group, no
 * campaign ledger) to the client's own address (its sender Reply-To, else From), from the platform's
 * address (EMAIL_FROM), with its activation link and the current activation version's headline.
 * Sent once: every attempt sends under the same `send_key` (one reminder per client, ever), and a retry
 * first asks SendGrid's Email Activity whether that key's message was accepted, so an attempt whose answer
 * a crash or timeout lost is not sent again; `activation_reminded_at` records it either way (the way
 * receipts and budget-alert emails settle a lost answer), after waiting for any earlier attempt Temporal
 * gave up on while it still runs (activities/attempt-fence.ts). 429/5xx are retried by Temporal (providerFailure).
 */
export async function sendActivationReminder(deps: ActivityDeps, clientId: string): Promise<ReminderResult> {
  return asOnlyAttempt(deps, clientId, `activation-reminder:${clientId}`, () => sendActivationReminderOnce(deps, clientId));
}

async function sendActivationReminderOnce(deps: ActivityDeps, clientId: string): Promise<ReminderResult> {
  const [client] = await withClient(deps.orm.em, clientId, (em) => em.execute<(ClientTiming & {
    name: string; activation_token: string | null; to: string | null; activation_reminded_at: Date | null; headline: string | null;
  })[]>(
    `select status, activation_expired_at, name, activation_token, activation_reminded_at, coalesce(sender_reply_to, sender_from_email) as "to",
            (select content->>'headline' from content_versions v where v.client_id = c.id and v.page_type = 'activation' and v.is_current) as headline
       from clients c where id = ?`, [clientId]));
  if (!client) return { status: 'failed', sentTo: null };
  const status = statusOf(client);
  if (status === 'paid' || status === 'expired' || client.activation_reminded_at || !client.to || !client.activation_token) return { status, sentTo: null };

  const sendKey = `activation-reminder:${clientId}`;
  const link = `${deps.publicBaseUrl.replace(/\/$/, '')}/activate/${client.activation_token}`;
  const subject = `${client.name}: your activation is waiting`;
  const text = [`Hello ${client.name},`, '', client.headline ?? 'Your activation page is ready.', '',
    `Finish your activation here: ${link}`, '', `Your activation code is ${client.activation_token}.`].join('\n');
  const escapeHtml = Handlebars.escapeExpression;
  const html = `<p>Hello ${escapeHtml(client.name)},</p><p>${escapeHtml(client.headline ?? 'Your activation page is ready.')}</p>`
    + `<p><a href="${escapeHtml(link)}">Finish your activation</a></p><p>Your activation code is ${escapeHtml(client.activation_token)}.</p>`;
  const built = buildMailRequest({
    from: { email: deps.from, name: 'Track15' }, replyTo: null, subject, fallbackSubject: 'Your activation is waiting', html, text,
    customArgs: { activation_reminder: 'true', send_key: sendKey }, headers: {}, asmGroupId: null, categories: ['activation-reminder'],
    recipients: [{ email: client.to, name: client.name, subject, substitutions: {}, customArgs: {}, headers: {} }],
  });
  if (!built.body) return { status, sentTo: null };
  try {
    const retry = Context.current().info.attempt > 1;
    if (!retry || !(await acceptedRecipients(deps.sendgrid.client, sendKey)).has(client.to.toLowerCase())) {
      await sendMail(deps.sendgrid, Context.current().cancellationSignal, built.body);
    }
  } catch (error) {
    throw providerFailure(error);
  }
  await withClient(deps.orm.em, clientId, (em) => em.execute('update clients set activation_reminded_at = now() where id = ? and activation_reminded_at is null', [clientId]));
  return { status, sentTo: client.to };
}

/**
 * Expires the client's activation token unless it has paid: its activation and agreement pages answer 404
 * from then on. A payment already started is still honoured when its webhook arrives (activation-payments.ts).
 * Answers the status after it.
 */
export async function expireActivationToken(em: EntityManager, clientId: string): Promise<ActivationStatus> {
  const [row] = await em.execute<{ status: ActivationStatus; activation_expired_at: Date | null }[]>(
    `update clients set activation_expired_at = coalesce(activation_expired_at, now())
      where id = ? and status <> 'paid' returning status, activation_expired_at`, [clientId]);
  if (row) return statusOf(row);
  const [current] = await em.execute<{ status: ActivationStatus }[]>('select status from clients where id = ?', [clientId]);
  return current?.status ?? 'failed';
}
