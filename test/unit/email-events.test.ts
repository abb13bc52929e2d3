import { type EmailStatus, advanceStatus, meaningOf, statusRank } from '../../domain/email-events';

const STATUSES: EmailStatus[] = ['pending', 'sent', 'delivered', 'bounced', 'opened', 'clicked', 'unsubscribed', 'spamreport'];

describe('SendGrid event meanings', () => {
  it.each([
    ['delivered', undefined, { status: 'delivered', timestampColumn: 'delivered_at', stat: 'delivered', preference: null }],
    ['open', undefined, { status: 'opened', timestampColumn: 'opened_at', stat: 'opens', preference: null }],
    ['click', undefined, { status: 'clicked', timestampColumn: 'clicked_at', stat: 'clicks', preference: null }],
    ['bounce', 'bounce', { status: 'bounced', stat: 'bounces', preference: { kind: 'suppress' } }],
    ['bounce', 'blocked', { status: 'bounced', stat: 'bounces', preference: null }],
    ['dropped', undefined, { status: 'bounced', stat: 'dropped', preference: null }],
    ['spamreport', undefined, { status: 'spamreport', stat: 'spam_reports', preference: { kind: 'unsubscribe', category: 'all' } }],
    ['unsubscribe', undefined, { status: 'unsubscribed', stat: 'unsubscribes', preference: { kind: 'unsubscribe', category: 'marketing' } }],
    ['group_unsubscribe', undefined, { status: 'unsubscribed', stat: 'unsubscribes', preference: { kind: 'unsubscribe', category: 'marketing' } }],
    ['processed', undefined, { status: null, timestampColumn: null, stat: null, preference: null }],
    ['deferred', undefined, { status: null, timestampColumn: null, stat: null, preference: null }],
  ])('%s (%s)', (event, bounceType, meaning) => {
    expect(meaningOf(event, bounceType)).toMatchObject(meaning);
  });
});

describe('email status only moves forward', () => {
  it('a late delivered never overwrites opened or clicked', () => {
    expect(advanceStatus('opened', 'delivered')).toBe('opened');
    expect(advanceStatus('clicked', 'opened')).toBe('clicked');
    expect(advanceStatus('sent', 'delivered')).toBe('delivered');
  });

  it('whatever order the events of one email arrive in, the result is the furthest status', () => {
    const permutations = (items: EmailStatus[]): EmailStatus[][] => (items.length <= 1 ? [items]
      : items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest])));
    const events: EmailStatus[] = ['delivered', 'opened', 'clicked', 'unsubscribed'];
    for (const order of permutations(events)) expect(order.reduce(advanceStatus, 'sent' as EmailStatus)).toBe('unsubscribed');
  });

  it('ranks are a total order with sent after pending', () => {
    for (const a of STATUSES) for (const b of STATUSES) {
      expect(advanceStatus(a, b)).toBe(statusRank(b) > statusRank(a) ? b : a);
    }
    expect(statusRank('sent')).toBeGreaterThan(statusRank('pending'));
  });
});
