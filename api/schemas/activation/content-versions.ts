import { z } from 'zod';
import { ClientParams, choice, jsonObject, page, pagination, text, timestamp, uuid } from '../common';
import { currencyCode } from '../money';

/**
 * Seed 003's content versions through the API (issue 16 item 1): each page type has its own content
 * shape, validated to every leaf, so the public pages can render any stored version without guessing.
 */

/** Seed 003's page types, in the order a client meets them. */
const PAGE_TYPE_MEANINGS = {
  activation: 'the page the activation token opens: what the service is and what it costs',
  agreement: 'the agreement the client accepts before paying',
  confirmation: 'shown once the payment succeeded',
  processing: 'shown while the payment is being confirmed',
} as const;
export const PAGE_TYPES = Object.keys(PAGE_TYPE_MEANINGS) as [keyof typeof PAGE_TYPE_MEANINGS, ...(keyof typeof PAGE_TYPE_MEANINGS)[]];
export type PageType = (typeof PAGE_TYPES)[number];
const pageType = () => choice(PAGE_TYPE_MEANINGS, 'Which activation page the version is content for');
/** Seed 003's verdict on a version's hypothesis. */
const OUTCOME_MEANINGS = {
  success: 'the version did what its hypothesis expected',
  failure: 'it did not',
  pending: 'not decided yet',
} as const;
export const OUTCOMES = Object.keys(OUTCOME_MEANINGS) as [keyof typeof OUTCOME_MEANINGS, ...(keyof typeof OUTCOME_MEANINGS)[]];
const outcome = (summary: string) => choice(OUTCOME_MEANINGS, summary);
const METRIC_MEANINGS = {
  payments: 'succeeded activation payments per view',
  acceptances: 'agreement acceptances per view',
} as const;

const line = (max: number) => text().trim().min(1).max(max);
const prose = (max: number) => text({ multiline: true }).trim().min(1).max(max);

/** A block of a page's body, rendered in order: a heading, a paragraph, or a bulleted list. */
const Block = z.strictObject({
  type: z.enum(['heading', 'paragraph', 'list']).describe('heading and paragraph carry `text`; list carries `items`'),
  text: prose(5_000).optional(),
  items: z.array(line(500)).min(1).max(20).optional(),
}).superRefine((block, ctx) => {
  const wants = block.type === 'list' ? 'items' : 'text';
  const other = wants === 'items' ? 'text' : 'items';
  if (block[wants] === undefined) ctx.addIssue({ code: 'custom', path: [wants], message: `is required for a ${block.type} block` });
  if (block[other] !== undefined) ctx.addIssue({ code: 'custom', path: [other], message: `is not allowed in a ${block.type} block` });
});
const body = z.array(Block).min(1).max(50);

const CallToAction = z.strictObject({ label: line(80).describe('The button text') });

/** The price the page states, in minor units (50000 = $500.00); what is charged is the client's activation price. */
const PriceShown = z.strictObject({
  amount: z.number().int().min(1).max(100_000_000).describe('Minor units of `currency` (cents for usd)'),
  currency: currencyCode,
});

export const CONTENT_SCHEMAS = {
  activation: z.strictObject({
    headline: line(200),
    subheadline: line(300).optional(),
    body,
    call_to_action: CallToAction,
    price_shown: PriceShown,
  }).describe('The page a client opens from its activation link'),
  agreement: z.strictObject({
    headline: line(200),
    body: body.optional(),
    agreement_text: prose(50_000).describe('The agreement the client accepts, shown in full'),
    accept_label: line(80).describe('The label of the acceptance control'),
    price_shown: PriceShown,
  }).describe('The agreement page; acceptance records this version'),
  confirmation: z.strictObject({
    headline: line(200),
    body,
    call_to_action: CallToAction.optional(),
  }).describe('Shown after a successful payment'),
  processing: z.strictObject({
    headline: line(200),
    body,
  }).describe('Shown while the payment is being confirmed'),
} satisfies Record<PageType, z.ZodType>;

const learning = {
  hypothesis: prose(5_000).optional().describe('What this version is expected to do'),
  iteration_notes: prose(5_000).optional().describe('Why this version differs from the last'),
  metadata: jsonObject.optional(),
  make_current: z.boolean().default(false).describe('true: this version becomes the current one at once'),
};

/** The create body of one page type's versions. */
export function contentVersionCreate(pageType: PageType) {
  return z.strictObject({ content: CONTENT_SCHEMAS[pageType], ...learning });
}

export const ContentVersion = z.object({
  id: uuid,
  client_id: uuid,
  page_type: pageType(),
  version_number: z.number().int().describe('1, 2, 3… per client and page type, without gaps'),
  content: z.record(z.string(), z.unknown()).describe('As validated for its page type'),
  hypothesis: z.string().nullable(),
  iteration_notes: z.string().nullable(),
  outcome: outcome('Whether the version worked; null until set').nullable(),
  outcome_note: z.string().nullable(),
  outcome_set_at: timestamp.nullable(),
  outcome_set_by: z.string().nullable().describe('Id of the API key that set the outcome'),
  is_current: z.boolean().describe('Exactly one version per client and page type is current once one was made so'),
  created_by: z.string().nullable().describe('Id of the API key that created the version'),
  created_at: timestamp,
  metadata: z.record(z.string(), z.unknown()),
}).meta({ id: 'ContentVersion' });
export const ContentVersionPage = page(ContentVersion);

export const PageTypeParams = ClientParams.extend({ pageType: pageType() });
export const VersionParams = ClientParams.extend({ versionId: uuid.describe('A content version') });

export const ContentVersionQuery = z.strictObject({
  current: z.enum(['true', 'false']).optional().transform((value) => (value === undefined ? undefined : value === 'true'))
    .describe('true: only the current version; false: only the others'),
  outcome: outcome('Only versions with this outcome').optional(),
  ...pagination,
});

export const OutcomeSet = z.strictObject({
  outcome: outcome('The verdict on the version'),
  note: prose(5_000).optional().describe('Why the outcome was judged so'),
});

const Rate = z.object({
  rate: z.number().describe('Share of the views, 0-1'),
  ci95: z.tuple([z.number(), z.number()]).describe('95% Wilson score interval'),
});

export const VersionStats = z.object({
  version_id: uuid,
  page_type: pageType(),
  version_number: z.number().int(),
  is_current: z.boolean(),
  outcome: outcome('Whether the version worked; null until set').nullable(),
  views: z.number().int().describe('Distinct visitors per day who saw the version'),
  acceptances: z.number().int().describe('Agreement acceptances of this version, or after being shown this activation version'),
  payments: z.number().int().describe('Succeeded payments started from those acceptances'),
  acceptance_rate: Rate,
  conversion: Rate.describe('Payments per view'),
}).meta({ id: 'ContentVersionStats' });

export const VersionStatsList = page(VersionStats);

export const CompareParams = VersionParams.extend({ otherVersionId: uuid.describe('The baseline version, of the same page type') });
export const CompareQuery = z.strictObject({
  metric: choice(METRIC_MEANINGS, 'What counts as a conversion (payments when omitted)').default('payments'),
});

export const VersionComparison = z.object({
  metric: choice(METRIC_MEANINGS, 'What counted as a conversion'),
  candidate: VersionStats,
  baseline: VersionStats,
  difference: z.number().describe('Candidate rate − baseline rate'),
  ci95: z.tuple([z.number(), z.number()]).describe('95% Wald interval of the difference'),
  lift_percent: z.number().nullable().describe('Difference relative to the baseline rate, in percent; null when the baseline never converted'),
  p_value: z.number().nullable().describe('Two-sided two-proportion z-test; null when undefined (no views, or nobody or everybody converted)'),
  suggested_outcome: outcome('success or failure when p < 0.05, else pending; set it with PUT …/outcome'),
}).meta({ id: 'ContentVersionComparison' });
