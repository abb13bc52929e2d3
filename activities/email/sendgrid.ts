import { Client } from '@sendgrid/client';
import type { ClientRequest } from '@sendgrid/client/src/request';
import type { ClientResponse } from '@sendgrid/client/src/response';
import type { ResponseError } from '@sendgrid/helpers/classes';
import { MailService } from '@sendgrid/mail';
import { ApplicationFailure } from '@temporalio/activity';
import { sendRequestIdOf } from '../../domain/email/email-events';
import type { MailSendBody } from './mail-request';
import { observeProviderCall, pathTemplate } from '../../domain/telemetry/provider-calls';

export interface SendGrid { mail: MailService; client: Client }

/** The real @sendgrid/mail client, pointed at SendGrid in production and at the project's sink elsewhere. */
export function createSendGrid(apiKey: string, baseUrl: string): SendGrid {
  const client = new ObservedClient(baseUrl);
  client.setApiKey(apiKey);
  client.setDefaultRequest('baseUrl', baseUrl);
  const mail = new MailService();
  mail.setClient(client);
  return { mail, client };
}

/**
 * @sendgrid/client, each request traced and measured (domain/telemetry/provider-calls.ts): every SendGrid
 * call goes through it. The library builds its axios options from a fixed list of fields; this client
 * also passes an AbortSignal through, so a cancelled activity abandons its HTTP call (see sendMail).
 */
class ObservedClient extends Client {
  constructor(private readonly baseUrl: string) {
    super();
  }

  override createRequest(data: ClientRequest & { signal?: AbortSignal }): ClientRequest {
    const request = super.createRequest(data);
    return data.signal ? ({ ...request, signal: data.signal } as ClientRequest) : request;
  }

  override request(data: ClientRequest, cb?: (err: ResponseError, response: [ClientResponse, unknown]) => void): Promise<[ClientResponse, unknown]> {
    const path = data.url;
    const result = observeProviderCall({
      provider: 'sendgrid',
      operation: `${(data.method ?? 'GET').toUpperCase()} ${pathTemplate(path)}`,
      url: `${this.baseUrl}${path.split('?')[0]}`,
      send: (traceHeaders) => super.request({ ...data, headers: { ...data.headers, ...traceHeaders } }),
      statusOf: (outcome) => ('response' in outcome ? outcome.response[0].statusCode : httpStatusOf(outcome.error)),
    });
    // As the library does: with a callback, the callback gets the outcome and the promise only says when.
    if (!cb) return result;
    return result.then((response) => cb(null as unknown as ResponseError, response), (error: ResponseError) => cb(error, null as unknown as [ClientResponse, unknown])) as never;
  }
}

/**
 * POSTs a v3 mail/send body (built by mail-request.ts, which holds it to SendGrid's limits) through the
 * observed client, abandoning the HTTP call when `signal` aborts (then it rejects with axios'
 * CanceledError, which carries no HTTP status: whether SendGrid accepted the mail is unknown).
 */
export function sendMail(sendgrid: SendGrid, signal: AbortSignal, body: MailSendBody): Promise<[ClientResponse, unknown]> {
  return sendgrid.client.request({ method: 'POST', url: '/v3/mail/send', body, signal } as ClientRequest);
}

/**
 * Which recipients of an earlier request SendGrid accepted, found through the Email Activity API by the
 * request's `send_key` custom argument: the way to settle sends whose answer a crash lost. Each address
 * maps to the request's X-Message-Id (the msg_id's part before the first dot), the id every email of
 * a request is stored under and events are matched by.
 */
export async function acceptedRecipients(client: Client, sendKey: string): Promise<Map<string, string>> {
  const [, body] = await client.request({
    method: 'GET',
    url: '/v3/messages',
    qs: { limit: 1000, query: `unique_args['send_key']="${sendKey}"` },
  });
  const messages = (body as { messages?: { to_email: string; msg_id: string }[] }).messages ?? [];
  return new Map(messages.map((m) => [m.to_email.toLowerCase(), sendRequestIdOf(m.msg_id)]));
}

interface SendGridResponseError {
  code?: number | string;
  response?: { headers?: Record<string, string | string[] | undefined>; body?: { errors?: { field?: string | null; message?: string }[] } };
}

/** The HTTP status of a failed call; a network error (its code a string such as ECONNRESET) has none. */
function httpStatusOf(error: unknown): number | undefined {
  const { code } = error as SendGridResponseError;
  return typeof code === 'number' ? code : undefined;
}

/** An error carrying the provider's HTTP status: the request was answered, so it was refused, not lost. */
export function answeredByProvider(error: unknown): boolean {
  return typeof (error as { code?: unknown }).code === 'number';
}

/** A 400 that names one personalization: that recipient's delivery failed, the rest may be resent. */
export interface RejectedRecipient { index: number; reason: string }

const PERSONALIZATION_FIELD = /^personalizations\.(\d+)\./;

export function rejectedRecipient(error: unknown): RejectedRecipient | null {
  const { code, response } = error as SendGridResponseError;
  if (code !== 400) return null;
  for (const problem of response?.body?.errors ?? []) {
    const match = PERSONALIZATION_FIELD.exec(problem.field ?? '');
    if (match) return { index: Number(match[1]), reason: problem.message ?? 'rejected by SendGrid' };
  }
  return null;
}

/**
 * Turns a provider error into the activity failure Temporal should act on: 429 and 5xx (and network
 * errors) are retried, waiting at least as long as Retry-After asks; other 4xx are configuration or
 * payload errors that retrying cannot fix.
 */
export function providerFailure(error: unknown): ApplicationFailure {
  const { code, response } = error as SendGridResponseError;
  const message = `SendGrid answered ${code ?? 'with a network error'}: ${error instanceof Error ? error.message : String(error)}`;
  // A network error (ECONNRESET, ETIMEDOUT…) has no HTTP status: retried like a 5xx.
  const status = httpStatusOf(error);
  if (status === undefined || status === 429 || status >= 500) {
    const retryAfter = Number(headerValue(response?.headers, 'retry-after'));
    return ApplicationFailure.create({
      message,
      type: 'ProviderUnavailable',
      nextRetryDelay: Number.isFinite(retryAfter) && retryAfter > 0 ? `${retryAfter} seconds` : undefined,
    });
  }
  return ApplicationFailure.create({ message, type: 'ProviderRejected', nonRetryable: true });
}

function headerValue(headers: Record<string, string | string[] | undefined> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  const value = entry?.[1];
  return Array.isArray(value) ? value[0] : value;
}
