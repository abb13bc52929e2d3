import { type EmailStatus, advanceStatus, meaningOf, sendRequestIdOf, statusRank } from '../../../domain/email/email-events';

const STATUSES: EmailStatus[] = ['pending', 'sent', 'delivered', 'bounced', 'opened', 'clicked', 'unsubscribed', 'spamreport'];

describe('SendGrid event meanings', () => {
  it.each([
    ['delivered', {}, { status: 'delivered', fact: 'delivered_at', stat: 'delivered', preference: null }],
    ['open', {}, { status: 'opened', fact: 'opened_at', stat: 'opens', preference: null }],
    ['click', {}, { status: 'clicked', fact: 'clicked_at', stat: 'clicks', preference: null }],
    ['bounce', { bounceType: 'bounce' }, { status: 'bounced', fact: 'bounced_at', stat: 'bounces', preference: { kind: 'suppress', reason: 'bounce' } }],
    ['bounce', { bounceType: 'blocked' }, { status: 'bounced', fact: 'bounced_at', stat: 'bounces', preference: null }],
    ['dropped', { reason: 'Bounced Address' }, { status: 'bounced', fact: 'dropped_at', stat: 'dropped', preference: { kind: 'suppress', reason: 'bounce' } }],
    ['dropped', { reason: 'Invalid' }, { fact: 'dropped_at', stat: 'dropped', preference: { kind: 'suppress', reason: 'invalid' } }],
    ['dropped', { reason: 'Unsubscribed Address' }, { fact: 'dropped_at', stat: 'dropped', preference: { kind: 'suppress', reason: 'unsubscribed' } }],
    ['dropped', { reason: 'Spam Reporting Address' }, { fact: 'dropped_at', stat: 'dropped', preference: { kind: 'suppress', reason: 'spamreport' } }],
    ['dropped', { reason: ' spam reporting address ' }, { preference: { kind: 'suppress', reason: 'spamreport' } }],
    ['dropped', { reason: 'Invalid SMTPAPI header' }, { fact: 'dropped_at', stat: 'dropped', preference: null }],
    ['dropped', { reason: 'Spam Content (if Spam Checker app is enabled)' }, { preference: null }],
    ['dropped', { reason: 'Recipient List over Package Quota' }, { preference: null }],
    ['dropped', {}, { fact: 'dropped_at', preference: null }],
    ['spamreport', {}, { status: 'spamreport', fact: 'spam_reported_at', stat: 'spam_reports', preference: { kind: 'unsubscribe', category: 'all' } }],
    ['unsubscribe', {}, { status: 'unsubscribed', fact: 'unsubscribed_at', stat: 'unsubscribes', preference: { kind: 'unsubscribe', category: 'marketing' } }],
    ['group_unsubscribe', {}, { status: 'unsubscribed', fact: 'unsubscribed_at', stat: 'unsubscribes', preference: { kind: 'unsubscribe', category: 'marketing' } }],
  ])('%s %j', (event, details, meaning) => {
    expect(meaningOf(event, details)).toMatchObject(meaning);
  });

  it.each(['processed', 'deferred', 'group_resubscribe', 'account_status_change', 'some_future_event'])('%s is not acted on', (event) => {
    expect(meaningOf(event)).toBeNull();
  });

  it('the request id of a per-recipient sg_message_id is its part before the first dot', () => {
    expect(sendRequestIdOf('14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0')).toBe('14c5d75ce93');
    expect(sendRequestIdOf('4FB4041F1PKgUEJvXUB3gw')).toBe('4FB4041F1PKgUEJvXUB3gw');
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
