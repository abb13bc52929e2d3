import { createHmac, randomBytes } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { MAX_SMS_BODY, isE164, smsKeyword, smsSegments } from '../../domain/sms';

/**
 * A Twilio-compatible HTTP server for development, tests and benchmarks: the product's real `twilio` SDK is
 * pointed at it (activities/sms/twilio.ts). It speaks the part of the REST API 2010-04-01 the product uses
 * (Messages: create, fetch, list), checks HTTP Basic auth with the account SID and auth token, enforces
 * Twilio's documented limits with Twilio's error codes and JSON shape (`{code, message, more_info, status}`),
 * records every message it accepts, and injects 429/5xx/latency/refused numbers. As Twilio's Advanced
 * Opt-Out does, a number that texted STOP to a sender is refused (21610) until it texts START.
 *
 * It also plays the handset side: `inbound()` delivers a text from a donor to the product's webhook and
 * `statusCallback()` reports a message's status, each signed with X-Twilio-Signature as Twilio signs them
 * (HMAC-SHA1 over the URL and the sorted POST parameters, with the auth token). Tests in another process
 * steer it through `/__sink/*`.
 */

export interface SinkSms {
  sid: string; accountSid: string; from: string; to: string; body: string; status: string; numSegments: number;
  statusCallback: string | null; dateCreated: string; receivedAt: number;
}
export interface SinkSmsRequest { method: string; path: string; status: number; at: number; form: Record<string, string> }
export interface SmsFault { status: number; code?: number; message?: string }
/** How a webhook is delivered: a forged `signature`, or the origin `via` which the signed URL is reached (a proxy). */
export interface DeliveryOptions { signature?: string; via?: string }
/** What the product's webhook answered a delivered inbound text or status callback with. */
export interface WebhookAnswer { status: number; contentType: string | null; body: string }

interface Answer { status: number; headers?: Record<string, string>; body?: unknown }

/** Twilio's documented Messages errors (twilio.com/docs/api/errors/<code>), with its messages. */
const ERROR = {
  auth: [20003, 401, 'Authenticate'],
  notFound: [20404, 404, 'The requested resource was not found'],
  toRequired: [21604, 400, "A 'To' phone number is required."],
  fromRequired: [21603, 400, "A 'From' phone number is required."],
  bodyRequired: [21602, 400, 'Message body is required.'],
  badTo: [21211, 400, "Invalid 'To' Phone Number"],
  badFrom: [21212, 400, "Invalid 'From' Phone Number"],
  tooLong: [21617, 400, 'The concatenated message body exceeds the 1600 character limit.'],
  notMobile: [21614, 400, "'To' number is not a valid mobile number"],
  unsubscribed: [21610, 400, 'Attempt to send to unsubscribed recipient'],
  badCallback: [21609, 400, "Invalid 'StatusCallback' URL"],
  tooMany: [20429, 429, 'Too Many Requests'],
  serverError: [20500, 500, 'Internal Server Error'],
} as const satisfies Record<string, readonly [number, number, string]>;

const API_VERSION = '2010-04-01';
const MESSAGES = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const MESSAGE = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/;
const MAX_PAGE_SIZE = 1000;

export class TwilioSink {
  readonly requests: SinkSmsRequest[] = [];
  private readonly messageLog: SinkSms[] = [];
  /** `from|to` pairs where `from` (a handset) texted STOP to `to` (a sender). */
  private readonly optedOut = new Set<string>();
  private readonly refused = new Set<string>();
  private countedFault: { remaining: number; fault: SmsFault } | null = null;
  private timedFault: { until: number; fault: SmsFault } | null = null;
  private latencyMs = 0;
  private readonly delayed = new Set<NodeJS.Timeout>();

  private constructor(private readonly server: Server, readonly url: string, readonly accountSid: string, private readonly authToken: string) {}

  static async start(options: { port?: number; host?: string; accountSid?: string; authToken?: string } = {}): Promise<TwilioSink> {
    const host = options.host ?? '127.0.0.1';
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => { server.off('error', reject); resolve(); });
    });
    const { port } = server.address() as AddressInfo;
    const reachableHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    const sink = new TwilioSink(server, `http://${reachableHost}:${port}`, options.accountSid ?? TEST_ACCOUNT_SID, options.authToken ?? TEST_AUTH_TOKEN);
    server.on('request', (req, res) => sink.receive(req, res));
    return sink;
  }

  /** Accepted messages in the order they arrived. */
  messages(): SinkSms[] { return [...this.messageLog]; }

  /** The next `count` API requests get `fault` instead of their answer. */
  failNext(count: number, fault: SmsFault): void { this.countedFault = { remaining: count, fault }; }

  /** Every API request in the next `durationMs` gets `fault`; it takes precedence over failNext. */
  failFor(durationMs: number, fault: SmsFault): void { this.timedFault = { until: Date.now() + durationMs, fault }; }

  /** Delays every API answer; a message is recorded on arrival, as Twilio would have queued it. */
  setLatency(ms: number): void { this.latencyMs = ms; }

  /** Numbers Twilio should refuse as not mobile (21614). */
  refuseNumbers(numbers: string[]): void { for (const number of numbers) this.refused.add(number); }

  /**
   * A donor's handset `from` texts `body` to the sender `to`: posted to `webhookUrl` (the URL configured at
   * Twilio, which the signature covers) as Twilio's incoming-message request, signed; a STOP (or START)
   * keyword also changes Twilio's own opt-out list for that pair, as Advanced Opt-Out does. `signature`
   * overrides the header (a forged request); `via` is the address actually reached, as behind a proxy.
   */
  async inbound(webhookUrl: string, text: { from: string; to: string; body: string; messageSid?: string }, options: DeliveryOptions = {}): Promise<WebhookAnswer> {
    const keyword = smsKeyword(text.body);
    if (keyword === 'opt_out') this.optedOut.add(`${text.from}|${text.to}`);
    if (keyword === 'opt_in') this.optedOut.delete(`${text.from}|${text.to}`);
    const params = {
      MessageSid: text.messageSid ?? messageSid(), SmsSid: '', AccountSid: this.accountSid, MessagingServiceSid: '',
      From: text.from, To: text.to, Body: text.body, NumMedia: '0', NumSegments: String(smsSegments(text.body).segments),
      SmsStatus: 'received', ApiVersion: API_VERSION,
    };
    params.SmsSid = params.MessageSid;
    return this.post(webhookUrl, params, options);
  }

  /** Reports `status` of an accepted message to its StatusCallback (or `url`), signed, as Twilio does on each change. */
  async statusCallback(sid: string, status: string, options: DeliveryOptions & { url?: string; errorCode?: number } = {}): Promise<WebhookAnswer> {
    const message = this.messageLog.find((m) => m.sid === sid);
    if (!message) throw new Error(`no message ${sid}`);
    const url = options.url ?? message.statusCallback;
    if (!url) throw new Error(`message ${sid} has no StatusCallback`);
    message.status = status;
    const params: Record<string, string> = {
      MessageSid: sid, SmsSid: sid, AccountSid: this.accountSid, From: message.from, To: message.to,
      MessageStatus: status, SmsStatus: status, ApiVersion: API_VERSION,
      ...(options.errorCode === undefined ? {} : { ErrorCode: String(options.errorCode) }),
    };
    return this.post(url, params, options);
  }

  /** Back to a fresh sink: no recorded traffic, opt-outs, faults, latency or refused numbers. */
  reset(): void {
    this.requests.length = 0;
    this.messageLog.length = 0;
    this.optedOut.clear();
    this.refused.clear();
    this.countedFault = null;
    this.timedFault = null;
    this.latencyMs = 0;
  }

  async stop(): Promise<void> {
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async post(url: string, params: Record<string, string>, options: DeliveryOptions): Promise<WebhookAnswer> {
    const target = options.via ? `${options.via.replace(/\/+$/, '')}${new URL(url).pathname}${new URL(url).search}` : url;
    const response = await fetch(target, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
        'X-Twilio-Signature': options.signature ?? twilioSignature(this.authToken, url, params),
        'User-Agent': 'TwilioProxy/1.1',
      },
      body: new URLSearchParams(params).toString(),
    });
    return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
  }

  private receive(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { pathname, searchParams } = new URL(req.url ?? '/', 'http://sink');
      const raw = Buffer.concat(chunks).toString('utf8');
      try {
        if (pathname.startsWith('/__sink/')) return respond(res, this.control(req.method ?? 'GET', pathname, raw));
        const form = Object.fromEntries(new URLSearchParams(req.method === 'GET' ? searchParams : raw));
        const at = Date.now();
        const answer = this.faultAt(at) ?? this.route(req, pathname, form);
        this.requests.push({ method: req.method ?? 'GET', path: pathname, status: answer.status, at, form });
        if (this.latencyMs <= 0) return respond(res, answer);
        const timer = setTimeout(() => { this.delayed.delete(timer); respond(res, answer); }, this.latencyMs);
        this.delayed.add(timer);
      } catch (error) {
        respond(res, { status: 500, body: { error: error instanceof Error ? error.message : String(error) } });
      }
    });
  }

  private faultAt(now: number): Answer | null {
    if (this.timedFault && now < this.timedFault.until) return faultAnswer(this.timedFault.fault);
    this.timedFault = null;
    if (!this.countedFault) return null;
    const { fault } = this.countedFault;
    if (--this.countedFault.remaining <= 0) this.countedFault = null;
    return faultAnswer(fault);
  }

  private route(req: IncomingMessage, path: string, form: Record<string, string>): Answer {
    if (!this.authorized(req.headers.authorization)) return twilioError(ERROR.auth);
    const list = MESSAGES.exec(path);
    const one = MESSAGE.exec(path);
    const account = list?.[1] ?? one?.[1];
    if (account !== this.accountSid) return twilioError(ERROR.notFound);
    if (list && req.method === 'POST') return this.create(form);
    if (list && req.method === 'GET') return this.list(form);
    if (one && req.method === 'GET') {
      const message = this.messageLog.find((m) => m.sid === one[2]);
      return message ? { status: 200, body: this.resource(message) } : twilioError(ERROR.notFound);
    }
    return { status: 405, body: { code: 20004, message: 'Method not allowed', more_info: moreInfo(20004), status: 405 } };
  }

  private authorized(header: string | undefined): boolean {
    const match = /^Basic (.+)$/.exec(header ?? '');
    if (!match) return false;
    const [user, ...rest] = Buffer.from(match[1], 'base64').toString('utf8').split(':');
    return user === this.accountSid && rest.join(':') === this.authToken;
  }

  /** `POST Messages.json`: To, From and Body, checked in Twilio's order; the message is queued. */
  private create(form: Record<string, string>): Answer {
    const { To: to, From: from, Body: body, StatusCallback: statusCallback } = form;
    if (!to) return twilioError(ERROR.toRequired);
    if (!from) return twilioError(ERROR.fromRequired);
    if (!isE164(to)) return twilioError(ERROR.badTo, `The 'To' number ${to} is not a valid phone number.`);
    if (!isE164(from)) return twilioError(ERROR.badFrom, `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`);
    if (!body) return twilioError(ERROR.bodyRequired);
    if ([...body].length > MAX_SMS_BODY) return twilioError(ERROR.tooLong);
    if (statusCallback !== undefined && !/^https?:\/\/\S+$/.test(statusCallback)) return twilioError(ERROR.badCallback);
    if (this.refused.has(to)) return twilioError(ERROR.notMobile);
    if (this.optedOut.has(`${to}|${from}`)) return twilioError(ERROR.unsubscribed);
    const message: SinkSms = {
      sid: messageSid(), accountSid: this.accountSid, from, to, body, status: 'queued', numSegments: smsSegments(body).segments,
      statusCallback: statusCallback ?? null, dateCreated: new Date().toUTCString(), receivedAt: Date.now(),
    };
    this.messageLog.push(message);
    return { status: 201, body: this.resource(message) };
  }

  /** `GET Messages.json`: filtered by To, From and `DateSent>` (ISO 8601, as the SDK's dateSentAfter sends it), newest first, paged by PageSize/Page. */
  private list(query: Record<string, string>): Answer {
    const pageSize = Number(query.PageSize ?? 50);
    const page = Number(query.Page ?? 0);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) return twilioError([20001, 400, 'Invalid PageSize']);
    const since = query['DateSent>'] ? Date.parse(query['DateSent>']) : null;
    if (since !== null && Number.isNaN(since)) return twilioError([20001, 400, 'Invalid DateSent>']);
    const matching = this.messageLog.filter((m) => (!query.To || m.to === query.To) && (!query.From || m.from === query.From)
      && (since === null || m.receivedAt >= since)).reverse();
    const slice = matching.slice(page * pageSize, (page + 1) * pageSize);
    const base = `/${API_VERSION}/Accounts/${this.accountSid}/Messages.json?PageSize=${pageSize}`;
    const hasNext = (page + 1) * pageSize < matching.length;
    return {
      status: 200,
      body: {
        messages: slice.map((m) => this.resource(m)), page, page_size: pageSize, start: page * pageSize, end: page * pageSize + slice.length - 1,
        uri: `${base}&Page=${page}`, first_page_uri: `${base}&Page=0`, previous_page_uri: page > 0 ? `${base}&Page=${page - 1}` : null,
        next_page_uri: hasNext ? `${base}&Page=${page + 1}` : null,
      },
    };
  }

  /** A Message resource as the 2010-04-01 API returns it. */
  private resource(m: SinkSms): Record<string, unknown> {
    return {
      account_sid: m.accountSid, api_version: API_VERSION, body: m.body, date_created: m.dateCreated, date_sent: null, date_updated: m.dateCreated,
      direction: 'outbound-api', error_code: null, error_message: null, from: m.from, messaging_service_sid: null, num_media: '0',
      num_segments: String(m.numSegments), price: null, price_unit: 'USD', sid: m.sid, status: m.status, to: m.to,
      subresource_uris: { media: `/${API_VERSION}/Accounts/${m.accountSid}/Messages/${m.sid}/Media.json` },
      uri: `/${API_VERSION}/Accounts/${m.accountSid}/Messages/${m.sid}.json`,
    };
  }

  private control(method: string, path: string, raw: string): Answer {
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      return { status: 400, body: { error: 'body is not JSON' } };
    }
    switch (`${method} ${path}`) {
      case 'GET /__sink/messages': return { status: 200, body: this.messageLog };
      case 'GET /__sink/requests': return { status: 200, body: this.requests };
      case 'POST /__sink/reset': this.reset(); return { status: 204 };
      case 'POST /__sink/faults': return withControlBody(faultsControl, body, (command) => {
        if (command.mode === 'next') this.failNext(command.count, command.fault);
        else this.failFor(command.durationMs, command.fault);
      });
      case 'POST /__sink/latency': return withControlBody(z.object({ ms: z.number().nonnegative() }), body, ({ ms }) => this.setLatency(ms));
      case 'POST /__sink/refuse': return withControlBody(z.object({ numbers: z.array(z.string()) }), body, ({ numbers }) => this.refuseNumbers(numbers));
      default: return { status: 404, body: { error: `no control endpoint ${method} ${path}` } };
    }
  }
}

/** The sink's credentials unless told otherwise (a Twilio account SID is AC + 32 hex digits). */
export const TEST_ACCOUNT_SID = `AC${'0'.repeat(31)}1`;
export const TEST_AUTH_TOKEN = 'local-development-twilio-auth-token';

/**
 * X-Twilio-Signature as Twilio computes it (twilio.com/docs/usage/security#validating-requests): the full
 * URL, then each POST parameter's name and value in name order, HMAC-SHA1 with the auth token, base64.
 * Written out here rather than taken from the SDK, so the product's validation is checked against the
 * documented algorithm, not against itself.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params).sort().reduce((text, name) => text + name + params[name], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

function messageSid(): string {
  return `SM${randomBytes(16).toString('hex')}`;
}

function moreInfo(code: number): string {
  return `https://www.twilio.com/docs/errors/${code}`;
}

function twilioError([code, status, message]: readonly [number, number, string], detail?: string): Answer {
  return { status, body: { code, message: detail ?? message, more_info: moreInfo(code), status } };
}

function faultAnswer(fault: SmsFault): Answer {
  const known = fault.status === 429 ? ERROR.tooMany : fault.status >= 500 ? ERROR.serverError : null;
  const code = fault.code ?? known?.[0] ?? 20001;
  return { status: fault.status, body: { code, message: fault.message ?? known?.[2] ?? 'request failed', more_info: moreInfo(code), status: fault.status } };
}

const faultSchema = z.object({ status: z.number().int().min(400).max(599), code: z.number().int().optional(), message: z.string().optional() });
const faultsControl = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('next'), count: z.number().int().positive(), fault: faultSchema }),
  z.object({ mode: z.literal('for'), durationMs: z.number().positive(), fault: faultSchema }),
]);

function withControlBody<T>(schema: z.ZodType<T>, body: unknown, apply: (command: T) => void): Answer {
  const parsed = schema.safeParse(body);
  if (!parsed.success) return { status: 400, body: { error: z.prettifyError(parsed.error) } };
  apply(parsed.data);
  return { status: 204 };
}

function respond(res: ServerResponse, answer: Answer): void {
  if (res.destroyed) return;
  if (answer.body === undefined) {
    res.writeHead(answer.status, { ...answer.headers, 'Content-Length': '0' }).end();
    return;
  }
  const json = JSON.stringify(answer.body);
  res.writeHead(answer.status, { ...answer.headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) }).end(json);
}
