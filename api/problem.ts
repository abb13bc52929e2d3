/**
 * RFC 9457 problem details: the one shape every error response takes. Routes and services throw a
 * Problem; the error handler (plugins/errors.ts) turns it, and every other error, into the response.
 */
export interface FieldError {
  /** Where the bad value is: `body.email`, `query.limit`, `params.campaignId`, `header.content-type`. */
  field: string;
  message: string;
}

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    /** RFC 9457 extension members, e.g. `errors` or `reasons`. */
    readonly extensions: Record<string, unknown> = {},
    readonly type = 'about:blank',
    /** Response headers the problem calls for, e.g. Retry-After on a 503. */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'Problem';
  }
}

export function invalid(errors: FieldError[]): Problem {
  const fields = [...new Set(errors.map((error) => error.field))];
  const detail = errors.length === 1 ? `${errors[0].field}: ${errors[0].message}` : `invalid ${fields.join(', ')}`;
  return new Problem(400, 'Invalid request', detail, { errors }, 'urn:track15:problem:validation');
}

export function notFound(what: string, field?: string): Problem {
  const message = `${what} not found`;
  return field ? new Problem(404, 'Not Found', `${field}: ${message}`, { errors: [{ field, message }] }) : new Problem(404, 'Not Found', message);
}

export function conflict(detail: string, extensions: Record<string, unknown> = {}): Problem {
  return new Problem(409, 'Conflict', detail, extensions, 'urn:track15:problem:conflict');
}

export function forbidden(detail: string): Problem {
  return new Problem(403, 'Forbidden', detail);
}

/** 413: the body is larger than the operation's limit (in bytes, as Content-Length counts them). */
export function tooLarge(limitBytes: number): Problem {
  const message = `is larger than this operation accepts (${limitBytes} bytes)`;
  return new Problem(413, 'Content Too Large', `body: ${message}`, { errors: [{ field: 'body', message }] });
}

/**
 * A dependency (PostgreSQL, Temporal) cannot answer now: 503 with Retry-After in seconds (RFC 9110
 * §10.2.3), so a client waits and tries again instead of taking the outage for its own mistake.
 */
export function unavailable(detail: string, retryAfterSeconds: number): Problem {
  return new Problem(503, 'Service Unavailable', detail, {}, 'urn:track15:problem:unavailable', { 'retry-after': String(retryAfterSeconds) });
}
