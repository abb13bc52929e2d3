import { ApplicationFailure } from '@temporalio/activity';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import { observeProviderCall, pathTemplate } from '../../domain/telemetry/provider-calls';

/** The `twilio` SDK client and the credentials its webhooks are signed with. */
export interface Twilio { client: twilio.Twilio; accountSid: string; authToken: string }

const TWILIO_API = 'https://api.twilio.com';

/**
 * The real `twilio` SDK, unchanged, pointed at Twilio in production and at the project's sink elsewhere
 * (test/fakes/twilio-sink.ts). The SDK builds every URL on https://api.twilio.com; the supported way to send
 * it elsewhere is its `httpClient` option (twilio-node's maintainers' answer to pointing it at a mock,
 * twilio/twilio-node#326): a RequestClient that moves the origin to `apiBase` and observes each call.
 */
export function createTwilio(accountSid: string, authToken: string, apiBase: string): Twilio {
  const client = twilio(accountSid, authToken, { httpClient: new ObservedRequestClient(apiBase.replace(/\/+$/, '')) });
  return { client, accountSid, authToken };
}

class ObservedRequestClient extends twilio.RequestClient {
  constructor(private readonly apiBase: string) {
    super();
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const uri = opts.uri.startsWith(TWILIO_API) ? this.apiBase + opts.uri.slice(TWILIO_API.length) : opts.uri;
    const url = new URL(uri);
    return observeProviderCall({
      provider: 'twilio',
      operation: `${opts.method.toUpperCase()} ${pathTemplate(url.pathname)}`,
      url: `${url.origin}${url.pathname}`,
      send: (traceHeaders) => super.request<TData>({ ...opts, uri, headers: { ...opts.headers, ...traceHeaders } }),
      statusOf: (outcome) => ('response' in outcome ? outcome.response.statusCode : undefined),
    });
  }
}

/** A message Twilio accepted: its SID and status (`queued` or `accepted`). */
export interface SentText { sid: string; status: string }

/**
 * Sends one text (`POST /2010-04-01/Accounts/{sid}/Messages.json`). `to`/`from` are E.164; `body` at most
 * 1,600 characters (Twilio refuses more with 21617). Throws the SDK's RestException when Twilio answered
 * with an error, any other error when no answer came (then whether it was sent is unknown).
 */
export async function sendText(provider: Twilio, text: { to: string; from: string; body: string; statusCallback?: string }): Promise<SentText> {
  const message = await provider.client.messages.create({
    to: text.to, from: text.from, body: text.body, ...(text.statusCallback ? { statusCallback: text.statusCallback } : {}),
  });
  return { sid: message.sid, status: message.status };
}

/** Clocks differ: a text created this long before the claim's own timestamp may still be the claim's. */
const CLOCK_SKEW_MS = 60_000;

/**
 * Texts Twilio holds from `from` to each number of `to` created since `since` (the claim's time): how a
 * retried batch settles sends whose answer a crash lost. Twilio's Messages list filters by To, From and
 * DateSent. A text found counts as this claim's even if another campaign of the client sent it meanwhile:
 * a doubt is settled as sent, never sent twice. Maps each number found to its newest text's SID and body.
 */
export async function acceptedTexts(provider: Twilio, from: string, to: string[], since: Date): Promise<Map<string, { sid: string; body: string }>> {
  const found = new Map<string, { sid: string; body: string }>();
  const after = new Date(since.getTime() - CLOCK_SKEW_MS);
  for (const number of new Set(to)) {
    const messages = await provider.client.messages.list({ to: number, from, dateSentAfter: after, pageSize: 20, limit: 20 });
    const match = messages.find((message) => message.dateCreated.getTime() >= after.getTime());
    if (match) found.set(number, { sid: match.sid, body: match.body });
  }
  return found;
}

/**
 * Twilio error codes that concern one recipient or one message's text, not the request: that delivery
 * fails and the rest go on (twilio.com/docs/api/errors: invalid To, no SMS to the region, opted out at
 * Twilio, unroutable, not a mobile number, body empty or over 1,600 characters).
 */
const RECIPIENT_ERRORS = new Set([21211, 21408, 21602, 21610, 21612, 21614, 21617]);

interface TwilioError { status?: number; code?: number; message?: string }

/** The reason a delivery failed when Twilio refused this recipient, else null (the error is the request's). */
export function refusedRecipient(error: unknown): string | null {
  const { status, code, message } = error as TwilioError;
  // Twilio's message may quote the number: the ledger keeps the reason, not the donor's number.
  return status === 400 && code !== undefined && RECIPIENT_ERRORS.has(code) ? `Twilio ${code}: ${(message ?? 'refused').replace(/\+?\d{6,15}/g, '<number>')}` : null;
}

/** Twilio answered (with an error status): the request was refused, so nothing was sent. */
export function answeredByTwilio(error: unknown): boolean {
  return typeof (error as TwilioError).status === 'number';
}

/**
 * The activity failure a Twilio error should become: 429, 5xx and no answer are retried with Temporal's
 * backoff; any other refusal (credentials 20003, a From that is not the account's 21212/21606…) is
 * configuration that retrying cannot fix.
 */
export function twilioFailure(error: unknown): ApplicationFailure {
  const { status, code } = error as TwilioError;
  const message = `Twilio answered ${status ?? 'with a network error'}${code ? ` (${code})` : ''}: ${error instanceof Error ? error.message : String(error)}`;
  if (status === undefined || status === 429 || status >= 500) return ApplicationFailure.create({ message, type: 'ProviderUnavailable' });
  return ApplicationFailure.create({ message, type: 'ProviderRejected', nonRetryable: true });
}
