import type { EntityManager } from '@mikro-orm/postgresql';
import { withClient } from '../domain/db/tenancy';
import { type EventMeaning, meaningOf, statusRankSql } from '../domain/email-events';
import type { ActivityDeps } from '.';

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
}

export interface SendGridEventsOutcome { applied: number; duplicates: number }

/**
 * Applies one client's share of an Event Webhook batch exactly once per sg_event_id: the ids are
 * recorded in the same transaction as the effects, so a redelivered batch (in any order) changes
 * nothing. Email statuses only move forward; stats count each event once; unsubscribes, spam reports
 * and bounces change the donor's preferences or suppression at once, so the next touchpoint skips them.
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
      const meaning = meaningOf(event.event, event.bounceType ?? undefined);
      if (meaning.status) await advanceEmail(em, event, meaning);
      if (meaning.stat && event.campaignId) {
        const key = `${event.campaignId}\u0000${meaning.stat}`;
        stats.set(key, (stats.get(key) ?? 0) + 1);
      }
      if (meaning.preference) {
        const donorId = event.donorId ?? await donorByEmail(em, event.email);
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

/** Moves the email (and its ledger row) forward, stamping the event's time the first time it happens. */
async function advanceEmail(em: EntityManager, event: SendGridEventInput, meaning: EventMeaning): Promise<void> {
  const stamp = meaning.timestampColumn;
  const byRecipient = event.campaignId && event.stepNumber && event.donorId;
  const [send] = await em.execute<{ campaign_id: string | null; step_number: number | null; donor_id: string | null; status: string }[]>(
    `update email_sends set
        status = case when ${statusRankSql('?::text')} > ${statusRankSql('status')} then ? else status end
        ${stamp ? `, ${stamp} = coalesce(${stamp}, ?::timestamptz)` : ''}
        ${meaning.status === 'bounced' ? ', bounce_reason = coalesce(bounce_reason, ?)' : ''}
      where ${byRecipient ? 'campaign_id = ? and step_number = ? and donor_id = ?' : 'sendgrid_message_id = ? and lower(email_address) = lower(?)'}
      returning campaign_id, step_number, donor_id, status`,
    [meaning.status, meaning.status, ...(stamp ? [at(event)] : []), ...(meaning.status === 'bounced' ? [event.bounceType ?? event.event] : []),
      ...(byRecipient ? [event.campaignId, event.stepNumber, event.donorId] : [event.sgMessageId?.split('.')[0] ?? null, event.email])]);
  if (!send?.campaign_id) return;
  // The ledger keeps only delivery facts (not unsubscribes or spam reports), and never leaves skipped/failed.
  await em.execute(
    `update campaign_deliveries set status = ?
      where campaign_id = ? and step_number = ? and donor_id = ? and status in ('sent', 'delivered', 'opened', 'clicked', 'bounced')
        and ?::text in ('delivered', 'opened', 'clicked', 'bounced') and ${statusRankSql('?::text')} > ${statusRankSql('status')}`,
    [send.status, send.campaign_id, send.step_number, send.donor_id, send.status, send.status]);
}

async function applyPreference(em: EntityManager, clientId: string, donorId: string, event: SendGridEventInput, effect: NonNullable<EventMeaning['preference']>): Promise<void> {
  if (effect.kind === 'suppress') {
    await em.execute(
      `update donors set email_suppressed_at = coalesce(email_suppressed_at, ?::timestamptz), email_suppression_reason = coalesce(email_suppression_reason, 'bounce')
        where id = ?`, [at(event), donorId]);
    return;
  }
  await em.execute(
    `insert into notification_preferences as p (client_id, donor_id, category, email_enabled, unsubscribed_at)
     values (?, ?, ?, false, ?::timestamptz)
     on conflict (donor_id, client_id, category) do update
        set email_enabled = false, unsubscribed_at = coalesce(p.unsubscribed_at, excluded.unsubscribed_at)`,
    [clientId, donorId, effect.category, at(event)]);
}
