import { z } from 'zod';
import { choice, page, pagination, timestamp, uuid } from './common';

export const ConversationParams = z.strictObject({
  clientId: uuid.describe('The client (tenant)'),
  conversationId: uuid.describe('The conversation'),
});

export const ConversationQuery = z.strictObject({
  ...pagination,
  donor_id: uuid.optional().describe('Only this donor\'s conversations'),
});

/** Seed 001's SMS thread: one per (client, donor number, client number). */
export const Conversation = z.object({
  id: uuid,
  donor_id: uuid,
  customer_phone: z.string().describe('The donor\'s number (E.164)'),
  brand_phone: z.string().describe('The client\'s number (E.164)'),
  status: choice({
    active: 'texts may be sent',
    paused: 'temporarily stopped',
    completed: 'the campaign finished',
    archived: 'the number opted out (STOP) or the thread is inactive',
  }, 'Seed 001\'s conversation status'),
  campaign_id: uuid.nullable().describe('The campaign that last texted in it'),
  campaign_name: z.string().nullable(),
  message_count: z.number().int(),
  last_message_at: timestamp.nullable(),
  last_inbound_at: timestamp.nullable(),
  last_outbound_at: timestamp.nullable(),
  opted_out_at: timestamp.nullable().describe('When the number texted STOP; null while it may be texted'),
  opt_out_reason: z.string().nullable(),
  created_at: timestamp,
});
export const ConversationPage = page(Conversation);

export const Message = z.object({
  id: uuid,
  direction: choice({ inbound: 'from the donor', outbound: 'to the donor (a campaign text or a keyword\'s confirmation)' }, 'Who sent it'),
  content: z.string(),
  status: choice({
    pending: 'accepted by Twilio, not yet sent', sent: 'sent to the carrier', delivered: 'delivered to the handset',
    failed: 'could not be sent', undelivered: 'the carrier could not deliver it',
  }, 'Seed 001\'s status of an outbound text, moved forward only by Twilio\'s status callbacks').nullable().describe('null for inbound texts'),
  external_id: z.string().nullable().describe('Twilio\'s message SID'),
  sent_at: timestamp,
  delivered_at: timestamp.nullable(),
});
export const MessagePage = page(Message);
export const MessageQuery = z.strictObject(pagination);
