import type { EntityManager } from '@mikro-orm/postgresql';
import { asOperator, withClient } from '../../../domain/db/tenancy';
import { MESSAGE_STATUS_RANK, type MessageStatus, type SmsKeyword, smsKeyword, smsNumberLockKey } from '../../../domain/sms';

/** An incoming text as Twilio posts it (after its signature verified): its SID, the donor's number, the client's, the text. */
export interface InboundText { messageSid: string; from: string; to: string; body: string }

/**
 * What receiving a text came to: `reply` is the one answer to send back (a keyword's confirmation), null
 * when none is due; `duplicate` when Twilio delivered this SID before (nothing was done again);
 * `unknownNumber` when no client texts from `to`.
 */
export interface InboundOutcome { reply: string | null; keyword: SmsKeyword | null; duplicate: boolean; unknownNumber: boolean }

/**
 * Receives one inbound text (issue 18 items 3 and 4). The client is the one whose `sms_from_number` the
 * text was sent to (unique across clients). Once per MessageSid (processed_webhook_events, provider
 * `twilio`), in one transaction of that client:
 * - STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT (domain/sms.ts smsKeyword: the whole text, any case) record
 *   the number in sms_opt_outs at once and archive its conversations; START, UNSTOP, YES lift it; HELP
 *   answers with the client's name and contact. Each answers with one confirmation.
 * - An opt-out or opt-in is recorded under the exclusive advisory lock on (client, number) that every text
 *   to that number holds, shared, from its opt-out check to Twilio's answer (delivery/lane-fence.ts): a
 *   touchpoint already running never texts the number once this commits.
 * - A text from a donor's number joins their conversation with the client's number (seed 001 threading)
 *   as an inbound message under its SID, the confirmation as an outbound one.
 */
export async function receiveText(em: EntityManager, text: InboundText): Promise<InboundOutcome> {
  const keyword = smsKeyword(text.body);
  const [client] = await asOperator(em, (tx) => tx.execute<ClientRow[]>(
    'select id, name, sender_reply_to as reply_to, sender_from_email as from_email from clients where sms_from_number = ?', [text.to]));
  if (!client) return { reply: null, keyword, duplicate: false, unknownNumber: true };
  return withClient(em, client.id, async (tx) => {
    const [fresh] = await tx.execute<{ event_id: string }[]>(
      `insert into processed_webhook_events (provider, event_id, client_id) values ('twilio', ?, ?) on conflict do nothing returning event_id`,
      [text.messageSid, client.id]);
    if (!fresh) return { reply: null, keyword, duplicate: true, unknownNumber: false };
    if (keyword === 'opt_out' || keyword === 'opt_in') {
      await tx.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [smsNumberLockKey(client.id, text.from)]);
      if (keyword === 'opt_out') await optOut(tx, client.id, text);
      else await optIn(tx, client.id, text.from);
    }
    const reply = keyword ? confirmation(keyword, client) : null;
    await thread(tx, client.id, text, reply);
    return { reply, keyword, duplicate: false, unknownNumber: false };
  });
}

interface ClientRow { id: string; name: string; reply_to: string | null; from_email: string | null }

async function optOut(em: EntityManager, clientId: string, text: InboundText): Promise<void> {
  // The first STOP is the record; a later one finds the number opted out already.
  await em.execute(
    `insert into sms_opt_outs (client_id, phone, keyword, message_sid) values (?, ?, ?, ?) on conflict (client_id, phone) do nothing`,
    [clientId, text.from, text.body.trim().toUpperCase().slice(0, 20), text.messageSid]);
  await em.execute(
    `update conversations set opted_out_at = coalesce(opted_out_at, now()), opt_out_reason = coalesce(opt_out_reason, ?), status = 'archived'
      where client_id = ? and customer_phone = ?`,
    [`texted ${text.body.trim().toUpperCase()}`, clientId, text.from]);
}

async function optIn(em: EntityManager, clientId: string, phone: string): Promise<void> {
  await em.execute('delete from sms_opt_outs where client_id = ? and phone = ?', [clientId, phone]);
  await em.execute(
    `update conversations set opted_out_at = null, opt_out_reason = null, status = 'active' where client_id = ? and customer_phone = ?`,
    [clientId, phone]);
}

/**
 * The one answer to a keyword (CTIA Messaging Principles: opt-out and opt-in confirmations, and HELP naming
 * who sends and how to reach them). The contact is the client's Reply-To, else its From address.
 */
function confirmation(keyword: SmsKeyword, client: ClientRow): string {
  switch (keyword) {
    case 'opt_out': return `${client.name}: You are unsubscribed and will receive no more texts from us. Reply START to resubscribe.`;
    case 'opt_in': return `${client.name}: You are resubscribed to our texts. Reply HELP for help, STOP to opt out.`;
    case 'help': {
      const contact = client.reply_to ?? client.from_email;
      return `${client.name}: ${contact ? `for help, email ${contact}.` : 'for help, reply to this message.'} Msg & data rates may apply. Reply STOP to opt out.`;
    }
  }
}

/** Files the text (and the reply to it) in the donor's conversation with the client's number; a number no donor has is not threaded. */
async function thread(em: EntityManager, clientId: string, text: InboundText, reply: string | null): Promise<void> {
  const [donor] = await em.execute<{ id: string }[]>('select id from donors where client_id = ? and phone = ?', [clientId, text.from]);
  if (!donor) return;
  const [conversation] = await em.execute<{ id: string }[]>(
    `insert into conversations as c (client_id, donor_id, customer_phone, brand_phone, message_count, last_message_at, last_inbound_at, last_outbound_at,
                                     status, opted_out_at, opt_out_reason)
     select ?, ?, ?, ?, ?, now(), now(), case when ? then now() end,
            case when o.phone is null then 'active' else 'archived' end, o.opted_out_at, case when o.phone is not null then 'texted ' || o.keyword end
       from (select 1) one left join sms_opt_outs o on o.client_id = ? and o.phone = ?
     on conflict (client_id, customer_phone, brand_phone) do update
        set message_count = c.message_count + excluded.message_count, last_message_at = now(), last_inbound_at = now(),
            last_outbound_at = coalesce(excluded.last_outbound_at, c.last_outbound_at)
     returning id`,
    [clientId, donor.id, text.from, text.to, reply ? 2 : 1, reply !== null, clientId, text.from]);
  // sent_at from the wall clock, not the transaction's start that now() gives both rows: the reply is
  // written after the text it answers and must sort after it in the conversation.
  await em.execute(
    `insert into messages (client_id, conversation_id, direction, content, external_id, sent_at)
     values (?, ?, 'inbound', ?, ?, clock_timestamp()) on conflict do nothing`,
    [clientId, conversation.id, text.body, text.messageSid]);
  if (reply) {
    await em.execute(
      `insert into messages (client_id, conversation_id, direction, content, status, metadata, sent_at)
       values (?, ?, 'outbound', ?, 'pending', ?::jsonb, clock_timestamp())`,
      [clientId, conversation.id, reply, JSON.stringify({ in_reply_to: text.messageSid })]);
  }
}

/**
 * Applies a Twilio status callback to the outbound message it names (issue 18 item 3): seed 001's status
 * moves only forward (pending → sent → delivered / failed / undelivered; domain/sms.ts), so a late or
 * repeated callback changes nothing. `delivered_at` is set when it is delivered. Answers whether it changed.
 */
export async function applyTextStatus(em: EntityManager, messageSid: string, status: MessageStatus): Promise<boolean> {
  const [message] = await asOperator(em, (tx) => tx.execute<{ client_id: string }[]>(
    `select client_id from messages where external_id = ? and direction = 'outbound'`, [messageSid]));
  if (!message) return false;
  return withClient(em, message.client_id, async (tx) => {
    const rows = await tx.execute<{ id: string }[]>(
      `update messages set status = ?, delivered_at = case when ? = 'delivered' then now() else delivered_at end
        where external_id = ? and direction = 'outbound'
          and (status is null or (${RANK_SQL('status')}) < (${RANK_SQL('?::text')}))
        returning id`,
      [status, status, messageSid, status]);
    return rows.length > 0;
  });
}

const RANK_SQL = (column: string) => `case ${column} ${Object.entries(MESSAGE_STATUS_RANK).map(([name, rank]) => `when '${name}' then ${rank}`).join(' ')} end`;
