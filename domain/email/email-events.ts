/**
 * What a SendGrid Event Webhook event means for the product: the delivery status it moves an email to,
 * the fact it records about that email (counted in the campaign's stats the first time only), and the
 * donor preference it changes. Pure, so the rules are tested without a database and shared by the
 * webhook that sorts a batch and the activity that applies it.
 * Source: SendGrid's Event Webhook reference (delivery, engagement and account events).
 */

/** Email statuses in the order an email can move through them; a status only ever moves forward. */
const STATUS_RANK = { pending: 0, sent: 1, delivered: 2, bounced: 2, opened: 3, clicked: 4, unsubscribed: 5, spamreport: 5 } as const;
export type EmailStatus = keyof typeof STATUS_RANK;

/** Why an address stops receiving mail (donors.email_suppression_reason). */
export type SuppressionReason = 'bounce' | 'invalid' | 'spamreport' | 'unsubscribed';

export type PreferenceEffect =
  /** The donor left one category (unsubscribe links and groups are for campaign mail: marketing). */
  | { kind: 'unsubscribe'; category: 'marketing' | 'all' }
  /** The address cannot (or must not) receive mail: suppress it for every category. */
  | { kind: 'suppress'; reason: SuppressionReason };

/**
 * The columns of email_sends that record, once, that something happened to an email. Stats count the
 * first time a fact is recorded, so the same fact arriving again under a new sg_event_id (SendGrid
 * redelivers that way) counts nothing.
 */
export type EmailFact = 'delivered_at' | 'opened_at' | 'clicked_at' | 'bounced_at' | 'dropped_at' | 'spam_reported_at' | 'unsubscribed_at';

export interface EventMeaning {
  status: EmailStatus;
  fact: EmailFact;
  /** The key of campaigns.stats counting emails that reached the fact. */
  stat: string;
  preference: PreferenceEffect | null;
}

const MEANINGS: Record<string, EventMeaning> = {
  delivered: { status: 'delivered', fact: 'delivered_at', stat: 'delivered', preference: null },
  open: { status: 'opened', fact: 'opened_at', stat: 'opens', preference: null },
  click: { status: 'clicked', fact: 'clicked_at', stat: 'clicks', preference: null },
  bounce: { status: 'bounced', fact: 'bounced_at', stat: 'bounces', preference: { kind: 'suppress', reason: 'bounce' } },
  dropped: { status: 'bounced', fact: 'dropped_at', stat: 'dropped', preference: null },
  spamreport: { status: 'spamreport', fact: 'spam_reported_at', stat: 'spam_reports', preference: { kind: 'unsubscribe', category: 'all' } },
  unsubscribe: { status: 'unsubscribed', fact: 'unsubscribed_at', stat: 'unsubscribes', preference: { kind: 'unsubscribe', category: 'marketing' } },
  group_unsubscribe: { status: 'unsubscribed', fact: 'unsubscribed_at', stat: 'unsubscribes', preference: { kind: 'unsubscribe', category: 'marketing' } },
};

/**
 * `dropped` reasons that say the address itself is unusable: SendGrid will drop every later message to
 * it, so the product suppresses the donor rather than send, be dropped and be billed again. Other
 * reasons (Invalid SMTPAPI header, Spam Content, Recipient List over Package Quota) are about the
 * message or the account, not the address.
 */
const UNUSABLE_ADDRESS_DROPS: Record<string, SuppressionReason> = {
  'bounced address': 'bounce',
  invalid: 'invalid',
  'unsubscribed address': 'unsubscribed',
  'spam reporting address': 'spamreport',
};

/** What the product needs from an event beyond its type. */
export interface EventDetails {
  /** `bounce` events: "bounce" (permanent) or "blocked" (temporary). */
  bounceType?: string | null;
  /** `dropped` events: why SendGrid dropped the message. */
  reason?: string | null;
}

/**
 * The meaning of an event type, or null for those the product does not act on (processed, deferred,
 * group_resubscribe, account_status_change, and any type SendGrid adds later).
 */
export function meaningOf(event: string, details: EventDetails = {}): EventMeaning | null {
  const meaning = MEANINGS[event];
  if (!meaning) return null;
  // A "blocked" bounce is temporary (the receiver refused for now): count it, but keep the address.
  if (event === 'bounce' && details.bounceType === 'blocked') return { ...meaning, preference: null };
  if (event === 'dropped') {
    const reason = UNUSABLE_ADDRESS_DROPS[details.reason?.trim().toLowerCase() ?? ''];
    return reason ? { ...meaning, preference: { kind: 'suppress', reason } } : meaning;
  }
  return meaning;
}

/**
 * The id of the mail/send request behind a per-recipient sg_message_id: SendGrid's `X-Message-Id`
 * answer header is the part before the first dot ("<X-Message-Id>.filterdrecv-...").
 */
export function sendRequestIdOf(sgMessageId: string): string {
  return sgMessageId.split('.')[0];
}

export function statusRank(status: EmailStatus): number {
  return STATUS_RANK[status];
}

/** The status after `next` arrives: later events never pull an email back (a late delivered after opened). */
export function advanceStatus(current: EmailStatus, next: EmailStatus): EmailStatus {
  return statusRank(next) > statusRank(current) ? next : current;
}

/** SQL CASE giving a status's rank, generated from the same table so SQL and TypeScript agree. */
export function statusRankSql(column: string): string {
  return `case ${column} ${Object.entries(STATUS_RANK).map(([status, rank]) => `when '${status}' then ${rank}`).join(' ')} else 0 end`;
}
