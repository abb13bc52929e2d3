import { randomBytes } from 'node:crypto';
import { type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/**
 * A SendGrid-compatible HTTP server for development, tests and benchmarks: the product's real
 * @sendgrid/mail client is pointed at it (`client.setDefaultRequest('baseUrl', sink.url)`). It speaks the
 * parts of the v3 API the product uses (mail send, ASM suppressions, the Email Activity query that
 * settles sends whose answer was lost), records what it accepts, and injects 429/5xx/latency/bad addresses.
 * Tests in another process steer it through the `/__sink/*` control API.
 */

export interface SinkMail { messageId: string; receivedAt: number; body: any /* the v3 mail/send JSON as received */ } // eslint-disable-line @typescript-eslint/no-explicit-any
/**
 * One accepted `to` address of a personalization; `receivedAt` is when its request arrived (epoch ms);
 * `subject` after the personalization's substitutions; `personalization` its index in the request (see `messageOf`).
 */
export interface SinkDelivery {
  messageId: string; receivedAt: number; to: string; name?: string; subject: string; personalization: number;
  customArgs: Record<string, string>; headers: Record<string, string>;
}
/** What one recipient reads: the request's content after that recipient's substitutions. */
export interface SinkMessage { subject: string; text: string | null; html: string | null }
export interface SinkRequest { method: string; path: string; status: number; at: number; headers: Record<string, string | string[] | undefined>; body: unknown }
export interface SinkFault { status: number; retryAfterSeconds?: number; body?: unknown }
/** A recipient SendGrid accepted and then dropped because the address is suppressed, as its `dropped` event says. */
export interface SinkDrop extends SinkDelivery { reason: 'Unsubscribed Address'; groupId: number | null }
/** An unsubscribe group, as the Unsubscribe Groups API shows it. */
export interface SinkGroup { id: number; name: string; description: string; is_default: boolean }

interface Answer { status: number; headers?: Record<string, string>; body?: unknown }
interface Incoming { method: string; path: string; query: URLSearchParams; headers: IncomingHttpHeaders; body: unknown }
type Handler = (incoming: Incoming, params: string[]) => Answer;
interface Route { method: string; pattern: RegExp; handle: Handler }

/** SendGrid's error shape: `{"errors":[{"message","field","help"}]}`. */
interface SendGridError { message: string; field: string | null; help: string | null }

const ERRORS_HELP = 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html';
// SendGrid's documented mail/send limits (docs.sendgrid.com/api-reference/mail-send/limitations and the
// mail/send reference), enforced here so a request that breaks one fails a test instead of a donor.
const MAX_PERSONALIZATIONS = 1000;
const MAX_CUSTOM_ARGS_BYTES = 10_000; // "must be less than 10000 bytes", message and personalization merged
const MAX_SUBSTITUTIONS_BYTES = 10_000; // "may not exceed 10,000 bytes per personalization object"
const MAX_LINE = 998; // RFC 5322 §2.1.1: a header (subject) line
const RESERVED_HEADERS = new Set(['x-sg-id', 'x-sg-eid', 'received', 'dkim-signature', 'content-type', 'content-transfer-encoding', 'to', 'from', 'subject', 'reply-to', 'cc', 'bcc']);
const MAX_BODY_BYTES = 30 * 1024 * 1024; // SendGrid's total message size limit
const RATE_LIMIT = 600;
/** Unsubscribe Groups API limits: 200 groups per account, names ≤ 30 characters (unique), descriptions ≤ 100. */
const MAX_GROUPS = 200;
const GROUP_NAME_MAX = 30;
const GROUP_DESCRIPTION_MAX = 100;
/** Mail send: asm.groups_to_display lists at most 25 groups. */
const MAX_GROUPS_TO_DISPLAY = 25;

// Deliberately close to what SendGrid accepts: one @, no spaces or specials, a dotted domain.
const EMAIL = /^[^\s@"<>(),;:\\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

export class SendGridSink {
  readonly requests: SinkRequest[] = [];
  private readonly mailLog: SinkMail[] = [];
  private readonly deliveryLog: SinkDelivery[] = [];
  private readonly globalSuppressions = new Set<string>();
  private readonly groupSuppressions = new Map<string, Set<string>>();
  private readonly groups = new Map<string, SinkGroup>();
  private readonly dropLog: SinkDrop[] = [];
  private nextGroupId = 1001;
  private readonly rejected = new Set<string>();
  private countedFault: { remaining: number; fault: SinkFault } | null = null;
  private timedFault: { until: number; fault: SinkFault } | null = null;
  private latencyMs = 0;
  private activityLagMs = 0;
  private readonly delayed = new Set<NodeJS.Timeout>();
  private readonly routes: Route[];

  private constructor(private readonly server: Server, readonly url: string) {
    this.routes = [
      { method: 'POST', pattern: /^\/v3\/mail\/send$/, handle: (incoming) => this.mailSend(incoming.body) },
      { method: 'GET', pattern: /^\/v3\/messages$/, handle: (incoming) => this.emailActivity(incoming.query) },
      { method: 'POST', pattern: /^\/v3\/asm\/suppressions\/global$/, handle: (incoming) => this.suppress(this.globalSuppressions, incoming.body) },
      { method: 'GET', pattern: /^\/v3\/asm\/suppressions\/global\/([^/]+)$/, handle: (_, [email]) => this.globalSuppression(email) },
      { method: 'DELETE', pattern: /^\/v3\/asm\/suppressions\/global\/([^/]+)$/, handle: (_, [email]) => this.unsuppress(this.globalSuppressions, email) },
      { method: 'GET', pattern: /^\/v3\/asm\/groups$/, handle: () => ({ status: 200, body: [...this.groups.values()].map((g) => ({ ...g, unsubscribes: this.group(String(g.id))?.size ?? 0 })) }) },
      { method: 'POST', pattern: /^\/v3\/asm\/groups$/, handle: (incoming) => this.createGroup(incoming.body) },
      { method: 'GET', pattern: /^\/v3\/asm\/groups\/(\d+)\/suppressions$/, handle: (_, [group]) => this.inGroup(group, (emails) => ({ status: 200, body: [...emails] })) },
      { method: 'POST', pattern: /^\/v3\/asm\/groups\/(\d+)\/suppressions$/, handle: (incoming, [group]) => this.inGroup(group, (emails) => this.suppress(emails, incoming.body)) },
      { method: 'DELETE', pattern: /^\/v3\/asm\/groups\/(\d+)\/suppressions\/([^/]+)$/, handle: (_, [group, email]) => this.inGroup(group, (emails) => this.unsuppress(emails, email)) },
    ];
  }

  static async start(options: { port?: number; host?: string } = {}): Promise<SendGridSink> {
    const host = options.host ?? '127.0.0.1';
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => { server.off('error', reject); resolve(); });
    });
    const { port } = server.address() as AddressInfo;
    const reachableHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    const sink = new SendGridSink(server, `http://${reachableHost}:${port}`);
    server.on('request', (req, res) => sink.receive(req, res));
    return sink;
  }

  /** Accepted personalizations, one entry per `to` address, in the order they arrived. */
  deliveries(): SinkDelivery[] { return [...this.deliveryLog]; }

  /** Accepted recipients SendGrid dropped instead of delivering: on the global list or the mail's unsubscribe group. */
  drops(): SinkDrop[] { return [...this.dropLog]; }

  /** Unsubscribe groups created through the API, in creation order. */
  unsubscribeGroups(): SinkGroup[] { return [...this.groups.values()]; }

  /** Accepted mail/send requests as received. */
  mails(): SinkMail[] { return [...this.mailLog]; }

  /** The message a delivery's recipient reads, substituted as SendGrid substitutes (computed on demand: benchmarks record 100,000s). */
  messageOf(delivery: SinkDelivery): SinkMessage {
    const mail = this.mailLog.find((m) => m.messageId === delivery.messageId);
    if (!mail) throw new Error(`no accepted request ${delivery.messageId}`);
    const body = mail.body as MailBody;
    const substitutions = body.personalizations[delivery.personalization].substitutions ?? {};
    const part = (type: string) => {
      const value = body.content?.find((c) => c.type === type)?.value;
      return value === undefined ? null : substitute(value, substitutions);
    };
    return { subject: delivery.subject, text: part('text/plain'), html: part('text/html') };
  }

  suppressions(): { global: string[]; groups: Record<string, string[]> } {
    return {
      global: [...this.globalSuppressions],
      groups: Object.fromEntries([...this.groupSuppressions].map(([group, emails]) => [group, [...emails]])),
    };
  }

  /** The next `count` requests to the v3 API get `fault` instead of their answer. */
  failNext(count: number, fault: SinkFault): void { this.countedFault = { remaining: count, fault }; }

  /** Every v3 request in the next `durationMs` gets `fault`; it takes precedence over failNext. */
  failFor(durationMs: number, fault: SinkFault): void { this.timedFault = { until: Date.now() + durationMs, fault }; }

  /** Delays every v3 answer; what a request carries is recorded on arrival, as SendGrid would have it. */
  setLatency(ms: number): void { this.latencyMs = ms; }

  /**
   * Email Activity shows an accepted message only `ms` after SendGrid accepted it: the feed is built from
   * processed events, not at acceptance, so a message sent a moment ago can be missing from it.
   */
  setActivityLag(ms: number): void { this.activityLagMs = ms; }

  /** Adds recipients SendGrid should refuse as invalid (case-insensitive). */
  rejectAddresses(addresses: string[]): void { for (const address of addresses) this.rejected.add(address.toLowerCase()); }

  /** Back to a fresh sink: no recorded traffic, suppressions, faults, latency, activity lag or rejected addresses. */
  reset(): void {
    this.requests.length = 0;
    this.mailLog.length = 0;
    this.deliveryLog.length = 0;
    this.dropLog.length = 0;
    this.groups.clear();
    this.globalSuppressions.clear();
    this.groupSuppressions.clear();
    this.rejected.clear();
    this.countedFault = null;
    this.timedFault = null;
    this.latencyMs = 0;
    this.activityLagMs = 0;
  }

  async stop(): Promise<void> {
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Keep-alive sockets (Node's default agent keeps them) would hold close() open until they time out.
    this.server.closeAllConnections();
    await closed;
  }

  private receive(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      const { pathname, searchParams } = new URL(req.url ?? '/', 'http://sink');
      const incoming = { method: req.method ?? 'GET', path: pathname, query: searchParams, headers: req.headers };
      if (size > MAX_BODY_BYTES) return respond(res, sendGridError(413, 'Payload Too Large'));
      let body: unknown;
      try {
        body = size === 0 ? undefined : JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
      } catch {
        return respond(res, pathname.startsWith('/__sink/') ? { status: 400, body: { error: 'body is not JSON' } } : sendGridError(400, 'Bad Request'));
      }
      try {
        if (pathname.startsWith('/__sink/')) return respond(res, this.control({ ...incoming, body }));
        this.answerApi(res, { ...incoming, body });
      } catch (error) {
        // A request the sink cannot handle (e.g. a malformed %-escape) must not take the process down.
        respond(res, sendGridError(500, error instanceof Error ? error.message : String(error)));
      }
    });
  }

  private answerApi(res: ServerResponse, incoming: Incoming): void {
    const at = Date.now();
    const answer = this.faultAt(at) ?? this.route(incoming);
    this.requests.push({ method: incoming.method, path: incoming.path, status: answer.status, at, headers: incoming.headers, body: incoming.body });
    if (this.latencyMs <= 0) return respond(res, answer);
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      respond(res, answer);
    }, this.latencyMs);
    this.delayed.add(timer);
  }

  private faultAt(now: number): Answer | null {
    if (this.timedFault && now < this.timedFault.until) return faultAnswer(this.timedFault.fault);
    this.timedFault = null;
    if (!this.countedFault) return null;
    const { fault } = this.countedFault;
    if (--this.countedFault.remaining <= 0) this.countedFault = null;
    return faultAnswer(fault);
  }

  private route(incoming: Incoming): Answer {
    const authorization = incoming.headers.authorization;
    if (!authorization) return sendGridError(401, 'authorization required');
    if (!/^Bearer \S+$/.test(authorization)) return sendGridError(401, 'The provided authorization grant is invalid, expired, or revoked');
    let pathMatched = false;
    for (const route of this.routes) {
      const match = route.pattern.exec(incoming.path);
      if (!match) continue;
      pathMatched = true;
      if (route.method === incoming.method) return route.handle(incoming, match.slice(1).map(decodeURIComponent));
    }
    return pathMatched ? sendGridError(405, 'method not allowed') : sendGridError(404, 'resource not found');
  }

  private mailSend(body: unknown): Answer {
    const problems = mailProblems(body);
    if (problems.length > 0) return { status: 400, body: { errors: problems } };
    const mail = body as MailBody;
    const invalid = this.firstInvalidRecipient(mail);
    if (invalid) return { status: 400, body: { errors: [invalid] } };
    // SendGrid accepts a group id it does not know and then silently drops the mail; the sink refuses it
    // instead, so a test that sends under a group the product never created fails where it happened.
    if (isObject(mail.asm) && !this.groups.has(String(mail.asm.group_id))) return fieldError('asm.group_id', 'The unsubscribe group does not exist.');
    const sent: SinkMail = { messageId: randomBytes(16).toString('base64url'), receivedAt: Date.now(), body };
    this.mailLog.push(sent);
    // As SendGrid does: an address on the global list, or on the unsubscribe group the mail names, is dropped.
    const groupId = isObject(mail.asm) ? (mail.asm.group_id as number) : null;
    const groupEmails = groupId === null ? undefined : this.group(String(groupId));
    for (const delivery of deliveriesOf(sent)) {
      const address = delivery.to.toLowerCase();
      if (this.globalSuppressions.has(address) || groupEmails?.has(address)) this.dropLog.push({ ...delivery, reason: 'Unsubscribed Address', groupId });
      else this.deliveryLog.push(delivery);
    }
    return { status: 202, headers: { 'X-Message-Id': sent.messageId } };
  }

  private firstInvalidRecipient(mail: MailBody): SendGridError | null {
    for (let i = 0; i < mail.personalizations.length; i++) {
      const to = mail.personalizations[i].to;
      for (let j = 0; j < to.length; j++) {
        const { email } = to[j];
        if (!EMAIL.test(email) || this.rejected.has(email.toLowerCase())) {
          return { message: 'Does not contain a valid address.', field: `personalizations.${i}.to.${j}.email`, help: `${ERRORS_HELP}#message.personalizations.to` };
        }
      }
    }
    return null;
  }

  /** Email Activity (`GET /v3/messages`): `query` clauses `field="value"` joined by AND, over accepted recipients. */
  private emailActivity(query: URLSearchParams): Answer {
    const limit = Number(query.get('limit') ?? 10);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return fieldError('limit', 'limit should be an integer between 1 and 1000');
    const conditions = parseActivityQuery(query.get('query') ?? '');
    if (!conditions) return fieldError('query', 'invalid query');
    const messages: ActivityMessage[] = [];
    const shownUntil = Date.now() - this.activityLagMs;
    for (const mail of this.mailLog) {
      if (mail.receivedAt > shownUntil) continue;
      const lastEventTime = new Date(mail.receivedAt).toISOString();
      deliveriesOf(mail).forEach((delivery, n) => {
        if (messages.length >= limit) return;
        const message: ActivityMessage = {
          from_email: (mail.body as MailBody).from.email,
          msg_id: `${mail.messageId}.sink.${n}`,
          subject: delivery.subject,
          to_email: delivery.to,
          status: 'delivered',
          opens_count: 0,
          clicks_count: 0,
          last_event_time: lastEventTime,
        };
        if (conditions.every((matches) => matches(message, delivery))) messages.push(message);
      });
    }
    return { status: 200, body: { messages } };
  }

  private suppress(into: Set<string>, body: unknown): Answer {
    const parsed = z.object({ recipient_emails: z.array(z.string()).min(1) }).safeParse(body);
    if (!parsed.success) return fieldError('recipient_emails', 'recipient_emails must be a non-empty array of email addresses');
    const bad = parsed.data.recipient_emails.find((email) => !EMAIL.test(email));
    if (bad !== undefined) return fieldError('recipient_emails', `${bad} is not a valid email address`);
    for (const email of parsed.data.recipient_emails) into.add(email.toLowerCase());
    return { status: 201, body: { recipient_emails: parsed.data.recipient_emails } };
  }

  private unsuppress(from: Set<string>, email: string): Answer {
    from.delete(email.toLowerCase());
    return { status: 204 };
  }

  private globalSuppression(email: string): Answer {
    return { status: 200, body: this.globalSuppressions.has(email.toLowerCase()) ? { recipient_email: email } : {} };
  }

  private group(id: string): Set<string> | undefined {
    return this.groupSuppressions.get(id);
  }

  /** A group's suppressions exist only for a group created through the API; any other id is not found. */
  private inGroup(id: string, handle: (emails: Set<string>) => Answer): Answer {
    const emails = this.group(id);
    return emails ? handle(emails) : sendGridError(404, 'Group not found');
  }

  /** `POST /v3/asm/groups`: name and description are required and bounded, names are unique per account. */
  private createGroup(body: unknown): Answer {
    const parsed = z.object({ name: z.string().min(1), description: z.string().min(1), is_default: z.boolean().optional() }).safeParse(body);
    if (!parsed.success) return fieldError(parsed.error.issues[0].path.join('.') || 'name', 'name and description are required');
    const { name, description, is_default: isDefault = false } = parsed.data;
    if (name.length > GROUP_NAME_MAX) return fieldError('name', `name must be at most ${GROUP_NAME_MAX} characters`);
    if (description.length > GROUP_DESCRIPTION_MAX) return fieldError('description', `description must be at most ${GROUP_DESCRIPTION_MAX} characters`);
    if ([...this.groups.values()].some((g) => g.name === name)) return fieldError('name', 'A group with this name already exists.');
    if (this.groups.size >= MAX_GROUPS) return fieldError(null, `You can have at most ${MAX_GROUPS} suppression groups.`);
    const group: SinkGroup = { id: this.nextGroupId++, name, description, is_default: isDefault };
    this.groups.set(String(group.id), group);
    this.groupSuppressions.set(String(group.id), new Set());
    return { status: 201, body: group };
  }

  private control(incoming: Incoming): Answer {
    const route = `${incoming.method} ${incoming.path}`;
    switch (route) {
      case 'GET /__sink/deliveries': return { status: 200, body: this.deliveryLog };
      case 'GET /__sink/drops': return { status: 200, body: this.dropLog };
      case 'GET /__sink/mails': return { status: 200, body: this.mailLog };
      case 'GET /__sink/requests': return { status: 200, body: this.requests };
      case 'GET /__sink/suppressions': return { status: 200, body: this.suppressions() };
      case 'POST /__sink/reset': this.reset(); return { status: 204 };
      case 'POST /__sink/faults': return withControlBody(faultsControl, incoming.body, (command) => {
        if (command.mode === 'next') this.failNext(command.count, command.fault);
        else this.failFor(command.durationMs, command.fault);
      });
      case 'POST /__sink/latency': return withControlBody(latencyControl, incoming.body, ({ ms }) => this.setLatency(ms));
      case 'POST /__sink/reject': return withControlBody(rejectControl, incoming.body, ({ addresses }) => this.rejectAddresses(addresses));
      default: return { status: 404, body: { error: `no control endpoint ${route}` } };
    }
  }
}

interface MailAddress { email: string; name?: string }
interface Personalization {
  to: MailAddress[]; subject?: string; substitutions?: Record<string, string>; custom_args?: Record<string, string>; headers?: Record<string, string>;
}
interface MailBody {
  personalizations: Personalization[];
  from: MailAddress;
  subject?: string;
  content?: { type: string; value: string }[];
  template_id?: string;
  custom_args?: Record<string, string>;
  headers?: Record<string, string>;
  asm?: unknown;
}

/** The structural checks of mail/send, with SendGrid's messages; all problems at once, as SendGrid reports them. */
function mailProblems(body: unknown): SendGridError[] {
  if (!isObject(body)) return [{ message: 'Bad Request', field: null, help: null }];
  const problems: SendGridError[] = [];
  const problem = (field: string, message: string, anchor: string) => problems.push({ message, field, help: `${ERRORS_HELP}#${anchor}` });
  const { personalizations, from, subject, content, template_id: templateId, asm } = body;
  if (asm !== undefined) {
    const display = isObject(asm) ? asm.groups_to_display : undefined;
    if (!isObject(asm) || !Number.isInteger(asm.group_id)) problem('asm.group_id', 'The asm group_id must be an integer.', 'message.asm.group_id');
    else if (display !== undefined && (!Array.isArray(display) || display.length > MAX_GROUPS_TO_DISPLAY || !display.every(Number.isInteger))) {
      problem('asm.groups_to_display', `groups_to_display must be an array of at most ${MAX_GROUPS_TO_DISPLAY} group ids.`, 'message.asm.groups_to_display');
    }
  }
  if (!Array.isArray(personalizations) || personalizations.length === 0) {
    problem('personalizations', 'The personalizations field is required and must have at least one personalization.', 'message.personalizations');
  } else if (personalizations.length > MAX_PERSONALIZATIONS) {
    problem('personalizations', `The personalization block is limited to ${MAX_PERSONALIZATIONS} personalizations per API request. You have provided ${personalizations.length} personalizations. Please consider splitting this into multiple requests and resending your request.`, 'message.personalizations');
  } else {
    let recipients = 0;
    let everyHasSubject = true;
    personalizations.forEach((p: unknown, i) => {
      const to = isObject(p) ? p.to : undefined;
      if (!isObject(p) || !Array.isArray(to) || to.length === 0 || !to.every((r) => isObject(r) && typeof r.email === 'string')) {
        problem(`personalizations.${i}.to`, 'The to array is required for all personalization objects, and must have at least one email object with a valid email address.', 'message.personalizations.to');
        return;
      }
      recipients += to.length + lengthOf(p.cc) + lengthOf(p.bcc);
      for (const list of ['to', 'cc', 'bcc'] as const) {
        const addresses: unknown[] = Array.isArray(p[list]) ? p[list] : [];
        addresses.forEach((address, j) => {
          const name = isObject(address) ? address.name : undefined;
          if (name !== undefined && (typeof name !== 'string' || /[,;]/.test(name))) {
            // SendGrid itself answers 202 and silently drops such a recipient; the sink refuses it so a test sees it.
            problem(`personalizations.${i}.${list}.${j}.name`, 'The to.name, cc.name, and bcc.name personalizations cannot include either the ; or , characters.', `message.personalizations.${list}`);
          }
        });
      }
      if (p.subject === undefined) everyHasSubject = false;
      else subjectProblem(p.subject, `personalizations.${i}.subject`, problem);
      const customArgs = isObject(p.custom_args) ? p.custom_args : {};
      for (const [key, value] of Object.entries(customArgs)) {
        if (typeof value !== 'string') problem(`personalizations.${i}.custom_args.${key}`, `Invalid type. Expected: string, given: ${typeof value}.`, 'message.custom_args');
      }
      if (jsonBytes({ ...(isObject(body.custom_args) ? body.custom_args : {}), ...customArgs }) >= MAX_CUSTOM_ARGS_BYTES) {
        problem(`personalizations.${i}.custom_args`, `The total length of custom arguments must be less than ${MAX_CUSTOM_ARGS_BYTES} bytes.`, 'message.custom_args');
      }
      if (p.substitutions !== undefined) {
        if (!isObject(p.substitutions) || !Object.values(p.substitutions).every((value) => typeof value === 'string')) {
          problem(`personalizations.${i}.substitutions`, 'Substitutions must be an object of string keys and string values.', 'message.personalizations.substitutions');
        } else if (jsonBytes(p.substitutions) > MAX_SUBSTITUTIONS_BYTES) {
          problem(`personalizations.${i}.substitutions`, `The total collective size of your substitutions may not exceed ${MAX_SUBSTITUTIONS_BYTES} bytes per personalization object.`, 'message.personalizations.substitutions');
        }
      }
      headerProblems(p.headers, `personalizations.${i}.headers`, problem);
    });
    if (recipients > MAX_PERSONALIZATIONS) problem('personalizations', `There is a limit of ${MAX_PERSONALIZATIONS} total recipients (to + cc + bcc) per request.`, 'message.personalizations');
    if (!everyHasSubject && subject === undefined && typeof templateId !== 'string') {
      problem('subject', 'The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.', 'message.subject');
    }
  }
  if (subject !== undefined) subjectProblem(subject, 'subject', problem);
  headerProblems(body.headers, 'headers', problem);
  if (isObject(body.custom_args) && jsonBytes(body.custom_args) >= MAX_CUSTOM_ARGS_BYTES) {
    problem('custom_args', `The total length of custom arguments must be less than ${MAX_CUSTOM_ARGS_BYTES} bytes.`, 'message.custom_args');
  }
  if (isObject(from) && typeof from.email === 'string' && !/^[\x21-\x7E]+$/.test(from.email)) {
    problem('from.email', 'Unicode encoding is not supported for the from field.', 'message.from');
  }
  if (!isObject(from) || typeof from.email !== 'string' || !EMAIL.test(from.email)) {
    problem('from.email', 'The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.  e.g. {"email" : "example@example.com"}  or {"email" : "example@example.com", "name" : "Example Recipient"}.', 'message.from');
  }
  const hasContent = Array.isArray(content) && content.length > 0 && content.every((c) => isObject(c) && typeof c.type === 'string' && typeof c.value === 'string' && c.value.length > 0);
  if (!hasContent && typeof templateId !== 'string') {
    problem('content', 'Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.', 'message.content');
  }
  return problems;
}

type Problem = (field: string, message: string, anchor: string) => void;

/** A subject is one non-empty header line (RFC 5322 §2.1.1, 998 characters at most). */
function subjectProblem(subject: unknown, field: string, problem: Problem): void {
  if (typeof subject !== 'string' || subject.trim() === '') problem(field, 'The subject of your email must be a string at least one character in length.', 'message.subject');
  else if (/[\r\n]/.test(subject)) problem(field, 'The subject of your email must be one line: it may not contain line breaks.', 'message.subject');
  else if (subject.length > MAX_LINE) problem(field, `The subject of your email may not be longer than ${MAX_LINE} characters.`, 'message.subject');
}

/** Header names are RFC 5322 field names and not reserved by SendGrid; values are strings of one ASCII line. */
function headerProblems(headers: unknown, field: string, problem: Problem): void {
  if (headers === undefined) return;
  if (!isObject(headers)) return problem(field, 'Invalid type. Expected: object.', 'message.headers');
  for (const [name, value] of Object.entries(headers)) {
    if (RESERVED_HEADERS.has(name.toLowerCase())) problem(`${field}.${name}`, `The ${name} header is reserved and cannot be set in headers.`, 'message.headers');
    else if (!/^[\x21-\x39\x3B-\x7E]+$/.test(name)) problem(`${field}.${name}`, 'Header names must be printable ASCII without colons.', 'message.headers');
    else if (typeof value !== 'string') problem(`${field}.${name}`, `Invalid type. Expected: string, given: ${typeof value}.`, 'message.headers');
    else if (!/^[\x20-\x7E\t]*$/.test(value)) problem(`${field}.${name}`, 'Header values must be one line of ASCII; encode unicode characters.', 'message.headers');
    else if (name.length + 2 + value.length > MAX_LINE) problem(`${field}.${name}`, `A header line may not be longer than ${MAX_LINE} characters.`, 'message.headers');
  }
}

function deliveriesOf({ messageId, receivedAt, body }: SinkMail): SinkDelivery[] {
  const mail = body as MailBody;
  const deliveries: SinkDelivery[] = [];
  mail.personalizations.forEach((p, personalization) => {
    const subject = substitute(p.subject ?? mail.subject ?? '', p.substitutions ?? {});
    const customArgs = merge(mail.custom_args, p.custom_args);
    const headers = merge(mail.headers, p.headers);
    for (const { email, name } of p.to) {
      deliveries.push({ messageId, receivedAt, to: email, ...(name === undefined ? {} : { name }), subject, personalization, customArgs, headers });
    }
  });
  return deliveries;
}

/** SendGrid's substitution: every occurrence of each key, replaced by its value taken literally. */
function substitute(text: string, substitutions: Record<string, string>): string {
  let result = text;
  for (const [key, value] of Object.entries(substitutions)) result = result.split(key).join(value);
  return result;
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

function merge(base: Record<string, string> | undefined, own: Record<string, string> | undefined): Record<string, string> {
  if (!base) return own ?? {};
  return own ? { ...base, ...own } : base;
}

interface ActivityMessage {
  from_email: string; msg_id: string; subject: string; to_email: string; status: string;
  opens_count: number; clicks_count: number; last_event_time: string;
}
type ActivityCondition = (message: ActivityMessage, delivery: SinkDelivery) => boolean;

const ACTIVITY_CLAUSE = /^(\w+)(?:\['([^']+)'\])?\s*=\s*"(.*)"$/;
const ACTIVITY_FIELDS = new Set(['from_email', 'msg_id', 'subject', 'to_email', 'status']);

/** The subset of SendGrid's activity query language the product uses; null when it cannot be read. */
function parseActivityQuery(query: string): ActivityCondition[] | null {
  if (query.trim() === '') return [];
  const conditions: ActivityCondition[] = [];
  for (const clause of query.split(/\s+AND\s+/i)) {
    const match = ACTIVITY_CLAUSE.exec(clause.trim());
    if (!match) return null;
    const [, field, argument, value] = match;
    if (field === 'unique_args' && argument) conditions.push((_, delivery) => delivery.customArgs[argument] === value);
    else if (!argument && ACTIVITY_FIELDS.has(field)) conditions.push((message) => message[field as keyof ActivityMessage] === value);
    else return null;
  }
  return conditions;
}

function faultAnswer(fault: SinkFault): Answer {
  const headers: Record<string, string> = {};
  if (fault.status === 429) {
    headers['X-RateLimit-Limit'] = String(RATE_LIMIT);
    headers['X-RateLimit-Remaining'] = '0';
    headers['X-RateLimit-Reset'] = String(Math.ceil(Date.now() / 1000) + (fault.retryAfterSeconds ?? 1));
  }
  if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.retryAfterSeconds);
  return { status: fault.status, headers, body: fault.body ?? { errors: [{ field: null, message: defaultFaultMessage(fault.status) }] } };
}

function defaultFaultMessage(status: number): string {
  if (status === 429) return 'too many requests';
  if (status >= 500) return 'internal server error';
  return 'request failed';
}

function sendGridError(status: number, message: string): Answer {
  return { status, body: { errors: [{ field: null, message, help: null }] } };
}

function fieldError(field: string | null, message: string): Answer {
  return { status: 400, body: { errors: [{ field, message, help: null }] } };
}

const faultSchema = z.object({
  status: z.number().int().min(400).max(599),
  retryAfterSeconds: z.number().nonnegative().optional(),
  body: z.unknown().optional(),
});
const faultsControl = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('next'), count: z.number().int().positive(), fault: faultSchema }),
  z.object({ mode: z.literal('for'), durationMs: z.number().positive(), fault: faultSchema }),
]);
const latencyControl = z.object({ ms: z.number().nonnegative() });
const rejectControl = z.object({ addresses: z.array(z.string()) });

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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lengthOf(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}
