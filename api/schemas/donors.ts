import { z } from 'zod';
import type { RfmSegment } from '../../domain/rfm';
import { isValidTimeZone } from '../../domain/campaigns/schedule';
import { DONOR_SOURCE_MEANINGS, DONOR_STAGE_MEANINGS } from '../../domain/journeys';
import { DonorParams, choice, jsonObject, page, pagination, text, timestamp, uuid } from './common';
import { pastInstant } from './dates';

/** Seed 000's segments (domain/rfm.ts assigns them from the R, F and M scores, most specific first). */
export const RFM_SEGMENT_MEANINGS = {
  Champions: 'recent, frequent, high-value donors (R, F and M 4-5): the best donors',
  Loyal: 'consistent donors (R, F and M 3-5)',
  'Potential Loyalists': 'recent donors showing promise (R 4-5, F and M 1-3)',
  'New Donors': 'first-time donors (R 4-5, F 1, M 1-2)',
  Promising: 'moderate frequency and value (R 3-4, F and M 2-3)',
  'Need Attention': 'declining engagement (R 2-3, F and M 2-4)',
  'At Risk': 'have not given recently (R 1-2, F and M 1-3): lapsed',
} as const satisfies Record<RfmSegment, string>;

/** An RFM segment, documented value by value; `summary` says what it is for where it is used. */
export const rfmSegment = (summary: string) => choice(RFM_SEGMENT_MEANINGS, summary);

const PREFERENCE_CATEGORY_MEANINGS = {
  marketing: 'campaign email (every Track15 touchpoint); an unsubscribe here stops campaign mail only',
  transactional: 'receipts and other mail about the donor\'s own gifts',
  events: 'event invitations and tickets',
  newsletter: 'the client\'s newsletter',
  all: 'every category at once: an unsubscribe here stops all mail',
} as const;
export const PREFERENCE_CATEGORIES = Object.keys(PREFERENCE_CATEGORY_MEANINGS) as (keyof typeof PREFERENCE_CATEGORY_MEANINGS)[];
const preferenceCategory = (summary: string) => choice(PREFERENCE_CATEGORY_MEANINGS, summary);

/** Seed 001's lifecycle stages mapped onto fundraising (domain/journeys.ts); kept by the product, read-only in the API. */
export const donorStage = (summary: string) => choice(DONOR_STAGE_MEANINGS, summary);
export const donorSource = (summary: string) => choice(DONOR_SOURCE_MEANINGS, summary);

const name = text().trim().min(1).max(100);

export const DonorCreate = z.strictObject({
  email: z.email().max(255).nullish(),
  phone: z.string().regex(/^\+?[0-9][0-9 ().-]{3,18}$/, 'must be a phone number of up to 20 characters').nullish(),
  first_name: name.nullish(),
  last_name: name.nullish(),
  timezone: text().max(64).refine(isValidTimeZone, 'must be an IANA time zone such as Europe/London').nullish(),
  source: donorSource('Where the donor came from (website when omitted)').default('website'),
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
  source: donorSource('Where the donor came from').optional(),
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
  stage: donorStage('Lifecycle stage, moved by the donor\'s gifts and the lapse sweep (GET …/donors/<id>/journey has the history)'),
  source: donorSource('Where the donor came from'),
  rfm_segment: rfmSegment('RFM segment from the last scoring; null for a donor without succeeded gifts').nullable(),
  rfm_recency_score: z.number().int().nullable().describe('1-5: how recently the donor last gave (5: within 30 days)'),
  rfm_frequency_score: z.number().int().nullable().describe('1-5: how many gifts (5: ten or more)'),
  rfm_monetary_score: z.number().int().nullable().describe('1-5: how much in total (5: 1,000 or more in the reporting currency)'),
  rfm_last_calculated: timestamp.nullable()
    .describe('When the donor was last scored (nightly, by POST …/rfm/recalculate, or after a gift), whether or not the scores changed; null: never scored'),
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
  journey_transitions: z.array(z.record(z.string(), z.unknown())).describe('The donor\'s lifecycle stage moves (GET …/donors/<id>/journey)'),
}).meta({ id: 'DonorExport' });

export const DonorQuery = z.strictObject({
  segment: rfmSegment('Only donors in this RFM segment').optional(),
  stage: donorStage('Only donors at this lifecycle stage').optional(),
  search: text().trim().min(1).max(100).optional().describe('Part of the name or email, case-insensitive (trigram index)'),
  q: text().trim().min(1).max(200).optional()
    .describe('Full-text search over names and email (seed 001\'s index; web-search syntax: words, "phrases", -exclusions, or): best matches first'),
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
  z.string().min(1).describe('text/csv: a header row naming donor fields (email, phone, first_name, last_name, timezone, source, tags; tags separated by ";"), then one donor a line. Delimiter `,`, `;` or tab, as the header row uses; charset from a byte-order mark, else the Content-Type charset parameter, else UTF-8'),
]);

/** Every field optional: the body may be left out (plugins/empty-body.ts). */
export const RfmRecalculation = z.strictObject({
  as_of: pastInstant.optional().describe('Score as of this time (ISO 8601 with offset, not in the future); now when omitted'),
  donor_id: uuid.optional().describe('Only this donor; all the client\'s donors when omitted'),
});

export const RfmResult = z.object({
  donors_scored: z.number().int()
    .describe('Donors this run scored: every donor of the client, or the one named (a donor without succeeded gifts up to as_of is scored as having none). Each one\'s rfm_last_calculated is now this run'),
  donors_changed: z.number().int().describe('Of those, donors whose recency, frequency or monetary score or segment differs from before'),
  as_of: timestamp,
});

export const PreferenceCategoryParams = DonorParams.extend({ category: preferenceCategory('The category to change') });

export const NotificationPreference = z.object({
  category: preferenceCategory('What kind of mail this is about'),
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
