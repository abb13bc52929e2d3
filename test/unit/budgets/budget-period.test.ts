import { createHmac } from 'node:crypto';
import { isLaterPeriod, periodAt } from '../../../domain/budgets/budget-period';
import { signWebhook, verifyWebhookSignature } from '../../../domain/webhook-signature';

const REAL = { dayLengthSeconds: 86_400, anchorMs: 0 };
const at = (iso: string) => new Date(iso).getTime();

describe('budget periods (UTC calendar units)', () => {
  it.each([
    ['DAILY', '2026-11-30T23:59:59.999Z', 'DAILY:2026-11-30', '2026-12-01T00:00:00.000Z'],
    ['WEEKLY', '2026-11-30T10:00:00Z', 'WEEKLY:2026-W49', '2026-12-07T00:00:00.000Z'],
    // ISO 8601: 1 January 2027 is a Friday, in week 53 of 2026.
    ['WEEKLY', '2027-01-01T10:00:00Z', 'WEEKLY:2026-W53', '2027-01-04T00:00:00.000Z'],
    ['WEEKLY', '2024-12-30T00:00:00Z', 'WEEKLY:2025-W01', '2025-01-06T00:00:00.000Z'],
    ['MONTHLY', '2026-02-28T12:00:00Z', 'MONTHLY:2026-02', '2026-03-01T00:00:00.000Z'],
    ['QUARTERLY', '2026-12-31T23:00:00Z', 'QUARTERLY:2026-Q4', '2027-01-01T00:00:00.000Z'],
    ['YEARLY', '2026-06-01T00:00:00Z', 'YEARLY:2026', '2027-01-01T00:00:00.000Z'],
  ] as const)('%s at %s is %s, the next starting %s', (period, now, key, next) => {
    const window = periodAt(period, at(now), REAL);
    expect(window.key).toBe(key);
    expect(new Date(window.nextStartsAt!).toISOString()).toBe(next);
  });

  it('LIFETIME never renews', () => {
    expect(periodAt('LIFETIME', Date.now(), REAL)).toEqual({ key: 'LIFETIME', nextStartsAt: null });
  });

  it('on a rehearsal\'s clock a day lasts dayLengthSeconds from activation, and the next period is never early', () => {
    const anchorMs = at('2026-11-30T18:00:00Z'); // six hours before midnight: a quarter of a 4-second day
    const clock = { dayLengthSeconds: 4, anchorMs };
    const first = periodAt('DAILY', anchorMs, clock);
    expect(first).toEqual({ key: 'DAILY:2026-11-30', nextStartsAt: anchorMs + 1000 });
    expect(periodAt('DAILY', anchorMs + 999, clock).key).toBe('DAILY:2026-11-30');
    expect(periodAt('DAILY', first.nextStartsAt!, clock)).toEqual({ key: 'DAILY:2026-12-01', nextStartsAt: anchorMs + 5000 });
  });

  it('spend renews a budget only in a later period, or one of another kind', () => {
    expect(isLaterPeriod('DAILY:2026-12-01', 'DAILY:2026-11-30')).toBe(true);
    expect(isLaterPeriod('DAILY:2026-11-29', 'DAILY:2026-11-30')).toBe(false);
    expect(isLaterPeriod('DAILY:2026-11-30', 'DAILY:2026-11-30')).toBe(false);
    expect(isLaterPeriod('WEEKLY:2026-W49', 'LIFETIME')).toBe(true);
    expect(isLaterPeriod('LIFETIME', 'MONTHLY:2026-11')).toBe(true);
  });
});

describe('webhook signatures (Stripe\'s scheme)', () => {
  const secret = 'whsec_test_secret';
  const body = '{"id":"a1","type":"budget.alert"}';

  it('verifies its own signature within the tolerance, and nothing altered, late or signed with another secret', () => {
    const header = signWebhook(secret, body, 1_800_000_000);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, body, header, 1_800_000_100)).toBe(true);
    expect(verifyWebhookSignature(secret, `${body} `, header, 1_800_000_100)).toBe(false);
    expect(verifyWebhookSignature(secret, body, header, 1_800_000_301)).toBe(false);
    expect(verifyWebhookSignature('whsec_other', body, header, 1_800_000_000)).toBe(false);
    expect(verifyWebhookSignature(secret, body, header.replace('t=1800000000', 't=1800000001'), 1_800_000_000)).toBe(false);
    expect(verifyWebhookSignature(secret, body, 'garbage', 1_800_000_000)).toBe(false);
  });

  it('is HMAC-SHA256 over "<t>.<body>", so any receiver can check it with its own library', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signWebhook(secret, body, 1_700_000_000)).toBe(`t=1700000000,v1=${expected}`);
  });
});
