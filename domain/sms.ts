import { addDays, isValidTimeZone, localDate, wallClock, zonedTime } from './campaigns/schedule';

/**
 * The rules of a text message, pure so workflows, activities, the API and the Twilio sink share them:
 * phone numbers, the body's encoding and segments, the keywords a donor answers with, and the hours a
 * text may be sent in.
 */

/**
 * E.164 (ITU-T E.164, as Twilio takes `To`/`From`): a plus, a country code that does not start with 0, and
 * at most 15 digits in all.
 */
const E164 = /^\+[1-9]\d{1,14}$/;

export function isE164(phone: string | null | undefined): phone is string {
  return typeof phone === 'string' && E164.test(phone);
}

/** Twilio's limit on `Body` (error 21617): 1,600 characters, however many segments they make. */
export const MAX_SMS_BODY = 1600;

// GSM 03.38: the default alphabet (one septet each) and its extension table (escape + one septet: two).
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM7_EXTENSION = new Set('\f^{}\\[~]|€');

export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** How a body travels and what it costs: encoding, the segments carriers bill, and its length in characters. */
export interface SmsSegments { encoding: SmsEncoding; segments: number; characters: number }

/**
 * Segments of a body as carriers count them (3GPP TS 23.038 / 23.040): GSM-7 when every character is in
 * the default alphabet or its extension (an extension character takes two septets), else UCS-2 (UTF-16
 * code units). One segment holds 160 septets or 70 units; a concatenated message carries a 7-octet header
 * in each part, leaving 153 septets or 67 units, and an escape pair or a surrogate pair is never split
 * across parts. An empty body is one segment.
 */
export function smsSegments(body: string): SmsSegments {
  const characters = [...body];
  const gsm = characters.every((c) => GSM7_BASIC.has(c) || GSM7_EXTENSION.has(c));
  const widths = gsm ? characters.map((c) => (GSM7_EXTENSION.has(c) ? 2 : 1)) : characters.map((c) => c.length);
  const single = gsm ? 160 : 70;
  const part = gsm ? 153 : 67;
  const total = widths.reduce((sum, width) => sum + width, 0);
  if (total <= single) return { encoding: gsm ? 'GSM-7' : 'UCS-2', segments: 1, characters: characters.length };
  let segments = 1;
  let used = 0;
  for (const width of widths) {
    if (used + width > part) {
      segments += 1;
      used = 0;
    }
    used += width;
  }
  return { encoding: gsm ? 'GSM-7' : 'UCS-2', segments, characters: characters.length };
}

/** What an inbound text asks for, when it is exactly one of the keywords. */
export type SmsKeyword = 'opt_out' | 'opt_in' | 'help';

/**
 * The industry keywords (CTIA Messaging Principles; Twilio's default Advanced Opt-Out set, issue 18 item 4):
 * a message that is exactly one of them, in any case with surrounding spaces, is that request; any other
 * text (including "please stop texting me") is an ordinary reply.
 */
const KEYWORDS: Record<string, SmsKeyword> = {
  STOP: 'opt_out', STOPALL: 'opt_out', UNSUBSCRIBE: 'opt_out', CANCEL: 'opt_out', END: 'opt_out', QUIT: 'opt_out',
  START: 'opt_in', UNSTOP: 'opt_in', YES: 'opt_in',
  HELP: 'help',
};

export function smsKeyword(body: string): SmsKeyword | null {
  return KEYWORDS[body.trim().toUpperCase()] ?? null;
}

/** Local wall-clock minutes a text may be sent in: 08:00 to 21:00 in the recipient's zone (issue 18 item 4; TCPA's 8 a.m.-9 p.m.). */
export const SMS_WINDOW = { startMinute: 8 * 60, endMinute: 21 * 60 } as const;

/**
 * Whether a text may go to a recipient in `zone` at `now`, and if not, when it may (the next 08:00 on the
 * recipient's wall clock, found with the zone's rules for that date, so a DST change in between moves the
 * instant and not the local time). An unknown zone counts as `fallbackZone` (the campaign's).
 */
export function smsSendWindow(now: Date, zone: string | null, fallbackZone: string): { open: true } | { open: false; opensAt: Date } {
  const tz = zone && isValidTimeZone(zone) ? zone : fallbackZone;
  const wall = new Date(wallClock(now.getTime(), tz));
  const minute = wall.getUTCHours() * 60 + wall.getUTCMinutes();
  if (minute >= SMS_WINDOW.startMinute && minute < SMS_WINDOW.endMinute) return { open: true };
  const today = localDate(now, tz);
  const date = minute < SMS_WINDOW.startMinute ? today : addDays(today, 1);
  return { open: false, opensAt: zonedTime(date, Math.floor(SMS_WINDOW.startMinute / 60), tz, SMS_WINDOW.startMinute % 60) };
}

/**
 * The advisory lock key that orders texts to a number against the recording of its opt-out, per client:
 * a send holds it shared from its opt-out check to Twilio's answer, recording a STOP holds it exclusively.
 */
export function smsNumberLockKey(clientId: string, phone: string): string {
  return `sms-number:${clientId}:${phone}`;
}

/** Where Twilio reports each outbound text's status (its StatusCallback), under PUBLIC_BASE_URL. */
export const TWILIO_STATUS_PATH = '/webhooks/twilio/status';

/** Seed 001's message status, which only moves forward: pending, then sent, then one of the three ends. */
export type MessageStatus = 'pending' | 'sent' | 'delivered' | 'failed' | 'undelivered';
export const MESSAGE_STATUS_RANK: Record<MessageStatus, number> = { pending: 0, sent: 1, delivered: 2, failed: 2, undelivered: 2 };

/**
 * A Twilio MessageStatus (twilio.com/docs/messaging/api/message-resource#message-status-values) as seed
 * 001's status: accepted, scheduled, queued and sending are still pending; read is delivered; canceled
 * never left, so it failed. Null for a status Twilio may add later.
 */
export function messageStatusOf(twilioStatus: string): MessageStatus | null {
  switch (twilioStatus) {
    case 'accepted': case 'scheduled': case 'queued': case 'sending': return 'pending';
    case 'sent': return 'sent';
    case 'delivered': case 'read': return 'delivered';
    case 'undelivered': return 'undelivered';
    case 'failed': case 'canceled': return 'failed';
    default: return null;
  }
}
