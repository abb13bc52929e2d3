import { WorkflowNotFoundError, WorkflowUpdateRPCTimeoutOrCancelledError, isGrpcServiceError } from '@temporalio/client';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ActivationRefusedError, CampaignNotFoundError } from '../activities/campaigns/activation';
import { TokenSpaceExhaustedError } from '../domain/activation-token';
import { TemplateError } from '../domain/delivery/message-template';
import { CampaignCommandRefusedError } from '../workflows/campaigns/lifecycle';
import { type FieldError, Problem, conflict, invalid, notFound, unavailable } from './problem';

/** Fastify names the part of the request it validated `querystring`; a client thinks of it as the query. */
const CONTEXT_NAMES: Record<string, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'header' };

interface ErrorLike {
  code?: string;
  statusCode?: number;
  message?: string;
  constraint?: string;
  table?: string;
  column?: string;
  validation?: { instancePath: string; message?: string }[];
  validationContext?: string;
}

/** Every error a request can end in, as a problem. Anything unrecognised is a 500 that says nothing of the internals. */
export function toProblem(error: unknown): Problem {
  if (error instanceof Problem) return error;
  if (hasZodFastifySchemaValidationErrors(error)) return validationProblem(error as ErrorLike);
  if (error instanceof TemplateError) return invalid([{ field: `body.${error.field}`, message: error.message.slice(error.field.length + 2) }]);
  if (error instanceof ActivationRefusedError) {
    return new Problem(409, 'Activation refused', error.message, { reasons: error.reasons }, 'urn:track15:problem:activation-refused');
  }
  if (error instanceof CampaignCommandRefusedError) {
    return new Problem(409, 'Command refused', error.message, { reasons: [error.message] }, 'urn:track15:problem:command-refused');
  }
  if (error instanceof CampaignNotFoundError) return notFound('campaign');
  if (error instanceof WorkflowNotFoundError) {
    return conflict('the campaign\'s workflow is not running', { reasons: ['the workflow has ended or was never started'] });
  }
  if (error instanceof TokenSpaceExhaustedError) return new Problem(503, 'Service Unavailable', error.message);
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  return outageProblem(error) ?? fastifyProblem(e) ?? databaseProblem(e) ?? clientErrorProblem(e) ?? new Problem(500, 'Internal Server Error', 'the request failed; the error has been logged');
}

/** How long a client should wait before trying again after an outage answer. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

/**
 * Node's socket errors and PostgreSQL's SQLSTATEs that mean "the database is unreachable, going down or
 * starting" (PostgreSQL Appendix A: class 08 connection exception; 57P01 admin_shutdown, 57P02
 * crash_shutdown, 57P03 cannot_connect_now; 53300 too_many_connections).
 */
const DATABASE_UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND',
  '57P01', '57P02', '57P03', '53300',
]);
/** What node-postgres and knex say, without a code, when the connection dropped or never came. */
const DATABASE_UNAVAILABLE_MESSAGE = /Connection terminated|connection error and is not queryable|Timeout acquiring a connection|the database system is (starting up|shutting down|in recovery mode)/i;
/** gRPC statuses of a Temporal frontend that is down or did not answer within the call's deadline: UNAVAILABLE, DEADLINE_EXCEEDED. */
const TEMPORAL_UNAVAILABLE_STATUSES = new Set<number>([14, 4]);

/**
 * An outage of PostgreSQL or of the Temporal frontend, found anywhere along the error's `cause` chain
 * (MikroORM, knex and the Temporal client wrap what the driver threw): 503 with Retry-After, never 500.
 */
function outageProblem(error: unknown): Problem | undefined {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if ((typeof code === 'string' && (DATABASE_UNAVAILABLE_CODES.has(code) || code.startsWith('08')))
      || (typeof message === 'string' && DATABASE_UNAVAILABLE_MESSAGE.test(message))) {
      return unavailable('the database is unreachable or starting; try again shortly', OUTAGE_RETRY_AFTER_SECONDS);
    }
    if ((isGrpcServiceError(e) && TEMPORAL_UNAVAILABLE_STATUSES.has(e.code)) || e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      return unavailable('the workflow service did not answer in time; try again shortly', OUTAGE_RETRY_AFTER_SECONDS);
    }
  }
  return undefined;
}

function validationProblem(error: ErrorLike): Problem {
  const context = CONTEXT_NAMES[error.validationContext ?? ''] ?? error.validationContext ?? 'request';
  const errors: FieldError[] = (error.validation ?? []).map((issue) => ({
    field: [context, ...issue.instancePath.split('/').filter(Boolean)].join('.'),
    message: issue.message ?? 'is invalid',
  }));
  return invalid(errors);
}

function fastifyProblem(error: ErrorLike): Problem | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new Problem(415, 'Unsupported Media Type', 'header.content-type: this operation does not accept that content type',
        { errors: [{ field: 'header.content-type', message: 'unsupported content type' }] });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new Problem(413, 'Content Too Large', 'body: the request body is larger than this operation accepts',
        { errors: [{ field: 'body', message: 'too large' }] });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return invalid([{ field: 'body', message: 'is not valid JSON' }]);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return invalid([{ field: 'body', message: 'is empty, but the content type says JSON' }]);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return invalid([{ field: 'header.content-length', message: 'does not match the body' }]);
    default:
      return undefined;
  }
}

/** Unique indexes on expressions, whose names do not follow PostgreSQL's `<table>_<column>_key`. */
const UNIQUE_INDEX_FIELDS: Record<string, string> = {
  donors_client_email_unique: 'email',
  donors_client_phone_unique: 'phone',
  clients_sms_from_number_unique: 'sms_from_number',
};

/**
 * The field a unique violation is about. PostgreSQL leaves the key out of the error's detail for tables
 * under row-level security, so it is read from the constraint's name.
 */
function uniqueField(constraint: string | undefined, table: string | undefined): string {
  if (!constraint) return 'a unique field';
  if (UNIQUE_INDEX_FIELDS[constraint]) return UNIQUE_INDEX_FIELDS[constraint];
  const prefix = `${table}_`;
  return table && constraint.startsWith(prefix) && constraint.endsWith('_key') ? constraint.slice(prefix.length, -'_key'.length) : constraint;
}

/**
 * Seed 004's CHECK constraints by the field they guard. The schemas refuse such values first; this names
 * the field should a value reach the database anyway (a rule the schema does not know yet).
 */
const CHECK_FIELDS: Record<string, string> = {
  chk_brand_guidelines_detail_level: 'detail_level',
  chk_budgets_amount: 'amount',
  chk_budgets_delivery_method: 'delivery_method',
  chk_budgets_period: 'period',
  chk_budgets_status: 'status',
  chk_budgets_type: 'type',
  chk_budgets_amount_spent: 'amount_spent',
  chk_budgets_cost_per_message: 'cost_per_message',
  chk_containers_status: 'status',
  chk_usage_type: 'usage_type',
  chk_usage_type_references: 'usage_type',
  chk_donors_reachable: 'email',
};

/**
 * Constraint violations that slipped past validation (a race between two requests, a rule only the
 * database knows), named by field or constraint, never with the values involved.
 */
function databaseProblem(error: ErrorLike): Problem | undefined {
  switch (error.code) {
    case '23505': {
      const field = uniqueField(error.constraint, error.table);
      return conflict(`${field}: already exists`, { errors: [{ field: `body.${field}`, message: 'already exists' }] });
    }
    case '23514': {
      const field = error.constraint && CHECK_FIELDS[error.constraint] ? `body.${CHECK_FIELDS[error.constraint]}` : 'body';
      return invalid([{ field, message: `violates the data model's rule ${error.constraint ?? ''}`.trim() }]);
    }
    case '23503':
      return conflict(`a referenced resource does not exist or is still referenced (${error.constraint ?? 'foreign key'})`);
    case '22001':
    case '22003':
    case '22007':
    case '22008':
    case '22P02':
      return invalid([{ field: error.column ? `body.${error.column}` : 'body', message: 'has a value the database cannot store' }]);
    default:
      return undefined;
  }
}

/** Fastify's and its plugins' own 4xx errors keep their status and message. */
function clientErrorProblem(error: ErrorLike): Problem | undefined {
  const status = error.statusCode;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  return new Problem(status, statusTitle(status), error.message ?? 'the request was refused');
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable',
  409: 'Conflict', 413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 429: 'Too Many Requests',
};

export function statusTitle(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}
