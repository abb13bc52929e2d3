import { z } from 'zod';
import { ClientParams, choice, decimal, page, timestamp, uuid } from '../common';

/**
 * Where a client's budget alerts go and what became of each (issue 15 item 7): settings (an address for
 * the transactional email, a webhook URL and the secret its deliveries are signed with), and every fired
 * alert with each channel's state and delivery attempts.
 */

const webhookUrl = z.url({ protocol: /^https?$/ }).max(2048)
  .describe('Where each alert is POSTed as JSON, signed in the Track15-Signature header (see the README, Budget alerts): https, no user or password, not at a private, loopback, link-local or reserved address (domain/outbound-url.ts)');

export const BudgetAlertSettingsPut = z.strictObject({
  email: z.email().max(320).nullable().describe('Receives each alert as a transactional email; null: no email'),
  webhook_url: webhookUrl.nullable().describe('Receives each alert as a signed webhook; null: no webhook'),
});
export type BudgetAlertSettingsInput = z.output<typeof BudgetAlertSettingsPut>;

export const BudgetAlertSettings = z.object({
  email: z.string().nullable(),
  webhook_url: z.string().nullable(),
  signing_secret: z.string().describe('HMAC-SHA256 key of the Track15-Signature header (the whole string); roll it with POST …/roll-secret'),
  updated_by: z.string().nullable(),
  updated_at: timestamp,
}).meta({ id: 'BudgetAlertSettings' });

const channelStatus = () => choice({
  pending: 'being delivered (retried with backoff)',
  delivered: 'delivered: the email accepted by SendGrid, or the webhook answered 2xx',
  gave_up: 'every attempt for a day failed',
  not_configured: 'the client had no address or URL for this channel when the alert was handed over',
}, 'Where the channel\'s delivery stands');

const Attempt = z.object({
  attempt: z.number().int().describe('Temporal\'s attempt number, from 1'),
  target: z.string().describe('The address or URL tried'),
  started_at: timestamp,
  finished_at: timestamp.nullable(),
  outcome: choice({ delivered: 'accepted', failed: 'refused, failed or timed out (10 s)' }, 'How the attempt ended; null while under way or when its worker died mid-call')
    .nullable(),
  http_status: z.number().int().nullable(),
  error: z.string().nullable(),
});

const Channel = z.object({ status: channelStatus(), attempts: z.array(Attempt) });

export const BudgetAlert = z.object({
  id: uuid.describe('Also the webhook\'s `id` and Track15-Event-Id'),
  budget_id: uuid,
  period_key: z.string().describe('The budget period it fired in (`LIFETIME`, `DAILY:2026-11-30`…): each threshold fires once per period'),
  threshold_percent: decimal,
  percentage_spent: decimal.nullable().describe('The period\'s percentage spent when it fired'),
  amount_spent: decimal.nullable().describe('The period\'s spend when it fired, major units of the budget\'s currency'),
  fired_at: timestamp,
  handed_at: timestamp.nullable().describe('When its delivery workflow started'),
  email: Channel,
  webhook: Channel,
}).meta({ id: 'BudgetAlert' });

export const BudgetAlertPage = page(BudgetAlert);
export const BudgetAlertsParams = ClientParams.extend({ budgetId: uuid });
export const BudgetAlertParams = ClientParams.extend({ alertId: uuid });
