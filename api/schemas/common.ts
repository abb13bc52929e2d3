import { z } from 'zod';
import { type TextRule, jsonTextFaults, textFault } from '../../domain/text';

/** RFC 9457 problem details, as every error response carries them. */
export const ProblemSchema = z.looseObject({
  type: z.string().describe('URI naming the kind of problem; about:blank when the status says it all'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().describe('What went wrong, naming the offending field'),
  instance: z.string().describe('The request path'),
  request_id: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional()
    .describe('One entry per offending field: body.<path>, query.<name>, params.<name> or header.<name>'),
  reasons: z.array(z.string()).optional().describe('Why the workflow refused (409 from activate, pause, resume, stop)'),
}).meta({ id: 'Problem' });

const ERROR_MEANINGS: Record<number, string> = {
  400: 'Invalid body, query or path parameter; `errors` names each field',
  401: 'Missing, unknown or revoked API key',
  403: 'The API key may not perform this operation',
  404: 'No such resource for this client',
  409: 'Conflicts with the current state; `reasons` says why',
  412: 'If-Match (or body.version) names a version that is no longer current; `current_version` and the ETag header give the current one',
  413: 'Body too large',
  415: 'Unsupported content type',
  428: 'The change needs If-Match (or version in the body)',
  429: 'Rate limit exceeded; see Retry-After',
  500: 'Unexpected failure',
  502: 'A provider (Stripe) failed even after retries; send the same request again',
  503: 'A dependency is unreachable',
};

type ErrorStatus = keyof typeof ERROR_MEANINGS;

/** The error responses of an operation, documented with the problem schema. */
export function problems(...statuses: ErrorStatus[]) {
  return Object.fromEntries(statuses.map((status) => [status, ProblemSchema.describe(ERROR_MEANINGS[status])]));
}

/** Errors every authenticated operation can answer; add 403/404/409/413/415 where they apply. */
export const AUTHENTICATED_ERRORS: ErrorStatus[] = [400, 401, 429, 500];
/** …and those with a JSON body. */
export const BODY_ERRORS: ErrorStatus[] = [...AUTHENTICATED_ERRORS, 413, 415];

export const uuid = z.uuid();

/**
 * The caller's key for one attempt at something that must happen once (a gift, a ticket purchase):
 * 8-200 printable ASCII characters without spaces, as Stripe's Idempotency-Key (a UUID v4 serves).
 * Sending it again answers what the first attempt made; `what` says what that is, for the API reference.
 */
export function idempotencyKey(what: string) {
  return z.string().regex(/^[\x21-\x7e]{8,200}$/, 'must be 8-200 printable ASCII characters without spaces')
    .describe(`Your key for this attempt: sending it again (after a timeout, say) returns the same ${what} instead of creating another`);
}

/**
 * Every string a caller sends goes through this (rule and reasons: domain/text.ts): NUL, the other
 * control characters and unpaired surrogates answer 400 naming the field, before anything reaches the
 * database or a workflow. Single-line by default; `{ multiline: true }` also admits tab, CR and LF.
 */
export function text(rule: TextRule = {}) {
  return z.string().superRefine((value, ctx) => {
    const fault = textFault(value, rule);
    if (fault) ctx.addIssue({ code: 'custom', message: fault });
  });
}

/**
 * Free-form JSON metadata: an object whose keys (single-line) and string values (multi-line), at any
 * depth, obey the text rule; each fault is reported at its own path (body.metadata.<key>…).
 */
export const jsonObject = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  for (const fault of jsonTextFaults(value)) ctx.addIssue({ code: 'custom', path: fault.path, message: fault.message });
});

/**
 * Timestamps leave as ISO 8601 in UTC. Raw queries hand them over as PostgreSQL text
 * (`2026-01-02 03:04:05.678+00`), which Date.parse does not read everywhere, so that form is rewritten first.
 */
export const timestamp = z.preprocess(
  (value) => (typeof value === 'string' ? new Date(value.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')).toISOString()
    : value instanceof Date ? value.toISOString() : value),
  z.string().meta({ format: 'date-time' }),
);

/** PostgreSQL numeric and bigint arrive as text to keep their precision; amounts in this API fit a double. */
export const decimal = z.preprocess((value) => (typeof value === 'string' ? Number(value) : value), z.number());

/** A calendar date, YYYY-MM-DD. */
export const isoDate = z.iso.date();

/** Amounts in major units with at most two decimals, as numeric(12,2) stores them. */
export const amount = z.number().positive().max(9_999_999_999.99)
  .refine((value) => Math.abs(Math.round(value * 100) - value * 100) < 1e-6, 'must have at most two decimals');

/**
 * An enum documented value by value. `{ value: what choosing it does }` gives the zod enum and a
 * description that names every value with its meaning (after `summary`, what the field is), so the
 * OpenAPI document explains each option where it is used. Every enum of the API is made here; the
 * OpenAPI walk (test/api/openapi-document.test.ts) fails on one whose description leaves a value out.
 * Describe the result again only through this helper: `.describe()` would replace the meanings.
 */
export function choice<const M extends Record<string, string>>(meanings: M, summary?: string) {
  const values = Object.keys(meanings) as [keyof M & string, ...(keyof M & string)[]];
  const list = values.map((value) => `\`${value}\`: ${meanings[value]}`).join('; ');
  return z.enum(values).describe(summary ? `${summary}. ${list}` : list);
}

/**
 * The query parameters of every list: spread into the list's query schema (`{ ...pagination, filters }`),
 * or `PageQuery` for a list without filters. The answer is `page(item)` built by `pageOf`.
 */
export const pagination = {
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Items per page, 1-200'),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0).describe('Items to skip: the previous page\'s next_offset'),
};

export const PageQuery = z.strictObject(pagination);
export type PageWindow = z.output<typeof PageQuery>;

/**
 * A page of items in the order the list documents. `next_offset` is the `offset` of the next page, null
 * once a page comes back with fewer than `limit` items (a full last page is followed by an empty one).
 */
export function page<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    next_offset: z.number().int().nullable().describe('Send as offset for the next page; null: this was the last page'),
  });
}

/** The envelope of `page()` around the rows a list read with `limit` and `offset`. */
export function pageOf<T>(items: T[], window: PageWindow): { items: T[]; next_offset: number | null } {
  return { items, next_offset: items.length === window.limit ? window.offset + window.limit : null };
}

/** A list that is one fixed, small set (the fifteen steps, the five preference categories), paged in memory like any other. */
export function pageOfAll<T>(all: T[], window: PageWindow): { items: T[]; next_offset: number | null } {
  return pageOf(all.slice(window.offset, window.offset + window.limit), window);
}

/** For operations without query parameters: a mistyped filter must fail, not be ignored. */
export const NO_QUERY = z.strictObject({});

export const ClientParams = z.strictObject({ clientId: uuid.describe('The client (tenant)') });
export const CampaignParams = ClientParams.extend({ campaignId: uuid });
export const DonorParams = ClientParams.extend({ donorId: uuid });
