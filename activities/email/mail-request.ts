import type { RenderedMessage } from '../../domain/delivery/message-template';
import { substitute } from '../../domain/delivery/message-variants';

/**
 * The one place a SendGrid v3 `mail/send` body is built, so every request obeys SendGrid's documented
 * limits. What SendGrid would silently mishandle is corrected here (a display name it would drop the
 * recipient for is left out, an over-long or multi-line subject is made one line and cut); what cannot be
 * corrected for one recipient (its substitutions or custom args too large) refuses that recipient, so its
 * delivery is settled `failed` with the reason instead of being recorded as sent.
 *
 * Sources: https://docs.sendgrid.com/api-reference/mail-send/limitations (recipients, custom args, names),
 * https://docs.sendgrid.com/api-reference/mail-send (substitutions, reserved headers),
 * https://docs.sendgrid.com/api-reference/mail-send/errors (the 400s the project's sink answers alike).
 */
export const SENDGRID_LIMITS = {
  /** Personalizations per request, and recipients (to + cc + bcc) per request. */
  personalizations: 1000,
  /** "The total length of custom arguments must be less than 10000 bytes" (message and personalization args merged; UTF-8 JSON). */
  customArgsBytes: 10_000,
  /** "The total collective size of your substitutions may not exceed 10,000 bytes per personalization object" (UTF-8 JSON). */
  substitutionsBytes: 10_000,
  /**
   * A subject, like any header, is one line: RFC 5322 §2.1.1 caps a line at 998 characters. (SendGrid's own
   * 78-character subject cap of 2016 was lifted; 78 stays RFC 5322's recommendation, not a limit.)
   */
  lineChars: 998,
  /** "You can have up to 10 categories per email"; each at most 255 characters (mail/send reference, `categories`). */
  categories: 10,
  categoryChars: 255,
} as const;

/** Headers SendGrid sets itself and refuses in `headers` (mail/send reference, `headers`), lower-cased. */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'x-sg-id', 'x-sg-eid', 'received', 'dkim-signature', 'content-type', 'content-transfer-encoding',
  'to', 'from', 'subject', 'reply-to', 'cc', 'bcc',
]);

export interface MailRecipient {
  email: string;
  /** The display name as the donor gave it (null: none). Left out when SendGrid cannot take it. */
  name: string | null;
  /** This recipient's subject with its values in (what `subject` gives after substitution, before the limits). */
  subject: string;
  /** Tag → value, as the message's tags expect them. */
  substitutions: Record<string, string>;
  customArgs: Record<string, string>;
  headers: Record<string, string>;
}

export interface MailMessage {
  from: { email: string; name: string | null };
  replyTo: string | null;
  /** The shared subject, with substitution tags. */
  subject: string;
  /** The subject of a recipient whose own renders empty (SendGrid requires one). */
  fallbackSubject: string;
  html: string;
  text: string;
  customArgs: Record<string, string>;
  headers: Record<string, string>;
  /** The SendGrid unsubscribe group the mail goes out under (the client's suppressions scope). */
  asmGroupId: number | null;
  /** SendGrid categories (e.g. `test` on test sends); none when empty or absent. */
  categories?: string[];
  recipients: MailRecipient[];
}

/** The v3 mail/send JSON body (snake_case, as SendGrid reads it). */
export interface MailSendBody {
  from: { email: string; name?: string };
  reply_to?: { email: string };
  subject: string;
  content: { type: 'text/plain' | 'text/html'; value: string }[];
  custom_args: Record<string, string>;
  headers: Record<string, string>;
  asm?: { group_id: number };
  categories?: string[];
  personalizations: {
    to: { email: string; name?: string }[];
    subject?: string;
    substitutions?: Record<string, string>;
    custom_args: Record<string, string>;
    headers: Record<string, string>;
  }[];
}

export interface BuiltMail {
  /** Null when every recipient was refused. */
  body: MailSendBody | null;
  /** Indexes into `recipients` of the body's personalizations, in order. */
  included: number[];
  refused: { index: number; reason: string }[];
}

/** Throws for what no recipient can fix (too many recipients, shared args or headers over a limit): a bug, not data. */
export function buildMailRequest(message: MailMessage): BuiltMail {
  if (message.recipients.length > SENDGRID_LIMITS.personalizations) {
    throw new RangeError(`a request takes at most ${SENDGRID_LIMITS.personalizations} recipients, got ${message.recipients.length}`);
  }
  checkHeaders(message.headers, 'headers');
  checkCategories(message.categories ?? []);
  const sharedArgsBytes = jsonBytes(message.customArgs);
  if (sharedArgsBytes >= SENDGRID_LIMITS.customArgsBytes) throw new RangeError(`custom_args take ${sharedArgsBytes} bytes; SendGrid takes less than ${SENDGRID_LIMITS.customArgsBytes}`);
  const sharedSubject = oneLine(message.subject) || oneLine(message.fallbackSubject);

  const personalizations: MailSendBody['personalizations'] = [];
  const included: number[] = [];
  const refused: BuiltMail['refused'] = [];
  message.recipients.forEach((recipient, index) => {
    const problem = recipientProblem(message, recipient);
    if (problem) {
      refused.push({ index, reason: problem });
      return;
    }
    const name = displayName(recipient.name);
    const subject = limitSubject(oneLine(recipient.subject) || oneLine(message.fallbackSubject));
    const hasSubstitutions = Object.keys(recipient.substitutions).length > 0;
    personalizations.push({
      to: [name ? { email: recipient.email, name } : { email: recipient.email }],
      // Only when substituting the shared subject would not give this recipient's (cut, made one line, fallback).
      ...(substitute(sharedSubject, recipient.substitutions) === subject ? {} : { subject }),
      ...(hasSubstitutions ? { substitutions: recipient.substitutions } : {}),
      custom_args: recipient.customArgs,
      headers: recipient.headers,
    });
    included.push(index);
  });
  if (personalizations.length === 0) return { body: null, included, refused };
  return {
    body: {
      from: message.from.name?.trim() ? { email: message.from.email, name: oneLine(message.from.name) } : { email: message.from.email },
      ...(message.replyTo ? { reply_to: { email: message.replyTo } } : {}),
      subject: limitSubject(sharedSubject),
      content: [{ type: 'text/plain', value: message.text }, { type: 'text/html', value: message.html }],
      custom_args: message.customArgs,
      headers: message.headers,
      ...(message.asmGroupId === null ? {} : { asm: { group_id: message.asmGroupId } }),
      ...(message.categories?.length ? { categories: message.categories } : {}),
      personalizations,
    },
    included,
    refused,
  };
}

/** Why SendGrid would refuse this recipient's personalization, or null. */
function recipientProblem(message: MailMessage, recipient: MailRecipient): string | null {
  const argsBytes = jsonBytes({ ...message.customArgs, ...recipient.customArgs });
  if (argsBytes >= SENDGRID_LIMITS.customArgsBytes) return `custom_args take ${argsBytes} bytes; SendGrid takes less than ${SENDGRID_LIMITS.customArgsBytes}`;
  const substitutionBytes = jsonBytes(recipient.substitutions);
  if (substitutionBytes > SENDGRID_LIMITS.substitutionsBytes) return `substitutions take ${substitutionBytes} bytes; SendGrid takes at most ${SENDGRID_LIMITS.substitutionsBytes} per recipient`;
  try {
    checkHeaders(recipient.headers, 'personalization headers');
  } catch (error) {
    return (error as Error).message;
  }
  return null;
}

/**
 * SendGrid drops a recipient whose name holds `,` or `;` while still answering 202 (limitations page), and
 * a name is a header phrase: no line breaks. Such a name is left out; the address alone reaches the donor.
 */
function displayName(name: string | null): string | undefined {
  const trimmed = name?.replace(/\s+/g, ' ').trim();
  if (!trimmed || /[,;]/.test(trimmed) || /\p{Cc}/u.test(trimmed)) return undefined;
  return trimmed;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Cut at a character (never inside a surrogate pair) and marked with an ellipsis. */
function limitSubject(subject: string): string {
  if (subject.length <= SENDGRID_LIMITS.lineChars) return subject;
  let cut = subject.slice(0, SENDGRID_LIMITS.lineChars - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}…`;
}

/** RFC 5322 §2.2: a field name is printable ASCII but `:`; a value is one line of printable ASCII (non-ASCII must come encoded). */
function checkHeaders(headers: Record<string, string>, where: string): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[\x21-\x39\x3B-\x7E]+$/.test(name)) throw new RangeError(`${where}: '${name}' is not a header name`);
    if (RESERVED_HEADERS.has(name.toLowerCase())) throw new RangeError(`${where}: '${name}' is reserved by SendGrid`);
    if (typeof value !== 'string' || !/^[\x20-\x7E\t]*$/.test(value)) throw new RangeError(`${where}: the value of '${name}' must be one line of ASCII`);
    if (name.length + 2 + value.length > SENDGRID_LIMITS.lineChars) throw new RangeError(`${where}: '${name}' is longer than a header line`);
  }
}

function checkCategories(categories: string[]): void {
  if (categories.length > SENDGRID_LIMITS.categories) throw new RangeError(`a mail takes at most ${SENDGRID_LIMITS.categories} categories, got ${categories.length}`);
  const bad = categories.find((category) => category.length === 0 || category.length > SENDGRID_LIMITS.categoryChars || !/^[\x20-\x7E]+$/.test(category));
  if (bad !== undefined) throw new RangeError(`category '${bad}' must be 1-${SENDGRID_LIMITS.categoryChars} printable ASCII characters`);
}

/**
 * What the recipient of personalization `index` of a built body reads: its subject and both parts with its
 * substitutions in, as SendGrid substitutes them. The preview answers with this, so it shows the request
 * a real send would make, read back, rather than a second rendering.
 */
export function substitutedFor(body: MailSendBody, index: number): RenderedMessage {
  const personalization = body.personalizations[index];
  if (!personalization) throw new RangeError(`the body has no personalization ${index}`);
  const substitutions = personalization.substitutions ?? {};
  const part = (type: 'text/plain' | 'text/html') => substitute(body.content.find((c) => c.type === type)?.value ?? '', substitutions);
  return { subject: substitute(personalization.subject ?? body.subject, substitutions), html: part('text/html'), text: part('text/plain') };
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}
