import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import { notFound } from '../../problem';
import type { Conversation, Message } from '../../schemas/conversations';

/** A page of the client's conversations (the caller's client transaction), most recent message first. */
export function listConversations(em: EntityManager, filter: { donor_id?: string; limit: number; offset: number }): Promise<z.input<typeof Conversation>[]> {
  return em.execute<z.input<typeof Conversation>[]>(
    `select id, donor_id, customer_phone, brand_phone, status, campaign_id, campaign_name, message_count, last_message_at, last_inbound_at,
            last_outbound_at, opted_out_at, opt_out_reason, created_at
       from conversations where (?::uuid is null or donor_id = ?::uuid)
      order by last_message_at desc nulls last, id limit ? offset ?`,
    [filter.donor_id ?? null, filter.donor_id ?? null, filter.limit, filter.offset]);
}

/** A page of one conversation's messages, oldest first; 404 when the client has no such conversation. */
export async function listMessages(em: EntityManager, conversationId: string, window: { limit: number; offset: number }): Promise<z.input<typeof Message>[]> {
  const [conversation] = await em.execute('select 1 from conversations where id = ?', [conversationId]);
  if (!conversation) throw notFound('conversation');
  return em.execute<z.input<typeof Message>[]>(
    `select id, direction, content, status, external_id, sent_at, delivered_at from messages
      where conversation_id = ? order by sent_at, created_at, id limit ? offset ?`,
    [conversationId, window.limit, window.offset]);
}
