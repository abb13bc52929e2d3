import { z } from 'zod';
import { RFM_SEGMENTS } from '../../domain/rfm';
import { isValidTimeZone } from '../../domain/schedule';
import { DonorParams, jsonObject, page, pagination, text, timestamp, uuid } from './common';
import { pastInstant } from './dates';

export const DONOR_STAGES = ['lead', 'marketing', 'trial', 'active', 'churned', 'dormant'] as const;
export const DONOR_SOURCES = ['website', 'sms_campaign', 'email_campaign', 'referral', 'organic', 'paid_ads', 'social', 'other', 'import'] as const;
export const PREFERENCE_CATEGORIES = ['marketing', 'transactional', 'events', 'newsletter', 'all'] as const;

const name = text().trim().min(1).max(100);

export const DonorCreate = z.strictObject({
  email: z.email().max(255).nullish(),
  phone: z.string().regex(/^\+?[0-9][0-9 ().-]{3,18}$/, 'must be a phone number of up to 20 characters').nullish(),
  first_name: name.nullish(),
  last_name: name.nullish(),
  timezone: text().max(64).refine(isValidTimeZone, 'must be an IANA time zone such as Europe/London').nullish(),
  stage: z.enum(DONOR_STAGES).default('lead'),
  source: z.enum(DONOR_SOURCES).default('website'),
  tags: z.array(text().trim().min(1).max(50)).max(50).default([]),
  metadata: jsonObject.default({}),
}).refine((donor) => donor.email || donor.phone, { path: ['email'], message: 'a donor needs an email or a phone number' });

export type DonorInput = z.infer<typeof DonorCreate>;

/** A correction: only the fields named change; null clears a nullable one. */
export const DonorUpdate = z.strictObject({
  email: z.email().max(255).nullable().optional(),
  phone: z.string().regex(/^\+?[0-9][0-9 ().-]{3,18}$/, 'must be a phone number of up to 20 characters').nullable().optional(),
  first_name: name.nullable().optional(),
  last_name: name.nullable().optional(),
  timezone: text().max(64).refine(isValidTimeZone, 'must be an IANA time zone such as Europe/London').nullable().optional(),
  stage: z.enum(DONOR_STAGES).optional(),
  source: z.enum(DONOR_SOURCES).optional(),
  tags: z.array(text().trim().min(1).max(50)).max(50).optional(),
  metadata: jsonObject.optional(),
  version: z.number().int().min(1).max(2_147_483_647).optional()
    .describe('The version this correction is based on, when the If-Match header is not sent; a stale one answers 412'),
});
export type DonorUpdateInput = z.infer<typeof DonorUpdate>;

export const Donor = z.object({
  id: uuid,
  client_id: uuid,
  email: z.string().nullable(),
  phone: z.string().nullable(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  timezone: z.string().nullable(),
  stage: z.enum(DONOR_STAGES),
  source: z.enum(DONOR_SOURCES),
  rfm_segment: z.enum(RFM_SEGMENTS).nullable(),
  rfm_recency_score: z.number().int().nullable(),
  rfm_frequency_score: z.number().int().nullable(),
  rfm_monetary_score: z.number().int().nullable(),
  rfm_last_calculated: timestamp.nullable(),
  email_suppressed_at: timestamp.nullable(),
  email_suppression_reason: z.string().nullable(),
  tags: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
  is_active: z.boolean(),
  version: z.number().int().describe('Increments on every change; the ETag carries it'),
  erased_at: timestamp.nullable().describe('Set when the donor\'s personal data was erased on request'),
  created_at: timestamp,
  updated_at: timestamp,
});

/** One donor's data, for a subject access request (GDPR Art. 15): everything the product holds about them. */
export const DonorExport = z.object({
  exported_at: timestamp,
  donor: Donor,
  notification_preferences: z.array(z.record(z.string(), z.unknown())),
  donations: z.array(z.record(z.string(), z.unknown())).describe('Amounts in major units of their currency'),
  payments: z.array(z.record(z.string(), z.unknown())),
  email_sends: z.array(z.record(z.string(), z.unknown())),
  campaign_deliveries: z.array(z.record(z.string(), z.unknown())),
  conversations: z.array(z.record(z.string(), z.unknown())).describe('SMS threads, each with its messages'),
  event_tickets: z.array(z.record(z.string(), z.unknown())),
}).meta({ id: 'DonorExport' });

export const DonorQuery = z.strictObject({
  segment: z.enum(RFM_SEGMENTS).optional().describe('RFM segment'),
  stage: z.enum(DONOR_STAGES).optional().describe('Lifecycle stage'),
  search: text().trim().min(1).max(100).optional().describe('Part of the name or email, case-insensitive'),
  ...pagination,
});

export const DonorPage = page(Donor);

export const ImportRowError = z.object({
  row: z.number().int().describe('0-based index of the row in the JSON array or among the CSV data rows'),
  line: z.number().int().optional().describe('CSV line number (the header is line 1)'),
  errors: z.array(z.object({ field: z.string(), message: z.string() })),
});

export const ImportResult = z.object({
  received: z.number().int(),
  imported: z.number().int(),
  failed: z.number().int(),
  errors: z.array(ImportRowError),
});

export const MAX_IMPORT_ROWS = 10_000;

export const ImportBody = z.union([
  z.array(z.record(z.string(), z.unknown())).min(1).max(MAX_IMPORT_ROWS).describe('application/json: an array of donors, as for creating one'),
  z.string().min(1).describe('text/csv: a header row naming donor fields (email, phone, first_name, last_name, timezone, stage, source, tags; tags separated by ";"), then one donor a line. Delimiter `,`, `;` or tab, as the header row uses; charset from a byte-order mark, else the Content-Type charset parameter, else UTF-8'),
]);

export const RfmRecalculation = z.strictObject({
  as_of: pastInstant.optional().describe('Score as of this time (ISO 8601 with offset, not in the future); now when omitted'),
  donor_id: uuid.optional().describe('Only this donor; all the client\'s donors when omitted'),
}).optional();

export const RfmResult = z.object({
  donors_scored: z.number().int().describe('Donors whose scores or segment changed (only those rows are rewritten)'),
  as_of: timestamp,
});

export const PreferenceCategoryParams = DonorParams.extend({ category: z.enum(PREFERENCE_CATEGORIES) });

export const NotificationPreference = z.object({
  category: z.enum(PREFERENCE_CATEGORIES),
  email_enabled: z.boolean(),
  sms_enabled: z.boolean(),
  push_enabled: z.boolean(),
  unsubscribed_at: timestamp.nullable(),
  updated_at: timestamp.nullable().describe('null when the donor has never set this category (the defaults apply)'),
});

export const NotificationPreferenceUpdate = z.strictObject({
  email_enabled: z.boolean().optional(),
  sms_enabled: z.boolean().optional(),
  push_enabled: z.boolean().optional(),
  unsubscribed: z.boolean().optional().describe('true unsubscribes the donor from the category (keeping the first time), false resubscribes'),
}).refine((update) => Object.keys(update).length > 0, { message: 'name at least one setting to change' });
