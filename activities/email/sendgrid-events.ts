import type { EntityManager } from '@mikro-orm/postgresql';
import { asOperator, withClient } from '../../domain/db/tenancy';
import { type EventMeaning, type PreferenceEffect, meaningOf, sendRequestIdOf, statusRankSql } from '../../domain/email/email-events';
import { groupBy } from '../../domain/group-by';
import type { ActivityDeps } from '..';

/** One SendGrid event, as the webhook verified it: its ids and the custom_args the send attached. */
export interface SendGridEventInput {
  sgEventId: string;
  event: string;
  email: string;
  /** Unix seconds, as SendGrid sends them. */
  timestamp: number;
  campaignId: string | null;
  stepNumber: number | null;
  donorId: string | null;
  /** SendGrid's per-recipient id: the request's X-Message-Id, a dot, then its own suffix. */
  sgMessageId: string | null;
  /** For bounces: "bounce" (permanent) or "blocked" (temporary). */
  bounceType: string | null;
  /** For drops and bounces: SendGrid's reason ("Bounced Address", "550 5.1.1 ..."). Absent from older inputs. */
  reason?: string | null;
}

export interface SendGridEventsOutcome { applied: number; duplicates: number }
export interface SendGridEventBatch { clientId: string; events: SendGridEventInput[] }

/**
 * Finds the client (and campaign, step and donor) of events that carry none of the product's
 * custom_args, by their sg_message_id: its prefix is the X-Message-Id of the mail/send request, which
 * the product stored on every email_sends row of that request. Within the request the recipient is
 * matched by address; an event whose address is not among them keeps only the client, and the activity
 * then matches the donor by address within that client. Events of requests the product did not make
 * (another integration on the account) match nothing and are left out. Reads across clients (as the
 * operator) only to learn which client an event belongs to; nothing is written here.
 */
export async function attributeSendGridEvents(deps: Pick<ActivityDeps, 'orm'>, events: SendGridEventInput[]): Promise<{ batches: SendGridEventBatch[]; unmatched: number }> {
  const requestIds = [...new Set(events.flatMap((e) => (e.sgMessageId ? [sendRequestIdOf(e.sgMessageId)] : [])))];
  const rows = requestIds.length === 0 ? [] : await asOperator(deps.orm.em, (em) => em.execute<{
    request_id: string; email: string; client_id: string; campaign_id: string | null; step_number: number | null; donor_id: string | null;
  }[]>(
    `select sendgrid_message_id as request_id, lower(email_address) as email, client_id, campaign_id, step_number, donor_id
       from email_sends where sendgrid_message_id in (select json_array_elements_text(?::json))`, [JSON.stringify(requestIds)]));
  const byRecipient = new Map(rows.map((row) => [`${row.request_id}\u0000${row.email}`, row]));
  const clientOfRequest = new Map(rows.map((row) => [row.request_id, row.client_id]));
  const attributed = events.flatMap((event) => {
    const requestId = event.sgMessageId ? sendRequestIdOf(event.sgMessageId) : null;
    const clientId = requestId ? clientOfRequest.get(requestId) : undefined;
    if (!requestId || !clientId) return [];
    const row = byRecipient.get(`${requestId}\u0000${event.email.toLowerCase()}`);
    const input: SendGridEventInput = row
      ? { ...event, campaignId: row.campaign_id, stepNumber: row.step_number, donorId: row.donor_id }
      : { ...event, campaignId: null, stepNumber: null, donorId: null };
    return [{ clientId, input }];
  });
  return {
    batches: [...groupBy(attributed, (e) => e.clientId)].map(([clientId, batch]) => ({ clientId, events: batch.map((e) => e.input) })),
    unmatched: events.length - attributed.length,
  };
}

/**
 * Applies one client's share of an Event Webhook batch exactly once per sg_event_id: the ids are
 * recorded in the same transaction as the effects, so a redelivered batch (in any order) changes
 * nothing. Email statuses only move forward; a campaign stat counts an email the first time it reaches
 * a fact (delivered, opened, dropped...), so the same fact under a new sg_event_id counts nothing;
 * unsubscribes, spam reports, bounces and drops of unusable addresses change the donor's preferences
 * or suppression at once, so the next touchpoint skips them.
 */
export async function applySendGridEvents(deps: Pick<ActivityDeps, 'orm'>, clientId: string, events: SendGridEventInput[]): Promise<SendGridEventsOutcome> {
  return withClient(deps.orm.em, clientId, async (em) => {
    const fresh = new Set((await em.execute<{ event_id: string }[]>(
      `insert into processed_webhook_events (provider, event_id, client_id)
       select 'sendgrid', value, ? from json_array_elements_text(?::json)
       on conflict do nothing returning event_id`,
      [clientId, JSON.stringify([...new Set(events.map((e) => e.sgEventId))])])).map((row) => row.event_id));
    const toApply = events.filter((e) => fresh.delete(e.sgEventId)); // once each, even if repeated in the batch
    const stats = new Map<string, number>();
    for (const event of toApply.sort((a, b) => a.timestamp - b.timestamp)) {
      const meaning = meaningOf(event.event, { bounceType: event.bounceType, reason: event.reason });
      if (!meaning) continue;
      const send = await recordFact(em, event, meaning);
      if (send?.first && send.campaign_id) {
        const key = `${send.campaign_id}\u0000${meaning.stat}`;
        stats.set(key, (stats.get(key) ?? 0) + 1);
      }
      if (meaning.preference) {
        const donorId = event.donorId ?? send?.donor_id ?? await donorByEmail(em, event.email);
        if (donorId) await applyPreference(em, clientId, donorId, event, meaning.preference);
      }
    }
    for (const [key, count] of stats) {
      const [campaignId, stat] = key.split('\u0000');
      await em.execute('select increment_campaign_stat(?, ?, ?) from campaigns where id = ?', [campaignId, stat, count, campaignId]);
    }
    return { applied: toApply.length, duplicates: events.length - toApply.length };
  });
}

const at = (event: SendGridEventInput) => new Date(event.timestamp * 1000).toISOString();

async function donorByEmail(em: EntityManager, email: string): Promise<string | null> {
  const [donor] = await em.execute<{ id: string }[]>('select id from donors where lower(email) = lower(?) order by created_at limit 1', [email]);
  return donor?.id ?? null;
}

interface RecordedSend { campaign_id: string | null; step_number: number | null; donor_id: string | null; status: string; first: boolean }

/**
 * Records the event's fact on its email (and moves the email and its ledger row forward), stamping the
 * event's time the first time only. `first` says whether this event changed the fact, which is what
 * the stats count. Null when the product has no such email.
 */
async function recordFact(em: EntityManager, event: SendGridEventInput, meaning: EventMeaning): Promise<RecordedSend | null> {
  const { fact, status } = meaning;
  const byRecipient = event.campaignId && event.stepNumber && event.donorId;
  if (!byRecipient && !event.sgMessageId) return null;
  const bounced = status === 'bounced';
  const [send] = await em.execute<RecordedSend[]>(
    `with target as (
       select id, ${fact} is null as first from email_sends
        where ${byRecipient ? 'campaign_id = ? and step_number = ? and donor_id = ?' : 'sendgrid_message_id = ? and lower(email_address) = lower(?)'}
        limit 1 for update)
     update email_sends e set
        status = case when ${statusRankSql('?::text')} > ${statusRankSql('e.status')} then ? else e.status end,
        ${fact} = coalesce(e.${fact}, ?::timestamptz)
        ${bounced ? ', bounce_reason = coalesce(e.bounce_reason, ?)' : ''}
       from target where e.id = target.id
     returning e.campaign_id, e.step_number, e.donor_id, e.status, target.first`,
    [...(byRecipient ? [event.campaignId, event.stepNumber, event.donorId] : [sendRequestIdOf(event.sgMessageId!), event.email]),
      status, status, at(event), ...(bounced ? [(event.reason || event.bounceType || event.event).slice(0, 1000)] : [])]);
  if (!send?.campaign_id) return send ?? null;
  // The ledger keeps only delivery facts (not unsubscribes or spam reports), and never leaves skipped/failed.
  await em.execute(
    `update campaign_deliveries set status = ?
      where campaign_id = ? and step_number = ? and donor_id = ? and channel = 'email' and status in ('sent', 'delivered', 'opened', 'clicked', 'bounced')
        and ?::text in ('delivered', 'opened', 'clicked', 'bounced') and ${statusRankSql('?::text')} > ${statusRankSql('status')}`,
    [send.status, send.campaign_id, send.step_number, send.donor_id, send.status, send.status]);
  return send;
}

async function applyPreference(em: EntityManager, clientId: string, donorId: string, event: SendGridEventInput, effect: PreferenceEffect): Promise<void> {
  if (effect.kind === 'suppress') {
    await em.execute(
      `update donors set email_suppressed_at = coalesce(email_suppressed_at, ?::timestamptz), email_suppression_reason = coalesce(email_suppression_reason, ?)
        where id = ?`, [at(event), effect.reason, donorId]);
    return;
  }
  await em.execute(
    `insert into notification_preferences as p (client_id, donor_id, category, email_enabled, unsubscribed_at)
     values (?, ?, ?, false, ?::timestamptz)
     on conflict (donor_id, client_id, category) do update
        set email_enabled = false, unsubscribed_at = coalesce(p.unsubscribed_at, excluded.unsubscribed_at)`,
    [clientId, donorId, effect.category, at(event)]);
}
