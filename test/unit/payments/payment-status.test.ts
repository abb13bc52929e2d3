import { PAYMENT_STATUSES, type PaymentStatus, advancePayment, donationStatusFor, isRecordedStripeEvent } from '../../../domain/payment-status';

describe('payment status from Stripe events in any order', () => {
  it('never moves back: a late failure keeps a success, a refund is final', () => {
    expect(advancePayment('succeeded', 'failed')).toBe('succeeded');
    expect(advancePayment('refunded', 'succeeded')).toBe('refunded');
    expect(advancePayment('failed', 'succeeded')).toBe('succeeded'); // a second try of the card
    expect(advancePayment('pending', 'failed')).toBe('failed');
  });

  it('ends the same whatever order the events come in', () => {
    const events: PaymentStatus[] = ['failed', 'succeeded', 'refunded'];
    const orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    for (const order of orders) expect(order.map((i) => events[i]).reduce(advancePayment, 'pending' as PaymentStatus)).toBe('refunded');
  });

  it('a gift exists once money moved, refunded or not', () => {
    expect(PAYMENT_STATUSES.map(donationStatusFor)).toEqual([null, null, 'succeeded', 'refunded']);
  });

  it('records only the events it acts on', () => {
    expect(['payment_intent.succeeded', 'payment_intent.payment_failed', 'charge.refunded'].every(isRecordedStripeEvent)).toBe(true);
    expect(['payment_intent.created', 'charge.succeeded', 'customer.created'].some(isRecordedStripeEvent)).toBe(false);
  });
});
