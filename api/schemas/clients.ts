import { DEFAULT_LAPSE_AFTER_DAYS } from '../../domain/journeys';
import { z } from 'zod';
import { ClientParams, choice, decimal, jsonObject, text, timestamp, uuid } from './common';
import { currencyCode } from './money';

/**
 * Units of the client's reporting currency one US dollar is worth (e.g. 150 for JPY). RFM monetary tiers are
 * seed 000's dollar amounts ($50/$200/$500/$1,000); a donor's total is divided by this rate before it is
 * placed on them. Required when the reporting currency is not USD; the client supplies it (no rate feed).
 */
const rfmTierRate = z.number().positive().max(1_000_000)
  .describe('Units of the reporting currency per US dollar, to place gifts on the RFM tiers ($50, $200, $500, $1,000); required unless the client reports in USD');

export const ClientCreate = z.strictObject({
  name: text().trim().min(1).max(255),
  metadata: jsonObject.default({}),
  reporting_currency: currencyCode.default('usd')
    .describe('ISO 4217 code of every gift of this client (usd when omitted): gifts in another currency are refused, so revenue and RFM never add currencies'),
  rfm_tier_rate: rfmTierRate.optional(),
}).superRefine((client, ctx) => {
  // An invalid currency is reported on its own field; only a valid non-USD one needs the rate.
  const currency = currencyCode.safeParse(client.reporting_currency);
  if (currency.success && currency.data !== 'usd' && client.rfm_tier_rate === undefined) {
    ctx.addIssue({ code: 'custom', path: ['rfm_tier_rate'],
      message: `a client reporting in ${client.reporting_currency.toUpperCase()} needs rfm_tier_rate: how many ${client.reporting_currency.toUpperCase()} one US dollar is worth, to place its donors on the RFM tiers ($50, $200, $500, $1,000)` });
  }
});

/**
 * A sender identity (domain/delivery/sender.ts), every field nullable: on a client, what its campaigns' mail says;
 * on a campaign, overrides of the client's. Activation needs `from_email` and `postal_address` (CAN-SPAM,
 * 15 U.S.C. 7704(a)(5)(A)(iii)) from one or the other.
 */
export const Sender = z.strictObject({
  from_email: z.email().max(255).nullable().describe('Address campaign mail is From (verified with SendGrid as a sender or domain)'),
  from_name: text().trim().min(1).max(100).nullable().describe('Display name of the From address'),
  reply_to: z.email().max(255).nullable().describe('Reply-To address; replies go to From when null'),
  postal_address: text({ multiline: true }).trim().min(1).max(500).nullable().describe('Physical postal address printed in every message\'s footer (CAN-SPAM); lines separated by \\n'),
});

/**
 * At most `max_messages` marketing emails per donor in any `window_days` days, across all the client's
 * campaigns (checked at send time; a capped touchpoint is skipped with reason frequency_cap). Receipts and
 * other transactional mail are not capped.
 */
export const FrequencyCap = z.strictObject({
  max_messages: z.number().int().min(1).max(1000),
  window_days: z.number().int().min(1).max(365),
});

const timeOfDay = text().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day HH:MM, 00:00-23:59');

/**
 * No campaign email starts between `start` and `end`, wall-clock times in each donor's own zone (the
 * campaign's for donors without one); a time-zone wave due inside them waits for `end`. `start` after `end`
 * runs past midnight (21:00-08:00). Read when each touchpoint is planned, so a change reaches the
 * touchpoints of running campaigns not yet started.
 */
export const QuietHours = z.strictObject({
  start: timeOfDay.describe('Local time quiet hours begin, HH:MM (24-hour)'),
  end: timeOfDay.describe('Local time quiet hours end and held waves go out, HH:MM (24-hour)'),
}).refine((quiet) => quiet.start !== quiet.end, { path: ['end'], message: 'must differ from start' });

/**
 * The client's activation (seed 003, issue 16): the price of its activation payment, in major units of US
 * dollars (seed 003's $500 by default; charged in cents), and when its activation workflow reminds an unpaid
 * client and expires its token, in days after the token was issued (a change reaches the running workflow).
 */
export const ActivationSettings = z.strictObject({
  amount: z.number().min(0.5).max(999_999.99).multipleOf(0.01).describe('The activation payment in US dollars (major units, e.g. 500 or 750.50)'),
  reminder_after_days: z.number().int().min(1).max(365).describe('Days after the token was issued when an unpaid client gets one reminder email (none when it is not before the expiry)'),
  expires_after_days: z.number().int().min(1).max(365).describe('Days after the token was issued when an unpaid client\'s token expires; a payment already started is still honoured'),
});
const ActivationUpdate = ActivationSettings.partial().refine((update) => Object.keys(update).length > 0, 'name at least one activation setting');
/** E.164 (ITU-T E.164, as Twilio takes numbers): +, a country code, at most 15 digits. */
const smsFromNumber = text().regex(/^\+[1-9]\d{1,14}$/, 'must be an E.164 phone number such as +14155550100')
  .describe('The client\'s Twilio number its texts come from and donors reply to (E.164); unique across clients, since inbound texts find their client by it');

export const SenderUpdate = Sender.partial().refine((sender) => Object.keys(sender).length > 0, 'name at least one sender field');

/** domain/journeys.ts: a donor without a gift for this many days is lapsed; twelve months by the LYBUNT / FEP convention. */
const lapseAfterDays = z.number().int().min(1).max(3650)
  .describe(`Days without a succeeded gift after which a donor is lapsed (1-3650; ${DEFAULT_LAPSE_AFTER_DAYS} by default: the twelve months of the LYBUNT/SYBUNT reports and the Fundraising Effectiveness Project's retention rate)`);

export const ClientUpdate = z.strictObject({
  name: ClientCreate.shape.name,
  metadata: jsonObject,
  sender: SenderUpdate,
  frequency_cap: FrequencyCap.nullable().describe('null: no cap'),
  quiet_hours: QuietHours.nullable().describe('null: no quiet hours'),
  sms_from_number: smsFromNumber.nullable().describe('null: the client sends no texts (activation refuses SMS steps)'),
  historical_conversion_rate: z.number().gt(0).lt(1).multipleOf(0.00001).nullable()
    .describe('Share of a campaign audience that usually gives (0-1): the baseline of the pre-activation power estimate'),
  expected_lift_percent: z.number().gt(0).max(99_999).multipleOf(0.01).nullable()
    .describe('Relative lift of test over control the client hopes to show, in percent: the estimate warns when the control group is too small for it'),
  rfm_tier_rate: rfmTierRate,
  lapse_after_days: lapseAfterDays,
  activation: ActivationUpdate,
}).partial().refine((update) => Object.keys(update).length > 0, 'name at least one field to change');

export type ClientUpdateInput = z.infer<typeof ClientUpdate>;

export const Client = z.object({
  id: uuid,
  name: z.string(),
  status: choice({
    pending: 'created; the client has not activated yet (every client starts here)',
    active: 'accepted the agreement on its activation pages; the payment is started',
    paid: 'the activation payment succeeded (final)',
    failed: 'the activation payment failed; the client may accept and pay again',
  }, 'Where the client stands in seed 003\'s activation (set by the activation pages and the payment webhook)'),
  activation_token: z.string().nullable().describe('G and four digits: the code on the client\'s activation page /activate/<token>'),
  activation: ActivationSettings.extend({
    reminded_at: timestamp.nullable().describe('When the reminder email went out'),
    expired_at: timestamp.nullable().describe('When the token expired unpaid (its pages answer 404 since)'),
  }),
  sender: Sender,
  frequency_cap: FrequencyCap.nullable(),
  quiet_hours: z.object({ start: z.string(), end: z.string() }).nullable().describe('Local HH:MM times between which no campaign email starts'),
  sms_from_number: z.string().nullable().describe('The client\'s number its texts come from (E.164); null when it sends none'),
  historical_conversion_rate: decimal.nullable(),
  expected_lift_percent: decimal.nullable(),
  lapse_after_days: lapseAfterDays,
  metadata: z.record(z.string(), z.unknown()),
  reporting_currency: z.string().describe('Lowercase ISO 4217 code that every gift, revenue figure and RFM monetary score of this client is in'),
  rfm_tier_rate: decimal.nullable().describe('Units of the reporting currency per US dollar for the RFM tiers; null for a USD client (rate 1)'),
  created_at: timestamp,
  updated_at: timestamp,
});

export const ApiKeyCreate = z.strictObject({ name: text().trim().min(1).max(255).describe('What the key is for') });

export const ApiKey = z.object({
  id: uuid,
  client_id: uuid.nullable().describe('null for operator keys'),
  role: choice({
    operator: 'acts across clients: creates clients and operator keys, reads every client',
    client: 'acts inside its own client only',
  }, 'What the key may do'),
  name: z.string(),
  key_prefix: z.string().describe('The first characters of the key, to recognise it'),
  created_at: timestamp,
  last_used_at: timestamp.nullable(),
  revoked_at: timestamp.nullable(),
});

export const IssuedApiKey = ApiKey.extend({ key: z.string().describe('The key itself: shown this once, stored only as a hash') });

export const ApiKeyParams = ClientParams.extend({ keyId: uuid });
export const OperatorKeyParams = z.strictObject({ keyId: uuid });
