import type Stripe from 'stripe';
import { purposeOf } from '../../../api/services/payments/stripe-dispatch';

const event = (type: string, object: object) => ({ id: 'evt_1', type, created: 1, data: { object } }) as unknown as Stripe.Event;

describe('purposeOf', () => {
  it('reads metadata.purpose of sessions, intents, charges and subscriptions', () => {
    expect(purposeOf(event('checkout.session.completed', { object: 'checkout.session', metadata: { purpose: 'gift' } }))).toBe('gift');
    expect(purposeOf(event('payment_intent.succeeded', { object: 'payment_intent', metadata: { purpose: 'ticket_order' } }))).toBe('ticket_order');
    expect(purposeOf(event('customer.subscription.deleted', { object: 'subscription', metadata: { purpose: 'gift' } }))).toBe('gift');
  });

  it('reads an invoice\'s purpose from its subscription details, else from a subscription line', () => {
    const parent = { type: 'subscription_details', subscription_details: { subscription: 'sub_1', metadata: { purpose: 'gift' } } };
    expect(purposeOf(event('invoice.paid', { object: 'invoice', metadata: {}, parent, lines: { data: [] } }))).toBe('gift');
    const lines = { data: [{ metadata: {} }, { metadata: { purpose: 'gift' } }] };
    expect(purposeOf(event('invoice.paid', { object: 'invoice', metadata: {}, parent: null, lines }))).toBe('gift');
  });

  it('is null when nothing names a purpose (the API\'s own PaymentIntents, an invoice\'s charge)', () => {
    expect(purposeOf(event('charge.refunded', { object: 'charge', metadata: {} }))).toBeNull();
    expect(purposeOf(event('payment_intent.succeeded', { object: 'payment_intent', metadata: null }))).toBeNull();
    expect(purposeOf(event('invoice.paid', { object: 'invoice', metadata: {}, parent: null, lines: { data: [] } }))).toBeNull();
  });
});
