import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { EntityManager } from '@mikro-orm/postgresql';
import Handlebars from 'handlebars';
import { withClient } from '../../domain/db/tenancy';
import { MANAGE_TOKEN_TTL_MS, signManageToken } from '../../domain/giving/give-token';
import { formatMoney } from '../../domain/money';
import type { ActivityDeps } from '..';
import { asOnlyAttempt } from '../attempt-fence';
import { buildMailRequest } from '../email/mail-request';
import { acceptedRecipients, answeredByProvider, providerFailure, rejectedRecipient, sendMail } from '../email/sendgrid';

/** A succeeded gift as recorded: what its receipt states. */
export interface ReceivedGift {
  clientId: string;
  donationId: string;
  donorId: string;
  recurringGiftId: string | null;
  /** Minor units of `currency`, as Stripe charged. */
  amount: number;
  currency: string;
  /** When the money moved (ISO 8601). */
  donatedAt: string;
}

/**
 * Gives a succeeded gift its receipt, numbered 1, 2, 3... per client and calendar year (UTC) of the
 * gift, without gaps and without two gifts sharing a number: the counter row is upserted (and so
 * locked) in the caller's transaction, the one that records the gift, so a rolled-back gift takes its
 * number back and a concurrent gift of the same client waits for the commit. Run inside withClient,
 * holding the donation row's lock (the caller just upserted it), which serialises two events of the
 * same gift so the existence check and the insert cannot interleave. Answers the new receipt's id, or
 * null when the gift already had one (a redelivered event, or the gift's other event came first).
 */
export async function issueReceipt(em: EntityManager, gift: ReceivedGift): Promise<string | null> {
  const [known] = await em.execute<{ id: string }[]>('select id from receipts where donation_id = ?', [gift.donationId]);
  if (known) return null;
  const year = new Date(gift.donatedAt).getUTCFullYear();
  const [counter] = await em.execute<{ last_number: number }[]>(
    `insert into receipt_counters (client_id, year, last_number) values (?, ?, 1)
     on conflict (client_id, year) do update set last_number = receipt_counters.last_number + 1
     returning last_number`, [gift.clientId, year]);
  const [receipt] = await em.execute<{ id: string }[]>(
    `insert into receipts (client_id, donation_id, donor_id, recurring_gift_id, year, number, amount, currency, issued_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`,
    [gift.clientId, gift.donationId, gift.donorId, gift.recurringGiftId, year, counter.last_number, gift.amount, gift.currency, gift.donatedAt]);
  return receipt.id;
}

/** A refunded gift's receipt is void from the refund on (kept, with its number: the sequence has no gaps). Run inside withClient. */
export async function voidReceipt(em: EntityManager, donationId: string, refundedAt: string): Promise<void> {
  await em.execute('update receipts set voided_at = coalesce(voided_at, ?) where donation_id = ?', [refundedAt, donationId]);
}

export interface ReceiptSendInput { clientId: string; receiptId: string }
export interface ReceiptSendOutcome {
  status: 'sent' | 'skipped';
  /** Why no email went out: voided (refunded first), no_address, suppressed, opted_out, rejected, gone. */
  reason: string | null;
}

interface ReceiptRow {
  id: string; number: number; year: number; amount: number; currency: string; issued_at: string | Date; voided_at: string | Date | null;
  email_status: 'pending' | 'sending' | 'sent' | 'skipped'; email_skip_reason: string | null; send_key: string | null;
  donor_id: string | null; email: string | null; first_name: string | null; last_name: string | null;
  suppressed: boolean; opted_out: boolean; recurring_gift_id: string | null;
  organisation: string; from_email: string | null; from_name: string | null; reply_to: string | null; postal_address: string | null;
}

const RECEIPT_SQL = `
  select r.id, r.number, r.year, r.amount, r.currency, r.issued_at, r.voided_at, r.email_status, r.email_skip_reason, r.send_key,
         r.donor_id, d.email, d.first_name, d.last_name, d.email_suppressed_at is not null as suppressed,
         exists (select 1 from notification_preferences p
                  where p.donor_id = d.id and p.category in ('transactional', 'all')
                    and (not p.email_enabled or p.unsubscribed_at is not null)) as opted_out,
         r.recurring_gift_id, cl.name as organisation,
         nullif(btrim(cl.sender_from_email), '') as from_email, nullif(btrim(cl.sender_from_name), '') as from_name,
         nullif(btrim(cl.sender_reply_to), '') as reply_to, nullif(btrim(cl.postal_address), '') as postal_address
    from receipts r join clients cl on cl.id = r.client_id left join donors d on d.id = r.donor_id
   where r.id = ?`;

/**
 * Emails a receipt once, ever: the receipt row is the delivery ledger. It is marked `sending` under a
 * fresh `send_key` (committed) before SendGrid is called and `sent` after; an attempt that finds
 * `sending` (its predecessor's answer was lost) asks SendGrid's Email Activity for that key first, so a
 * crash causes neither a second email nor none; an earlier attempt Temporal gave up on while it still
 * runs is waited for first (activities/attempt-fence.ts), so that check never races its send. Receipts are transactional: sent without the client's
 * marketing unsubscribe group, so a marketing unsubscribe does not stop them, while an opt-out of the
 * `transactional` (or `all`) category, a suppressed address or a missing one skips the email, recorded
 * with its reason. A receipt voided (refunded) before it went out is skipped too. 429/5xx and network
 * errors fail the activity for Temporal to retry (with Retry-After); a 400 naming the address skips it.
 */
export async function sendReceipt(deps: ActivityDeps, input: ReceiptSendInput): Promise<ReceiptSendOutcome> {
  return asOnlyAttempt(deps, input.clientId, `receipt:${input.receiptId}`, () => sendReceiptOnce(deps, input));
}

async function sendReceiptOnce(deps: ActivityDeps, input: ReceiptSendInput): Promise<ReceiptSendOutcome> {
  const inClient = <T>(work: (em: EntityManager) => Promise<T>) => withClient(deps.orm.em, input.clientId, work);
  const settle = (status: 'pending' | 'sent' | 'skipped', reason: string | null = null) => inClient((em) => em.execute(
    `update receipts set email_status = ?, email_skip_reason = ?, emailed_at = case when ? = 'sent' then now() end,
            send_key = case when ? = 'pending' then null else send_key end
      where id = ?`, [status, reason, status, status, input.receiptId]));
  const [receipt] = await inClient((em) => em.execute<ReceiptRow[]>(RECEIPT_SQL, [input.receiptId]));
  if (!receipt) return { status: 'skipped', reason: 'gone' };
  if (receipt.email_status === 'sent' || receipt.email_status === 'skipped') {
    return { status: receipt.email_status, reason: receipt.email_skip_reason };
  }
  if (receipt.email_status === 'sending' && receipt.send_key) {
    let accepted: Map<string, string>;
    try {
      accepted = await acceptedRecipients(deps.sendgrid.client, receipt.send_key);
    } catch (error) {
      throw providerFailure(error);
    }
    if (accepted.size > 0) {
      await settle('sent');
      return { status: 'sent', reason: null };
    }
  }
  const skip = skipReason(receipt);
  if (skip) {
    await settle('skipped', skip);
    return { status: 'skipped', reason: skip };
  }
  const sendKey = randomUUID();
  const built = buildMailRequest(receiptMessage(deps, input.clientId, receipt, sendKey));
  await inClient((em) => em.execute(`update receipts set email_status = 'sending', send_key = ? where id = ?`, [sendKey, receipt.id]));
  if (!built.body) {
    await settle('skipped', 'rejected');
    return { status: 'skipped', reason: 'rejected' };
  }
  try {
    await sendMail(deps.sendgrid, Context.current().cancellationSignal, built.body);
  } catch (error) {
    if (rejectedRecipient(error)) {
      await settle('skipped', 'rejected');
      return { status: 'skipped', reason: 'rejected' };
    }
    // Refused with a status: known unsent, free for the retry; no answer: left `sending` for SendGrid's record.
    if (answeredByProvider(error)) await settle('pending');
    throw providerFailure(error);
  }
  await settle('sent');
  return { status: 'sent', reason: null };
}

function skipReason(receipt: ReceiptRow): string | null {
  if (receipt.voided_at) return 'voided';
  if (!receipt.email) return 'no_address';
  if (receipt.suppressed) return 'suppressed';
  if (receipt.opted_out) return 'opted_out';
  return null;
}

/** The receipt number as printed: year, then the number within the year (e.g. 2026-000042). */
export function receiptNumber(year: number, number: number): string {
  return `${year}-${String(number).padStart(6, '0')}`;
}

/**
 * The receipt email: organisation, amount and currency, date (UTC) and number; a monthly gift's receipt
 * also carries the signed link to the page that manages (cancels) it.
 */
function receiptMessage(deps: ActivityDeps, clientId: string, receipt: ReceiptRow, sendKey: string) {
  const amount = `${formatMoney(receipt.amount, receipt.currency)} ${receipt.currency.toUpperCase()}`;
  const date = new Date(receipt.issued_at).toLocaleDateString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' });
  const number = receiptNumber(receipt.year, receipt.number);
  const manageUrl = receipt.recurring_gift_id ? `${deps.publicBaseUrl}/manage/${signManageToken({
    clientId, recurringGiftId: receipt.recurring_gift_id, expiresAt: Date.now() + MANAGE_TOKEN_TTL_MS,
  }, deps.unsubscribeSecret)}` : null;
  const name = [receipt.first_name, receipt.last_name].filter(Boolean).join(' ') || null;
  const lines: [string, string][] = [['Receipt number', number], ['Amount', amount], ['Date', date], ['Organisation', receipt.organisation]];
  if (manageUrl) lines.push(['Monthly gift', 'charged each month until you cancel it']);
  const footer = [receipt.from_name, ...(receipt.postal_address?.split(/\r?\n/) ?? [])].filter((line): line is string => !!line?.trim());
  const e = Handlebars.escapeExpression;
  const text = [
    `Thank you${name ? `, ${name}` : ''}, for your gift to ${receipt.organisation}.`, '',
    ...lines.map(([label, value]) => `${label}: ${value}`),
    ...(manageUrl ? ['', `To change or cancel your monthly gift: ${manageUrl}`] : []),
    ...(footer.length ? ['', ...footer] : []),
  ].join('\n');
  const html = [
    `<p>Thank you${name ? `, ${e(name)}` : ''}, for your gift to ${e(receipt.organisation)}.</p>`,
    `<table>${lines.map(([label, value]) => `<tr><th scope="row" align="left">${e(label)}</th><td>${e(value)}</td></tr>`).join('')}</table>`,
    ...(manageUrl ? [`<p><a href="${e(manageUrl)}">Change or cancel your monthly gift</a></p>`] : []),
    ...(footer.length ? [`<p style="font-size:small;color:#666666">${footer.map(e).join('<br>')}</p>`] : []),
  ].join('\n');
  const subject = `Your receipt ${number} from ${receipt.organisation}`;
  return {
    from: { email: receipt.from_email ?? deps.from, name: receipt.from_name ?? receipt.organisation },
    replyTo: receipt.reply_to, subject, fallbackSubject: `Your receipt ${number}`, html, text,
    customArgs: { client_id: clientId, receipt_id: receipt.id, send_key: sendKey, ...(receipt.donor_id ? { donor_id: receipt.donor_id } : {}) },
    headers: {}, asmGroupId: null, categories: ['receipt'],
    recipients: [{ email: receipt.email!, name, subject, substitutions: {}, customArgs: {}, headers: {} }],
  };
}
