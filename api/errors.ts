import { WorkflowNotFoundError } from '@temporalio/client';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ActivationRefusedError, CampaignNotFoundError } from '../activities/activation';
import { TokenSpaceExhaustedError } from '../domain/activation-token';
import { TemplateError } from '../domain/message-template';
import { CampaignCommandRefusedError } from '../workflows/lifecycle';
import { type FieldError, Problem, conflict, invalid, notFound } from './problem';

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
  return fastifyProblem(e) ?? databaseProblem(e) ?? clientErrorProblem(e) ?? new Problem(500, 'Internal Server Error', 'the request failed; the error has been logged');
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
 * Constraint violations that slipped past validation (a race between two requests, a rule only the
 * database knows), named by field or constraint, never with the values involved.
 */
function databaseProblem(error: ErrorLike): Problem | undefined {
  switch (error.code) {
    case '23505': {
      const field = uniqueField(error.constraint, error.table);
      return conflict(`${field}: already exists`, { errors: [{ field: `body.${field}`, message: 'already exists' }] });
    }
    case '23514':
      return invalid([{ field: 'body', message: `violates the data model's rule ${error.constraint ?? ''}`.trim() }]);
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
