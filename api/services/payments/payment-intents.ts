import type { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import type { z } from 'zod';
import { chargeIncrement, toMajorUnits } from '../../../domain/money';
import { Problem, conflict, invalid } from '../../problem';
import type { DonationIntent, DonationIntentCreate } from '../../schemas/payments';
import { requireCampaign } from '../campaigns/campaign-guard';
import { type GiftMoney, giftMoney } from '../giving/gift-money';
import { requireDonor } from '../donors/donors';

type IntentRequest = z.output<typeof DonationIntentCreate>;
type IntentResponse = z.input<typeof DonationIntent>;
type InClient = <T>(work: (em: EntityManager) => Promise<T>) => Promise<T>;

interface PaymentRow { id: string; donor_id: string | null; campaign_id: string | null; amount: number; currency: string; status: string; stripe_payment_intent_id: string | null }

/**
 * A PaymentIntent for an online gift, created at most once per (client, idempotency_key):
 * 1. a pending payment row is claimed under the key (a unique column), so concurrent or retried requests
 *    find the same row;
 * 2. Stripe is called with the same key as its Idempotency-Key: the SDK's own retries and any retry of
 *    this request reuse it, so Stripe creates one intent however often the call is repeated;
 * 3. the intent id is stored on the row (the first one stored wins), and every answer reports it.
 * The webhook, not this call, records the gift once Stripe says the money moved.
 */
export async function createDonationIntent(inClient: InClient, stripe: Stripe, clientId: string, request: IntentRequest): Promise<IntentResponse> {
  const idempotencyKey = `donation:${clientId}:${request.idempotency_key}`;
  const { payment, created, money } = await inClient(async (em) => {
    await requireDonor(em, request.donor_id, 'body.donor_id');
    if (request.campaign_id) await requireCampaign(em, request.campaign_id, { field: 'body.campaign_id' });
    const money = await chargeableMoney(em, clientId, request);
    const [inserted] = await em.execute<PaymentRow[]>(
      `insert into payments (client_id, donor_id, campaign_id, idempotency_key, amount, currency, status)
       values (?, ?, ?, ?, ?, ?, 'pending') on conflict (idempotency_key) do nothing returning ${PAYMENT_COLUMNS}`,
      [clientId, request.donor_id, request.campaign_id ?? null, idempotencyKey, money.minor, money.currency]);
    if (inserted) return { payment: inserted, created: true, money };
    const [existing] = await em.execute<PaymentRow[]>(`select ${PAYMENT_COLUMNS} from payments where idempotency_key = ?`, [idempotencyKey]);
    return { payment: existing, created: false, money };
  });
  if (payment.donor_id !== request.donor_id || payment.campaign_id !== (request.campaign_id ?? null)
    || payment.amount !== money.minor || payment.currency !== money.currency) {
    throw conflict('idempotency_key was already used for a different donation; use a new key for a new attempt',
      { errors: [{ field: 'body.idempotency_key', message: 'already used for a different donation' }] });
  }

  if (payment.stripe_payment_intent_id) {
    const intent = await callStripe(() => stripe.paymentIntents.retrieve(payment.stripe_payment_intent_id!));
    return answer(payment, payment.stripe_payment_intent_id, intent.client_secret, true);
  }
  const intent = await callStripe(() => stripe.paymentIntents.create({
    amount: money.minor,
    currency: money.currency,
    automatic_payment_methods: { enabled: true },
    metadata: { client_id: clientId, donor_id: request.donor_id, campaign_id: request.campaign_id ?? '', payment_id: payment.id },
  }, { idempotencyKey }));
  const stored = await inClient(async (em) => {
    const [row] = await em.execute<{ stripe_payment_intent_id: string }[]>(
      `update payments set stripe_payment_intent_id = coalesce(stripe_payment_intent_id, ?) where id = ? returning stripe_payment_intent_id`,
      [intent.id, payment.id]);
    return row.stripe_payment_intent_id;
  });
  return answer(payment, stored, stored === intent.id ? intent.client_secret : null, !created);
}

/**
 * The gift's money (giving/gift-money.ts), which Stripe must also be able to charge: in minor units that are a
 * multiple of the currency's charge increment (whole krónur for ISK, a last digit 0 for KWD and the other
 * three-decimal currencies; Stripe's "special cases"), else 400 naming `amount` before Stripe is called.
 */
async function chargeableMoney(em: EntityManager, clientId: string, request: IntentRequest): Promise<GiftMoney> {
  const money = await giftMoney(em, clientId, request);
  const step = chargeIncrement(money.currency);
  if (money.minor % step !== 0) {
    const whole = toMajorUnits(step, money.currency);
    throw invalid([{ field: 'body.amount', message: `Stripe charges ${money.currency.toUpperCase()} in steps of ${whole}` }]);
  }
  return money;
}

const PAYMENT_COLUMNS = 'id, donor_id, campaign_id, amount, currency, status, stripe_payment_intent_id';

function answer(payment: PaymentRow, intentId: string, clientSecret: string | null, replayed: boolean): IntentResponse {
  return {
    payment_id: payment.id, payment_intent_id: intentId, client_secret: clientSecret, status: payment.status,
    amount: toMajorUnits(payment.amount, payment.currency), currency: payment.currency, replayed,
  };
}

/** Stripe's answer after the SDK's retries: a refusal names its field (400); an outage is a 502 to retry with the same key. */
async function callStripe<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Stripe.errors.StripeInvalidRequestError || error instanceof Stripe.errors.StripeCardError) {
      const field = `body.${error.param ?? 'amount'}`;
      throw new Problem(400, 'Invalid request', `${field}: ${error.message}`, { errors: [{ field, message: error.message }] }, 'urn:track15:problem:validation');
    }
    if (error instanceof Stripe.errors.StripeError) {
      throw new Problem(502, 'Bad Gateway', `Stripe did not answer after retries (${error.message}); send the same idempotency_key again`);
    }
    throw error;
  }
}
