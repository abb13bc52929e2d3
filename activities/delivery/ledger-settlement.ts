import type { EntityManager } from '@mikro-orm/postgresql';
import { executeBound } from '../../domain/db/bound-sql';
import { type SkipReason, type StepTally, emptyTally } from '../../domain/campaigns/workflow-contract';
import type { DeliveryChannel } from '../../domain/delivery/channels';

/** Where a settlement applies: one step of one campaign on one channel, rows claimed under one attempt's `send_key`. */
export interface SettlementScope { campaignId: string; clientId: string; stepNumber: number; channel: DeliveryChannel; sendKey: string }

/** A text as sent: the donor's number, the client's, what it said and how many segments it was billed as. */
export interface SentText { to: string; from: string; body: string; segments: number }

/**
 * What a provider call decided, per recipient: sent (an email with its address, or a text), failed, or
 * skipped at the last moment (a text to a number whose STOP arrived after the claim).
 */
export interface ProviderOutcome {
  sent: { donorId: string; email: string | null; messageId: string | null; text?: SentText }[];
  failed: { donorId: string; reason: string }[];
  skipped?: { donorId: string; reason: SkipReason }[];
}

/** Rows a settlement actually moved out of `pending`: what may be counted, once. */
export interface Settled { sent: string[]; failed: { donorId: string; reason: string }[]; skipped: SkipReason[] }

/**
 * Settles the pending ledger rows claimed under `scope.sendKey` from what the provider said, and adds to
 * `campaigns.stats` only the rows this very statement changed: a row another attempt (or an earlier
 * settlement) already settled is neither rewritten nor counted again. Sent email is recorded in
 * email_sends; a sent text in its conversation (seed 001: one thread per client, donor number and client
 * number) as an outbound message `pending` until Twilio reports it sent.
 */
export async function settleOutcome(em: EntityManager, scope: SettlementScope, outcome: ProviderOutcome): Promise<Settled> {
  const settled: Settled = { sent: [], failed: [], skipped: [] };
  const emails = outcome.sent.filter((s) => !s.text);
  const texts = outcome.sent.filter((s) => s.text);
  if (emails.length > 0) {
    const sent = emails.map((s) => ({ donor_id: s.donorId, email: s.email, message_id: s.messageId }));
    const rows = await executeBound<{ donor_id: string }>(em, SETTLE_SENT_SQL, [
      JSON.stringify(sent), scope.campaignId, scope.stepNumber, scope.clientId, scope.channel, scope.sendKey, scope.clientId, scope.campaignId, scope.stepNumber,
    ]);
    settled.sent = rows.map((row) => row.donor_id);
  }
  if (texts.length > 0) {
    const sent = texts.map((s) => ({ donor_id: s.donorId, message_id: s.messageId, phone: s.text!.to, sender: s.text!.from, body: s.text!.body, segments: s.text!.segments }));
    const rows = await executeBound<{ donor_id: string }>(em, SETTLE_TEXTS_SQL, [
      JSON.stringify(sent), scope.campaignId, scope.stepNumber, scope.clientId, scope.channel, scope.sendKey,
      scope.clientId, scope.campaignId, scope.campaignId, scope.clientId, scope.campaignId, scope.stepNumber,
    ]);
    settled.sent.push(...rows.map((row) => row.donor_id));
  }
  if (outcome.skipped && outcome.skipped.length > 0) {
    const rows = await em.execute<{ skip_reason: SkipReason }[]>(
      `update campaign_deliveries l set status = 'skipped', skip_reason = x.reason, settled_at = now()
         from json_to_recordset(?::json) as x(donor_id uuid, reason text)
        where l.campaign_id = ? and l.step_number = ? and l.donor_id = x.donor_id and l.channel = ? and l.status = 'pending' and l.send_key = ?
        returning l.skip_reason`,
      [JSON.stringify(outcome.skipped.map((s) => ({ donor_id: s.donorId, reason: s.reason }))), scope.campaignId, scope.stepNumber, scope.channel, scope.sendKey]);
    settled.skipped = rows.map((row) => row.skip_reason);
    await countStat(em, scope.campaignId, 'skipped', rows.length);
  }
  if (outcome.failed.length > 0) {
    const failed = outcome.failed.map((f) => ({ donor_id: f.donorId, reason: f.reason }));
    const rows = await executeBound<{ donor_id: string; failure_reason: string }>(em, SETTLE_FAILED_SQL, [
      scope.campaignId, scope.stepNumber, scope.clientId, scope.channel, scope.sendKey, JSON.stringify(failed),
    ]);
    settled.failed = rows.map((row) => ({ donorId: row.donor_id, reason: row.failure_reason }));
  }
  await countStat(em, scope.campaignId, 'sent', settled.sent.length);
  await countStat(em, scope.campaignId, 'failed', settled.failed.length);
  return settled;
}

/** Adds `n` to one of `campaigns.stats`' counters (seed 002's increment_campaign_stat, atomic). */
export async function countStat(em: EntityManager, campaignId: string, stat: 'sent' | 'failed' | 'skipped', n: number): Promise<void> {
  if (n > 0) await em.execute('select increment_campaign_stat(?, ?, ?)', [campaignId, stat, n]);
}

/**
 * Gives up the pending claims of `claimed` (donor ids) this attempt holds under its send key, so a later
 * attempt decides and sends them afresh, except the rows in `keepPending`: those went out in a request
 * whose answer never came (a cut connection, a cancelled call), so only the provider's own record can tell
 * whether they were sent. Rows already settled, or claimed under another key, are left alone.
 */
export async function releaseUnsent(em: EntityManager, scope: SettlementScope, claimed: string[], keepPending: string[] = []): Promise<void> {
  const kept = new Set(keepPending);
  const released = claimed.filter((donorId) => !kept.has(donorId));
  if (released.length === 0) return;
  await em.execute(
    `delete from campaign_deliveries
      where campaign_id = ? and step_number = ? and channel = ? and donor_id = any(array(select jsonb_array_elements_text(?::jsonb)::uuid))
        and status = 'pending' and send_key = ?`,
    [scope.campaignId, scope.stepNumber, scope.channel, JSON.stringify(released), scope.sendKey],
  );
}

/** Ledger statuses of a message that did not (or not yet) leave; every other status means it was sent. */
export const UNSENT_STATUSES = new Set(['pending', 'skipped', 'failed']);

/** The page's final ledger counts on the scope's channel, so a retried batch reports what earlier attempts settled too. */
export async function pageTally(em: EntityManager, scope: Omit<SettlementScope, 'sendKey'>, donorIds: string[]): Promise<StepTally> {
  const tally = emptyTally();
  if (donorIds.length === 0) return tally;
  const rows = await em.execute<{ status: string; skip_reason: SkipReason | null; n: number }[]>(
    // LIMIT 1 keeps the lateral subquery a primary-key lookup per donor, whatever the statistics say.
    `select l.status, l.skip_reason, count(*)::int as n
       from json_array_elements_text(?::json) as page(donor_id),
            lateral (select status, skip_reason from campaign_deliveries
                      where campaign_id = ? and step_number = ? and donor_id = page.donor_id::uuid and channel = ? limit 1) l
      group by l.status, l.skip_reason`,
    [JSON.stringify(donorIds), scope.campaignId, scope.stepNumber, scope.channel],
  );
  for (const { status, skip_reason, n } of rows) {
    if (status === 'skipped') {
      tally.skipped += n;
      if (skip_reason) tally.skipReasons[skip_reason] = (tally.skipReasons[skip_reason] ?? 0) + n;
    } else if (status === 'failed') tally.failed += n;
    else if (!UNSENT_STATUSES.has(status)) tally.sent += n;
  }
  return tally;
}

/** What the page's sent rows are billed as: one unit per email, each text's segments (the budget's cost_per_message is per unit). */
export async function pageSentUnits(em: EntityManager, scope: Omit<SettlementScope, 'sendKey'>, donorIds: string[]): Promise<number> {
  if (donorIds.length === 0) return 0;
  const [{ units }] = await em.execute<{ units: number }[]>(
    `select coalesce(sum(coalesce(sms_segments, 1)), 0)::int as units from campaign_deliveries
      where campaign_id = ? and step_number = ? and channel = ? and donor_id in (select jsonb_array_elements_text(?::jsonb)::uuid)
        and status not in ('pending', 'skipped', 'failed')`,
    [scope.campaignId, scope.stepNumber, scope.channel, JSON.stringify(donorIds)]);
  return units;
}

// The settlement both channels share: the page's rows still pending under this claim's send key become
// sent, and only the rows it changed are returned (donor_id, provider_message_id).
const SETTLED_CTE = `
  settled as (
    insert into campaign_deliveries (campaign_id, step_number, donor_id, client_id, channel, status, provider_message_id, send_key, settled_at)
    select ?, ?, page.donor_id, ?, ?, 'sent', page.message_id, ?, now() from page
    on conflict (campaign_id, step_number, donor_id, channel) do update
       set status = excluded.status, provider_message_id = excluded.provider_message_id, settled_at = excluded.settled_at
     where campaign_deliveries.status = 'pending' and campaign_deliveries.send_key = excluded.send_key
    returning donor_id, provider_message_id),`;

// Settling writes through the ledger's primary key (an upsert onto the row the claim wrote), so each row
// is one index lookup. An UPDATE ... FROM joined on donor_id let statistics that lag a fast-growing ledger
// pick a plan reading the step's whole ledger for every page: quadratic over a touchpoint. The upsert's
// WHERE leaves rows that are no longer this claim's pending rows alone, and RETURNING yields only the rows
// it changed, which are then the only ones counted and recorded in email_sends.
const SETTLE_SENT_SQL = `
  with page as (select * from json_to_recordset(?::json) as x(donor_id uuid, email text, message_id text)),
${SETTLED_CTE}
  recorded as (
    insert into email_sends (client_id, campaign_id, step_number, donor_id, email_address, status, sendgrid_message_id, sent_at)
    select ?, ?, ?, settled.donor_id, page.email, 'sent', settled.provider_message_id, now()
      from settled join page on page.donor_id = settled.donor_id
    -- Named, so only the step's unique index is probed: a bare DO NOTHING also probes the random primary key.
    on conflict (campaign_id, step_number, donor_id) where campaign_id is not null do nothing)
  select donor_id from settled`;

// As SETTLE_SENT_SQL, for texts: the settled rows' texts join (or open) their conversations, each counted
// once, and are recorded as outbound messages under Twilio's SID.
const SETTLE_TEXTS_SQL = `
  with page as (select * from json_to_recordset(?::json) as x(donor_id uuid, message_id text, phone text, sender text, body text, segments int)),
${SETTLED_CTE}
  threads as (
    insert into conversations as c (client_id, donor_id, customer_phone, brand_phone, campaign_id, campaign_name, message_count, last_message_at, last_outbound_at)
    select ?, settled.donor_id, page.phone, page.sender, ?, (select name from campaigns where id = ?), 1, now(), now()
      from settled join page on page.donor_id = settled.donor_id
    on conflict (client_id, customer_phone, brand_phone) do update
       set donor_id = excluded.donor_id, campaign_id = excluded.campaign_id, campaign_name = excluded.campaign_name,
           message_count = c.message_count + 1, last_message_at = now(), last_outbound_at = now()
    returning id, customer_phone),
  recorded as (
    insert into messages (client_id, conversation_id, direction, content, status, external_id, metadata)
    select ?, threads.id, 'outbound', page.body, 'pending', settled.provider_message_id,
           jsonb_build_object('campaign_id', ?::text, 'step_number', ?::int, 'segments', page.segments)
      from settled join page on page.donor_id = settled.donor_id join threads on threads.customer_phone = page.phone
    on conflict do nothing)
  select donor_id from settled`;

const SETTLE_FAILED_SQL = `
  insert into campaign_deliveries (campaign_id, step_number, donor_id, client_id, channel, status, send_key, failure_reason, settled_at)
  select ?, ?, x.donor_id, ?, ?, 'failed', ?, x.reason, now() from json_to_recordset(?::json) as x(donor_id uuid, reason text)
  on conflict (campaign_id, step_number, donor_id, channel) do update
     set status = excluded.status, failure_reason = excluded.failure_reason, settled_at = excluded.settled_at
   where campaign_deliveries.status = 'pending' and campaign_deliveries.send_key = excluded.send_key
  returning donor_id, failure_reason`;
