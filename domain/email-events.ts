/**
 * What a SendGrid Event Webhook event means for the product: the delivery status it moves an email to,
 * the campaign stat it counts once, and the donor preference it changes. Pure, so the rules are tested
 * without a database and shared by the activity that applies them.
 */

/** Email statuses in the order an email can move through them; a status only ever moves forward. */
const STATUS_RANK = { pending: 0, sent: 1, delivered: 2, bounced: 2, opened: 3, clicked: 4, unsubscribed: 5, spamreport: 5 } as const;
export type EmailStatus = keyof typeof STATUS_RANK;

export type PreferenceEffect =
  /** The donor left one category (unsubscribe links and groups are for campaign mail: marketing). */
  | { kind: 'unsubscribe'; category: 'marketing' | 'all' }
  /** The address cannot receive mail: suppress it for every category. */
  | { kind: 'suppress' };

export interface EventMeaning {
  status: EmailStatus | null;
  /** The timestamp column of email_sends the event stamps (first time only). */
  timestampColumn: 'delivered_at' | 'opened_at' | 'clicked_at' | 'bounced_at' | null;
  stat: string | null;
  preference: PreferenceEffect | null;
}

const NOTHING: EventMeaning = { status: null, timestampColumn: null, stat: null, preference: null };

const MEANINGS: Record<string, EventMeaning> = {
  delivered: { status: 'delivered', timestampColumn: 'delivered_at', stat: 'delivered', preference: null },
  open: { status: 'opened', timestampColumn: 'opened_at', stat: 'opens', preference: null },
  click: { status: 'clicked', timestampColumn: 'clicked_at', stat: 'clicks', preference: null },
  bounce: { status: 'bounced', timestampColumn: 'bounced_at', stat: 'bounces', preference: { kind: 'suppress' } },
  dropped: { status: 'bounced', timestampColumn: 'bounced_at', stat: 'dropped', preference: null },
  spamreport: { status: 'spamreport', timestampColumn: null, stat: 'spam_reports', preference: { kind: 'unsubscribe', category: 'all' } },
  unsubscribe: { status: 'unsubscribed', timestampColumn: null, stat: 'unsubscribes', preference: { kind: 'unsubscribe', category: 'marketing' } },
  group_unsubscribe: { status: 'unsubscribed', timestampColumn: null, stat: 'unsubscribes', preference: { kind: 'unsubscribe', category: 'marketing' } },
};

/** Events the product does not act on (processed, deferred, group_resubscribe...) mean nothing. */
export function meaningOf(event: string, bounceType?: string): EventMeaning {
  // A "blocked" bounce is temporary (the receiver refused for now): count it, but keep the address.
  if (event === 'bounce' && bounceType === 'blocked') return { ...MEANINGS.bounce, preference: null };
  return MEANINGS[event] ?? NOTHING;
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
