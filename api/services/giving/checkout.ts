import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { Problem } from '../../problem';
import type { GiveTarget } from './give-page';

type InClient = <T>(work: (em: EntityManager) => Promise<T>) => Promise<T>;
export type GiveFrequency = 'once' | 'monthly';

export interface CheckoutRequest {
  target: GiveTarget;
  /** The give token as presented: with amount and frequency it makes the idempotency key. */
  token: string;
  /** Minor units of target.currency. */
  amount: number;
  frequency: GiveFrequency;
  /** Absolute URLs Stripe sends the donor back to. */
  successUrl: string;
  cancelUrl: string;
}

/**
 * The Stripe Checkout Session of a gift from a give page, at most one per (token, amount, frequency):
 * 1. the attempt is claimed under its idempotency key (a unique column): a double click, a reload or a
 *    retry finds the same row, and once the session is stored every repeat answers its URL without
 *    calling Stripe;
 * 2. Stripe is called with the same key as its Idempotency-Key (and the SDK retries with it), so Stripe
 *    makes one session however often the call is repeated before the first answer is stored;
 * 3. the first session stored wins.
 * A monthly gift is `mode=subscription` on a Price made once per (client, amount, currency); a one-time
 * gift is `mode=payment`. The metadata (client, campaign, step, donor) is set on the session and on the
 * PaymentIntent or subscription it creates, so every webhook that follows can attribute the gift.
 * Answers the session URL to redirect to; 502 when Stripe does not answer after retries.
 */
export async function startCheckout(inClient: InClient, stripe: Stripe, request: CheckoutRequest): Promise<string> {
  const { target, amount, frequency } = request;
  const tokenDigest = createHash('sha256').update(request.token).digest('base64url').slice(0, 32);
  const idempotencyKey = `give:${tokenDigest}:${amount}:${target.currency}:${frequency}`;
  const stored = await inClient(async (em) => {
    await em.execute(
      `insert into give_checkouts (client_id, donor_id, campaign_id, step_number, idempotency_key, frequency, amount, currency)
       values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (idempotency_key) do nothing`,
      [target.clientId, target.attribution?.donorId ?? null, target.attribution?.campaignId ?? null, target.attribution?.stepNumber ?? null,
        idempotencyKey, frequency, amount, target.currency]);
    const [row] = await em.execute<{ id: string; session_url: string | null }[]>(
      'select id, session_url from give_checkouts where idempotency_key = ?', [idempotencyKey]);
    return row;
  });
  if (stored.session_url) return stored.session_url;

  const metadata: Record<string, string> = {
    purpose: 'gift', // api/services/payments/stripe-dispatch.ts: the webhook hands its events to api/services/giving/gift-events.ts
    client_id: target.clientId,
    campaign_id: target.attribution?.campaignId ?? '',
    step_number: target.attribution ? String(target.attribution.stepNumber) : '',
    donor_id: target.attribution?.donorId ?? '',
    give_checkout_id: stored.id,
  };
  const common = {
    success_url: request.successUrl,
    cancel_url: request.cancelUrl,
    metadata,
    client_reference_id: target.attribution?.donorId,
    customer_email: target.attribution?.donorEmail ?? undefined,
  };
  const session = await callStripe('take the gift', async () => (frequency === 'monthly'
    ? stripe.checkout.sessions.create({
      ...common, mode: 'subscription',
      line_items: [{ price: await monthlyPrice(inClient, stripe, target, amount), quantity: 1 }],
      subscription_data: { metadata },
    }, { idempotencyKey })
    : stripe.checkout.sessions.create({
      ...common, mode: 'payment', submit_type: 'donate',
      line_items: [{ quantity: 1, price_data: { currency: target.currency, unit_amount: amount, product_data: { name: `Gift to ${target.organisation}` } } }],
      payment_intent_data: { metadata },
    }, { idempotencyKey })));
  if (!session.url) throw new Problem(502, 'Bad Gateway', 'Stripe created the checkout session without a URL; try again');
  return inClient(async (em) => {
    const [row] = await em.execute<{ session_url: string }[]>(
      `update give_checkouts set stripe_session_id = coalesce(stripe_session_id, ?), session_url = coalesce(session_url, ?)
        where id = ? returning session_url`,
      [session.id, session.url, stored.id]);
    return row.session_url;
  });
}

/**
 * The Stripe Price of a monthly gift of `amount`, made once per (client, amount, currency): looked up,
 * else created under an idempotency key of those three (two first gifts at once make one Price) and
 * recorded; the first recorded wins.
 */
async function monthlyPrice(inClient: InClient, stripe: Stripe, target: GiveTarget, amount: number): Promise<string> {
  const find = (em: EntityManager) => em.execute<{ stripe_price_id: string }[]>(
    `select stripe_price_id from give_prices where client_id = ? and amount = ? and currency = ? and recurring_interval = 'month'`,
    [target.clientId, amount, target.currency]);
  const [known] = await inClient(find);
  if (known) return known.stripe_price_id;
  const price = await stripe.prices.create({
    currency: target.currency, unit_amount: amount, recurring: { interval: 'month' },
    product_data: { name: `Monthly gift to ${target.organisation}` },
    metadata: { client_id: target.clientId },
  }, { idempotencyKey: `give-price:${target.clientId}:${amount}:${target.currency}:month` });
  return inClient(async (em) => {
    await em.execute(
      `insert into give_prices (client_id, amount, currency, stripe_price_id) values (?, ?, ?, ?) on conflict do nothing`,
      [target.clientId, amount, target.currency, price.id]);
    const [row] = await find(em);
    return row.stripe_price_id;
  });
}

/**
 * Stripe's refusal or outage after the SDK's retries becomes 502 (`Stripe did not <what> (…); please try
 * again`): the payer is asked to try again, and the repeat reuses the same idempotency key.
 */
export async function callStripe<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) {
      throw new Problem(502, 'Bad Gateway', `Stripe did not ${what} (${error.message}); please try again`);
    }
    throw error;
  }
}
